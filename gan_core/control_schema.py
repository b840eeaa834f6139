"""The live controls of a run, declared once: each key, its bounds, its help text and the
trainer command that applies it. The REST body, its validation, the OpenAPI document,
the server's command mapping and the trainer's checkpointed state all read this model.

No torch here: the server imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from gan_core.config import LossName, OptimizerName
from gan_core.events import MAX_PACE, Command, CommandName


@dataclass(frozen=True)
class Applies:
    """The trainer command a control key becomes, and the network it targets."""

    command: CommandName
    target: str | None = None


class ControlsUpdate(BaseModel):
    """A partial change of the controls, applied between steps."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    lr_g: Annotated[float | None, Applies("set_lr", "g")] = Field(
        default=None, gt=0, le=1, description="G's learning rate."
    )
    lr_d: Annotated[float | None, Applies("set_lr", "d")] = Field(
        default=None, gt=0, le=1, description="D's learning rate."
    )
    freeze_g: Annotated[bool | None, Applies("freeze", "g")] = Field(
        default=None, description="Stop updating G."
    )
    freeze_d: Annotated[bool | None, Applies("freeze", "d")] = Field(
        default=None, description="Stop updating D."
    )
    d_steps: Annotated[StrictInt | None, Applies("set_k")] = Field(
        default=None, ge=1, le=20, description="k: D updates per G update."
    )
    loss: Annotated[LossName | None, Applies("set_loss")] = Field(
        default=None, description="The GAN objective from now on."
    )
    optimizer_g: Annotated[OptimizerName | None, Applies("set_optimizer", "g")] = Field(
        default=None, description="G's optimizer (fresh)."
    )
    optimizer_d: Annotated[OptimizerName | None, Applies("set_optimizer", "d")] = Field(
        default=None, description="D's optimizer (fresh)."
    )
    pace: Annotated[float | None, Applies("set_pace")] = Field(
        default=None,
        ge=0,
        le=MAX_PACE,
        description="Slow motion: steps a second with a frame after each (0 = full speed).",
    )
    manifold_dims: Annotated[list[StrictInt] | None, Applies("set_view")] = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="The latent dimensions the manifold spans (distinct, < latent_dim).",
    )

    @field_validator("manifold_dims")
    @classmethod
    def _distinct(cls, dims: list[int] | None) -> list[int] | None:
        if dims is not None and (len(set(dims)) != len(dims) or min(dims) < 0):
            raise ValueError("manifold_dims must be distinct non-negative latent dimensions")
        return dims

    @model_validator(mode="after")
    def _pace_range(self) -> ControlsUpdate:
        if self.pace is not None and 0 < self.pace < 1:
            raise ValueError(f"pace is 0 (full speed) or 1 to {MAX_PACE:g} steps a second")
        return self


CONTROL_KEYS: tuple[str, ...] = tuple(ControlsUpdate.model_fields)


def control_command(name: str, value: Any) -> Command:
    """The command for one key of a ControlsUpdate (KeyError for an unknown key)."""
    applies = next(m for m in ControlsUpdate.model_fields[name].metadata if isinstance(m, Applies))
    return Command(applies.command, target=applies.target, value=value)  # type: ignore[arg-type]
