"""Trainer: event order, determinism, live commands, divergence."""

import threading

import pytest
import torch

from gan_core.config import RunConfig
from gan_core.controls import DECAY_FLOOR, decay_scale
from gan_core.events import (
    METRIC_FIELDS,
    AlertEvent,
    Command,
    MetricsEvent,
    QualityEvent,
    ReferenceEvent,
    SamplesEvent,
    StatusEvent,
)
from gan_core.presets import preset_config
from gan_core.snapshots import GRID_IMAGES, png_grid
from gan_core.trainer import Trainer

# Metrics every 5 steps exactly (not paced by the clock): tests act on given steps.
TINY = {
    "g_hidden": 32,
    "d_hidden": 32,
    "batch_size": 64,
    "metrics_every": 5,
    "metrics_per_second": 0,
}


def tiny(**overrides: object) -> RunConfig:
    return RunConfig.model_validate({"dataset": "ring-8", "steps": 40, **TINY, **overrides})


def losses(config: RunConfig) -> list[float]:
    return [v for e in Trainer(config).events() if isinstance(e, MetricsEvent) for v in e.loss_d]


def test_a_run_yields_status_then_metrics_samples_quality_then_completed() -> None:
    config = tiny(samples_every=20, samples_per_second=0, quality_every=20)
    events = list(Trainer(config).events())
    first, last = events[0], events[-1]
    assert isinstance(first, StatusEvent) and first.status == "running"
    assert first.config is not None and first.config["steps"] == 40
    assert isinstance(last, StatusEvent) and last.status == "completed" and last.step == 40
    metrics = [e for e in events if isinstance(e, MetricsEvent)]
    assert [s for m in metrics for s in m.steps] == list(range(1, 41))
    for m in metrics:
        for name in METRIC_FIELDS:
            assert len(getattr(m, name)) == len(m.steps)
        assert all(0 <= p <= 1 for p in m.d_real + m.d_fake)
        assert m.lr_g == 2e-3 and m.steps_per_second > 0
    samples = [e for e in events if isinstance(e, SamplesEvent)]
    assert [s.step for s in samples] == [0, 20, 40]
    (reference,) = [e for e in events if isinstance(e, ReferenceEvent)]
    assert events[1] is reference and reference.map is not None
    heat = samples[-1].heatmap
    assert (
        heat is not None
        and len(heat["z"]) == len(reference.map["y"])
        and len(heat["z"][0]) == len(reference.map["x"])
    )
    assert samples[-1].points is not None and len(samples[-1].points[0]) == 2
    quality = [e for e in events if isinstance(e, QualityEvent)]
    assert [q.step for q in quality] == [20, 40]
    assert quality[-1].modes_total == 8 and quality[-1].distance is not None


def test_same_seed_same_run_other_seed_other_run() -> None:
    assert losses(tiny(seed=3)) == losses(tiny(seed=3))
    assert losses(tiny(seed=3)) != losses(tiny(seed=4))


class StepClock:
    """The trainer's clock, read as 1/128 s per step trained (exact in binary): pacing
    without real time."""

    def __init__(self) -> None:
        self.trainer: Trainer | None = None

    def perf_counter(self) -> float:
        return 0.0 if self.trainer is None else self.trainer.step / 128

    @staticmethod
    def time() -> float:
        return 0.0

    @staticmethod
    def sleep(seconds: float) -> None:
        pass


def paced_events(monkeypatch: pytest.MonkeyPatch, **overrides: object) -> list[object]:
    clock = StepClock()
    monkeypatch.setattr("gan_core.trainer.time", clock)
    clock.trainer = Trainer(tiny(**overrides))
    return list(clock.trainer.events())


def test_paced_metrics_go_out_with_each_samples_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    events = paced_events(
        monkeypatch, steps=48, metrics_every=1, metrics_per_second=10, samples_per_second=16
    )  # alone, metrics would go out every 12.8 steps; each samples frame takes them along
    samples = [i for i, e in enumerate(events) if isinstance(e, SamplesEvent)][1:]
    metrics = [e for e in events if isinstance(e, MetricsEvent)]
    assert [events[i].step for i in samples] == [8, 16, 24, 32, 40, 48]  # type: ignore[attr-defined]
    assert all(isinstance(events[i - 1], MetricsEvent) for i in samples)
    assert [m.step for m in metrics] == [8, 16, 24, 32, 40, 48]


