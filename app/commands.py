"""How a REST change of a run's controls becomes the trainer command that applies it."""

from __future__ import annotations

from typing import Any

from gan_core.events import Command

_BY_CONTROL: dict[str, tuple[str, str | None]] = {
    "lr_g": ("set_lr", "g"),
    "lr_d": ("set_lr", "d"),
    "freeze_g": ("freeze", "g"),
    "freeze_d": ("freeze", "d"),
    "d_steps": ("set_k", None),
    "loss": ("set_loss", None),
    "optimizer_g": ("set_optimizer", "g"),
    "optimizer_d": ("set_optimizer", "d"),
    "pace": ("set_pace", None),
    "manifold_dims": ("set_view", None),
}


def control_command(name: str, value: Any) -> Command:
    """The command for one key of a ControlsUpdate (KeyError for an unknown key)."""
    kind, target = _BY_CONTROL[name]
    return Command(kind, target=target, value=value)  # type: ignore[arg-type]
