"""The live view: reference and samples frames, stepping, slow motion and live controls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import torch

from gan_core.config import RunConfig
from gan_core.control_schema import CONTROL_KEYS, ControlsUpdate, control_command
from gan_core.events import (
    CURVE_POINTS,
    GRID_SIDE,
    Command,
    Event,
    MetricsEvent,
    ReferenceEvent,
    SamplesEvent,
    StatusEvent,
)
from gan_core.trainer import Trainer

SMALL = {
    "g_hidden": 32,
    "d_hidden": 32,
    "batch_size": 64,
    "n_samples": 64,
    "heatmap_size": 12,
    "metrics_every": 5,
}


def config(**overrides: object) -> RunConfig:
    return RunConfig.model_validate({"dataset": "ring-8", "steps": 200, **SMALL, **overrides})


class Driven:
    """A trainer run on a thread, its events collected, commands sent by the test."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for event in self.trainer.events():
            with self._lock:
                self.events.append(event)

    def wait_for(self, predicate: object, timeout: float = 20.0) -> Event:
        """The first event (in order) satisfying ``predicate``, waiting for it."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            with self._lock:
                fresh = self.events[seen:]
            for event in fresh:
                if predicate(event):  # type: ignore[operator]
                    return event
            seen += len(fresh)
            time.sleep(0.01)
        raise AssertionError("event not seen in time")

    def after(self, command: Command, kind: type) -> Iterator[Event]:
        """Send ``command``; the events that follow until one of ``kind``."""
        with self._lock:
            start = len(self.events)
        self.trainer.send(command)
        self.wait_for(lambda e: isinstance(e, kind) and self.events.index(e) >= start)
        with self._lock:
            return iter(self.events[start:])

    def stop(self) -> None:
        self.trainer.send(Command("stop"))
        self._thread.join(timeout=20)
        assert not self._thread.is_alive()


def samples_after(driven: Driven, command: Command) -> SamplesEvent:
    events = list(driven.after(command, SamplesEvent))
    assert all(isinstance(e, MetricsEvent | SamplesEvent) for e in events), events
    last = events[-1]
    assert isinstance(last, SamplesEvent)
    return last


def test_2d_frames_carry_points_gradients_manifold_and_map_after_one_reference() -> None:
    events = list(Trainer(config(steps=30, samples_per_second=0, samples_every=10)).events())
    references = [e for e in events if isinstance(e, ReferenceEvent)]
    assert len(references) == 1 and events[1] is references[0]
    ref = references[0]
    assert ref.dim == 2 and ref.real is not None and len(ref.real) == 64
    assert ref.map is not None and len(ref.map["x"]) == len(ref.map["y"]) == 12
    assert ref.map["probability"] is True and "probability" in ref.map["label"]
    assert ref.latent is not None and ref.latent["shape"] == [GRID_SIDE, GRID_SIDE]
    assert ref.latent["dims"] == [0, 1] and len(ref.latent["noise"]) == 64
    frames = [e for e in events if isinstance(e, SamplesEvent)]
    assert [f.step for f in frames] == [0, 10, 20, 30]
    for frame in frames:
        assert frame.points is not None and frame.gradients is not None
        assert len(frame.points) == len(frame.gradients) == 64
        assert all(len(g) == 2 for g in frame.gradients)
        assert frame.manifold is not None and frame.manifold["shape"] == [GRID_SIDE, GRID_SIDE]
        assert len(frame.manifold["points"]) == GRID_SIDE * GRID_SIDE
    assert frames[0].heatmap is not None and frames[-1].heatmap is not None
    assert frames[1].heatmap is None  # the map refreshes every third frame
    assert frames[0].ema_points is not None and len(frames[0].ema_points) == 64


def test_frames_come_at_the_wall_clock_rate_not_per_step() -> None:
    trainer = Trainer(config(steps=1_000_000, samples_per_second=20))
    started, frames = time.monotonic(), 0
    for event in trainer.events():
        if isinstance(event, SamplesEvent):
            frames += 1
        if time.monotonic() - started > 1.5:
            break
    # 1 at start + ~20 a second; a loaded machine trains slower but the clock still paces
    assert 20 <= frames <= 33


def test_the_arrows_point_where_the_generator_loss_falls() -> None:
    trainer = Trainer(config())
    assert trainer.view is not None
    frame = trainer.view.samples(0, trainer.nets.g, trainer.nets.d, with_map=False)
    fake = torch.tensor(frame.points)
    arrows = torch.tensor(frame.gradients)
    d = trainer.nets.d
    before = torch.nn.functional.softplus(-d(fake / trainer.sampler.scale))
    unit = arrows / arrows.norm(dim=1, keepdim=True).clamp_min(1e-12)
    after = torch.nn.functional.softplus(-d((fake + 1e-3 * unit) / trainer.sampler.scale))
    moved = arrows.norm(dim=1) > 1e-6
    assert moved.sum() > 32
    assert bool((after[moved] <= before[moved] + 1e-7).float().mean() > 0.95)


def test_a_wgan_map_is_the_raw_critic_output() -> None:
    trainer = Trainer(config(loss="wgan-gp"))
    ref = trainer.view.reference(0) if trainer.view is not None else None
    assert ref is not None and ref.map is not None
    assert ref.map["probability"] is False and "critic" in ref.map["label"]


def test_gaussian_1d_has_a_curve_map_and_a_z_to_x_manifold() -> None:
    events = list(Trainer(config(dataset="gaussian-1d", latent_dim=1, steps=5)).events())
    ref = next(e for e in events if isinstance(e, ReferenceEvent))
    assert ref.dim == 1 and ref.map is not None and "y" not in ref.map
    assert ref.latent is not None and ref.latent["shape"] == [1, CURVE_POINTS]
    frame = next(e for e in events if isinstance(e, SamplesEvent))
    assert frame.heatmap is not None and len(frame.heatmap["z"]) == len(ref.map["x"])
    assert frame.points is not None and len(frame.points[0]) == 1
    assert frame.gradients is not None and len(frame.gradients[0]) == 1
    assert frame.manifold is not None and len(frame.manifold["points"]) == CURVE_POINTS


def test_a_d_step_changes_the_map_not_the_points_and_a_g_step_the_reverse() -> None:
    driven = Driven(Trainer(config(), start_paused=True))
    try:
        paused = driven.wait_for(lambda e: isinstance(e, StatusEvent) and e.status == "paused")
        assert paused.step == 0
        first = next(e for e in driven.events if isinstance(e, SamplesEvent))
        d = samples_after(driven, Command("step", target="d", value=1))
        assert d.step == 1 and d.phase == "d"
        assert d.points == first.points and d.heatmap != first.heatmap
        g = samples_after(driven, Command("step", target="g", value=1))
        assert g.step == 2 and g.phase == "g"
        assert g.points != d.points and g.heatmap == d.heatmap
        both = samples_after(driven, Command("step", target="both", value=3))
        assert both.step == 5 and both.phase == "both"
        metrics = [e for e in driven.events if isinstance(e, MetricsEvent)]
        assert [s for m in metrics for s in m.steps] == [1, 2, 3, 4, 5]
        time.sleep(0.3)  # nothing else while paused
        assert isinstance(driven.events[-1], SamplesEvent) and driven.events[-1].step == 5
    finally:
        driven.stop()


def test_slow_motion_sends_a_frame_after_every_step_at_the_pace() -> None:
    driven = Driven(Trainer(config(steps=1_000_000)))
    try:
        driven.trainer.send(Command("set_pace", value=20))
        start = driven.wait_for(lambda e: isinstance(e, SamplesEvent) and e.phase == "both")
        time.sleep(1.0)
        frames = [e for e in driven.events if isinstance(e, SamplesEvent) and e.phase == "both"]
        steps = [f.step for f in frames]
        assert steps == list(range(start.step, start.step + len(steps)))  # one frame per step
        assert 12 <= len(steps) <= 26
    finally:
        driven.stop()


def test_live_k_loss_and_optimizer_are_applied_and_kept_in_checkpoints() -> None:
    trainer = Trainer(config(), start_paused=True)
    trainer.controls.apply(Command("set_k", value=3))
    trainer.controls.apply(Command("set_loss", value="hinge"))
    trainer.controls.apply(Command("set_optimizer", target="d", value="sgd"))
    assert isinstance(trainer.nets.opt_d, torch.optim.SGD)
    before = trainer.d_iter
    trainer.manual_step("both")
    assert trainer.d_iter == before + 3
    state = trainer.state_dict()
    assert state["controls"]["loss"] == "hinge" and state["controls"]["optimizer_d"] == "sgd"
    again = Trainer(config(), checkpoint=state)
    assert again.controls.d_steps == 3 and again.controls.loss.name == "hinge"
    assert isinstance(again.nets.opt_d, torch.optim.SGD)
    assert isinstance(again.nets.opt_g, torch.optim.Adam)
    assert again.view is not None and again.view.reference(0).map["probability"] is False  # type: ignore[index]


def test_every_control_key_is_kept_in_checkpoints_and_applies_as_a_command() -> None:
    trainer = Trainer(config(), start_paused=True)
    state = trainer.controls.state()
    assert tuple(state) == CONTROL_KEYS
    ControlsUpdate(**state)  # what a checkpoint keeps is a valid change
    for key, value in state.items():
        trainer.controls.apply(control_command(key, value))
    assert trainer.controls.state() == state


def test_a_loss_change_resends_the_reference_and_the_manifold_dims_can_move() -> None:
    driven = Driven(Trainer(config(latent_dim=4), start_paused=True))
    try:
        driven.wait_for(lambda e: isinstance(e, StatusEvent) and e.status == "paused")
        ref = list(driven.after(Command("set_view", value=[1, 3]), ReferenceEvent))[-1]
        assert isinstance(ref, ReferenceEvent) and ref.latent is not None
        assert ref.latent["dims"] == [1, 3]
        frame = samples_after(driven, Command("step", target="g", value=1))
        assert frame.manifold is not None and frame.manifold["dims"] == [1, 3]
        ref = list(driven.after(Command("set_loss", value="lsgan"), ReferenceEvent))[-1]
        assert isinstance(ref, ReferenceEvent) and ref.map is not None
        assert ref.loss == "lsgan" and ref.map["probability"] is False
    finally:
        driven.stop()


@pytest.mark.parametrize("dims", [[0, 0], [0, 9], [2]])
def test_manifold_dims_must_be_two_distinct_latent_dimensions(dims: list[int]) -> None:
    trainer = Trainer(config(latent_dim=4))
    with pytest.raises(ValueError):
        trainer.controls.apply(Command("set_view", value=dims))


def test_with_a_latent_code_the_manifold_spans_noise_at_the_first_category() -> None:
    trainer = Trainer(config(latent_dim=5, latent_classes=3))
    assert trainer.view is not None and trainer.view.dims == [3, 4]
    grid = trainer.view._grid()
    assert torch.equal(grid[:, :3], torch.tensor([1.0, 0.0, 0.0]).expand(len(grid), 3))
    assert grid[:, 3].unique().numel() == GRID_SIDE and grid[:, 4].unique().numel() == GRID_SIDE
    one_noise_dim = Trainer(config(latent_dim=4, latent_classes=3))
    assert one_noise_dim.view is not None and one_noise_dim.view.dims == [3, 0]