def test_decay_scale_is_one_then_falls_linearly_to_the_floor_at_the_last_step() -> None:
    scales = [decay_scale(step, 20, 0.5) for step in range(1, 21)]
    assert scales[:10] == [1.0] * 10
    assert scales[10:] == pytest.approx([1 - 0.9 * i / 10 for i in range(1, 11)])
    assert scales[-1] == pytest.approx(DECAY_FLOOR)
    assert all(decay_scale(step, 20, 0.0) == 1.0 for step in range(1, 21))


def test_lr_decay_scales_the_rates_in_force_and_a_set_rate_decays_from_where_it_is_set() -> None:
    config = tiny(steps=20, lr_decay=0.5, metrics_every=1, metrics_per_second=0)
    trainer = Trainer(config)
    lr_g: dict[int, float] = {}
    lr_d: dict[int, float] = {}
    for event in trainer.events():
        if isinstance(event, MetricsEvent):
            lr_g[event.step], lr_d[event.step] = event.lr_g, event.lr_d
            if event.step == 15:
                trainer.send(Command("set_lr", target="g", value=1e-3))
    base = config.lr_d
    assert lr_d == pytest.approx({s: base * decay_scale(s, 20, 0.5) for s in range(1, 21)})
    assert lr_g[10] == base and lr_g[15] == pytest.approx(base * decay_scale(15, 20, 0.5))
    # Set after step 15, G's rate decays from the value set as the others do.
    for step in range(16, 21):
        expected = 1e-3 * decay_scale(step, 20, 0.5) / decay_scale(15, 20, 0.5)
        assert lr_g[step] == pytest.approx(expected)


def test_set_lr_and_freeze_apply_between_steps() -> None:
    trainer = Trainer(tiny(steps=30))
    events = trainer.events()
    seen: list[MetricsEvent] = []
    g_before: list[torch.Tensor] = []
    for event in events:
        if isinstance(event, MetricsEvent):
            seen.append(event)
            if event.step == 10:
                trainer.send(Command("set_lr", target="d", value=1e-4))
                trainer.send(Command("freeze", target="g", value=True))
                g_before = [p.detach().clone() for p in trainer.nets.g.parameters()]
    assert seen[0].lr_d == 2e-3 and seen[-1].lr_d == 1e-4
    assert all(
        torch.equal(a, b) for a, b in zip(g_before, trainer.nets.g.parameters(), strict=True)
    )
    assert all(g == 0 for m in seen if m.step > 10 for g in m.grad_g)
    assert all(g > 0 for m in seen if m.step > 10 for g in m.grad_d)


def test_pause_blocks_until_resume_and_stop_ends_the_run() -> None:
    trainer = Trainer(tiny(steps=10_000))
    statuses: list[str] = []
    resumed = threading.Timer(0.3, lambda: trainer.send(Command("resume")))
    for event in trainer.events():
        if isinstance(event, StatusEvent):
            statuses.append(event.status)
            if event.status == "paused":
                paused_at = event.step
                resumed.start()
            if event.status == "running" and len(statuses) > 1:
                assert trainer.step == paused_at  # nothing trained while paused
                trainer.send(Command("stop"))
        elif isinstance(event, MetricsEvent) and event.step == 20:
            trainer.send(Command("pause"))
    assert statuses == ["running", "paused", "running", "stopped"]
    assert trainer.step < 10_000


def test_a_paused_run_has_reported_every_step_it_trained() -> None:
    config = tiny(steps=1000, metrics_every=500, samples_per_second=0, samples_every=7)
    trainer = Trainer(config)
    seen: list[object] = []
    for event in trainer.events():
        seen.append(event)
        if isinstance(event, SamplesEvent) and event.step == 7:
            trainer.send(Command("pause"))
        elif isinstance(event, StatusEvent) and event.status == "paused":
            trainer.send(Command("stop"))
    paused = next(i for i, e in enumerate(seen) if getattr(e, "status", None) == "paused")
    before = seen[paused - 1]
    assert isinstance(before, MetricsEvent) and before.steps == list(range(1, 8))
    assert seen[paused].step == 7  # type: ignore[attr-defined]


