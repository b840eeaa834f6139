"""Checkpoints: a resumed run continues exactly where the first one stopped."""

from pathlib import Path

import pytest

from gan_core.checkpoint import load_checkpoint, save_checkpoint
from gan_core.config import RunConfig
from gan_core.controls import decay_scale
from gan_core.events import Command, MetricsEvent
from gan_core.trainer import Trainer

CONFIG = RunConfig(
    dataset="grid-25",
    steps=40,
    g_hidden=32,
    d_hidden=32,
    batch_size=64,
    metrics_every=5,
    metrics_per_second=0,  # a frame every 5 steps exactly, to stop at step 20
    r1_every=2,
    seed=11,
)


def metrics(trainer: Trainer, stop_at: int | None = None) -> dict[int, float]:
    out: dict[int, float] = {}
    for event in trainer.events():
        if isinstance(event, MetricsEvent):
            out.update(zip(event.steps, event.loss_g, strict=True))
            if event.step == stop_at:
                trainer.send(Command("stop"))
    return out


@pytest.mark.parametrize("lr_decay", [0.0, 0.75])  # 0.75: stopped halfway through the decay
def test_resume_from_a_checkpoint_reproduces_the_uninterrupted_run(
    tmp_path: Path, lr_decay: float
) -> None:
    config = CONFIG.model_copy(update={"lr_decay": lr_decay})
    uninterrupted = Trainer(config)
    straight = metrics(uninterrupted)
    first = Trainer(config)
    part1 = metrics(first, stop_at=20)
    assert max(part1) == 20
    path = save_checkpoint(first.state_dict(), tmp_path / "run" / "checkpoint.pt")
    state = load_checkpoint(path)
    assert state["step"] == 20 and state["config"]["dataset"] == "grid-25"
    resumed = Trainer(config, checkpoint=state)
    part2 = metrics(resumed)
    assert min(part2) == 21 and resumed.step == 40
    assert {**part1, **part2} == pytest.approx(straight)
    assert resumed.lrs == pytest.approx(uninterrupted.lrs)


def test_controls_survive_a_checkpoint(tmp_path: Path) -> None:
    trainer = Trainer(CONFIG)
    trainer.send(Command("set_lr", target="g", value=5e-4))
    trainer.send(Command("freeze", target="d", value=True))
    metrics(trainer, stop_at=5)
    resumed = Trainer(
        CONFIG, checkpoint=load_checkpoint(save_checkpoint(trainer.state_dict(), tmp_path / "c.pt"))
    )
    assert resumed.lrs[0] == 5e-4 and resumed.nets.freeze_d


def test_a_rate_set_late_in_a_decay_survives_a_checkpoint(tmp_path: Path) -> None:
    trainer = Trainer(CONFIG.model_copy(update={"lr_decay": 1.0}))
    for event in trainer.events():
        if isinstance(event, MetricsEvent) and event.step == 30:
            trainer.send(Command("set_lr", target="g", value=1.0))  # the slider's top
        if isinstance(event, MetricsEvent) and event.step == 35:
            trainer.send(Command("stop"))
    base = trainer.controls.state()["lr_g"]
    assert base > 1.0  # the set rate before the decay's scale at step 30
    state = load_checkpoint(save_checkpoint(trainer.state_dict(), tmp_path / "c.pt"))
    resumed = Trainer(trainer.config, checkpoint=state)
    assert resumed.lrs[0] == pytest.approx(base * decay_scale(36, 40, 1.0))


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")
