"""Cadence: which steps report metrics and samples, by step count and by the clock."""

from gan_core.cadence import Cadence
from gan_core.config import RunConfig

STEP_SECONDS = 1 / 128  # exact in binary: the schedule is compared step for step


def schedule(clocked_samples: bool = False, **fields: object) -> tuple[list[int], list[int]]:
    """(steps with metrics, steps with samples) of a run whose steps take STEP_SECONDS."""
    config = RunConfig.model_validate({"dataset": "ring-8", **fields})
    cadence = Cadence(config, clocked_samples=clocked_samples, start=0.0)
    metrics, samples = [], []
    for step in range(1, config.steps + 1):
        due = cadence.due(step, step * STEP_SECONDS)
        if due.metrics:
            metrics.append(step)
        if due.samples:
            samples.append(step)
    return metrics, samples


def test_metrics_every_n_steps_when_the_clock_does_not_cap_them() -> None:
    metrics, samples = schedule(steps=43, metrics_every=5, metrics_per_second=0, samples_every=20)
    assert metrics == [5, 10, 15, 20, 25, 30, 35, 40, 43]  # the last step closes one too
    assert samples == [20, 40]


def test_the_clock_caps_metrics_frames_a_second() -> None:
    # 128 steps a second, 32 frames a second at most: the first 3rd step 4 after the last.
    metrics, _ = schedule(steps=43, metrics_every=3, metrics_per_second=32, samples_every=1000)
    assert metrics == [6, 12, 18, 24, 30, 36, 42, 43]


def test_a_checkpoint_step_closes_a_metrics_frame() -> None:
    metrics, _ = schedule(
        steps=43, metrics_every=3, metrics_per_second=32, samples_every=1000, checkpoint_every=10
    )
    assert metrics == [6, 10, 15, 20, 24, 30, 36, 40, 43]


def test_clocked_samples_take_the_capped_metrics_along() -> None:
    # Alone, metrics would go out every 12.8 steps; samples every 8 take them along.
    metrics, samples = schedule(
        True, steps=48, metrics_every=1, metrics_per_second=10, samples_per_second=16
    )
    assert samples == [8, 16, 24, 32, 40, 48]
    assert metrics == samples


def test_uncapped_metrics_keep_their_own_steps_beside_clocked_samples() -> None:
    metrics, samples = schedule(
        True, steps=48, metrics_every=10, metrics_per_second=0, samples_per_second=16
    )
    assert samples == [8, 16, 24, 32, 40, 48]
    assert metrics == [10, 20, 30, 40, 48]


def test_slow_motion_reports_every_step() -> None:
    config = RunConfig(dataset="ring-8", metrics_every=10, samples_per_second=10)
    cadence = Cadence(config, clocked_samples=True, start=0.0)
    assert all(cadence.due(step, 0.0, slow_motion=True) == (True, True) for step in range(1, 6))