def test_nan_in_the_data_fails_the_run_with_a_divergence_alert() -> None:
    trainer = Trainer(tiny(steps=100))
    sample = trainer.sampler.sample

    def poisoned(n: int, generator: torch.Generator) -> torch.Tensor:
        real = sample(n, generator)
        return real * float("nan") if trainer.step >= 12 else real

    trainer.sampler.sample = poisoned  # type: ignore[method-assign]
    events = list(trainer.events())
    alerts = [e for e in events if isinstance(e, AlertEvent)]
    assert [a.kind for a in alerts] == ["divergence"]
    final = events[-1]
    assert isinstance(final, StatusEvent) and final.status == "failed"
    assert final.reason is not None and "loss_d" in final.reason and "step 13" in final.reason


def test_gaussian_1d_reports_mean_and_std() -> None:
    events = list(Trainer(RunConfig(dataset="gaussian-1d", data_dim=3, steps=10, **TINY)).events())
    quality = [e for e in events if isinstance(e, QualityEvent)][-1]
    assert quality.target_mean == 4.0 and quality.target_std == 1.25
    assert quality.mean is not None and quality.std is not None and quality.modes_total is None
    points = [e for e in events if isinstance(e, SamplesEvent)][-1]
    assert points.heatmap is None and points.points is not None and len(points.points[0]) == 3
    assert points.gradients is None and points.manifold is None  # no view of 3-D vectors


def test_image_runs_send_png_grids_and_class_coverage(tmp_path) -> None:
    digits = RunConfig(
        dataset="digits",
        model="dcgan",
        steps=4,
        batch_size=16,
        g_hidden=8,
        d_hidden=8,
        latent_dim=8,
        metrics_every=2,
    )
    events = list(Trainer(digits, cache_dir=tmp_path).events())
    samples = [e for e in events if isinstance(e, SamplesEvent)][-1]
    assert samples.kind == "images" and samples.image_png
    (reference,) = [e for e in events if isinstance(e, ReferenceEvent)]
    assert reference.kind == "images" and reference.real_png
    quality = [e for e in events if isinstance(e, QualityEvent)][-1]
    assert quality.class_coverage is not None and len(quality.class_coverage) == 10


def test_a_latent_code_takes_one_mode_of_ring_8_per_category() -> None:
    """InfoGAN on the ring: D learns to read the code back, so G gives each code its own
    mode (without a code nothing ties a part of z to a mode)."""
    config = preset_config("ring-8", {"latent_dim": 10, "latent_classes": 8, "steps": 800})
    trainer = Trainer(config)
    trainer.manual_step("d")  # the manual steps carry the code too
    trainer.manual_step("g")
    for _ in trainer.events():
        pass
    modes = []
    with torch.no_grad():
        for code in range(8):
            z = torch.randn(200, 10, generator=torch.Generator().manual_seed(code))
            z[:, :8] = torch.eye(8)[code]
            x = trainer.eval_generator.eval()(z) * trainer.sampler.scale
            nearest = torch.cdist(x, trainer.sampler.centres).argmin(1)
            counts = torch.bincount(nearest, minlength=8)
            assert counts.max() >= 0.9 * 200, f"code {code} spreads over modes: {counts.tolist()}"
            modes.append(int(counts.argmax()))
    assert sorted(modes) == list(range(8))


def test_with_a_latent_code_the_image_grid_is_grouped_by_category(tmp_path) -> None:
    digits = RunConfig(
        dataset="digits", model="dcgan", g_hidden=8, d_hidden=8, latent_dim=12, latent_classes=10
    )
    trainer = Trainer(digits, cache_dir=tmp_path)
    snapshots, g = trainer.snapshots, trainer.eval_generator
    codes = snapshots.eval_noise[:GRID_IMAGES, :10].argmax(1)
    fake = snapshots.generate(g, GRID_IMAGES)
    grouped = png_grid(fake[codes.argsort(stable=True)])
    assert snapshots.images(0, g).image_png == grouped != png_grid(fake)
