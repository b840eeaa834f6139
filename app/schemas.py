"""API schemas, named by role (RunCreate, RunPublic, RunsPublic, ...), and body validation."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.settings import Settings
from gan_core.config import RunConfig
from gan_core.events import RunStatus
from gan_core.presets import PRESETS, preset_config

LIVE_STATUSES: frozenset[str] = frozenset({"queued", "running", "paused"})


class PresetCreate(BaseModel):
    """Launch a preset, with RunConfig field overrides."""

    model_config = ConfigDict(extra="forbid")

    preset: str = Field(description="A name from GET /api/presets.")
    overrides: dict[str, Any] = Field(default_factory=dict, description="RunConfig fields.")


RUN_CREATE_SCHEMA: dict[str, Any] = {
    "description": "Either a full RunConfig, or a preset name with RunConfig overrides.",
    "anyOf": [RunConfig.model_json_schema(), PresetCreate.model_json_schema()],
}


class Controls(BaseModel):
    """What can change while a run trains."""

    lr_g: float
    lr_d: float
    freeze_g: bool = False
    freeze_d: bool = False


class ControlsUpdate(BaseModel):
    """A partial change of the controls; learning rates must lie in (0, 1]."""

    model_config = ConfigDict(extra="forbid")

    lr_g: float | None = Field(default=None, gt=0, le=1)
    lr_d: float | None = Field(default=None, gt=0, le=1)
    freeze_g: bool | None = None
    freeze_d: bool | None = None


class LatestMetrics(BaseModel):
    step: int
    loss_d: float | None
    loss_g: float | None
    d_real: float | None
    d_fake: float | None


class RunPublic(BaseModel):
    """A run as the API shows it."""

    id: str
    status: RunStatus
    preset: str | None
    config: dict[str, Any]
    step: int
    total_steps: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    reason: str | None
    queue_position: int | None
    steps_per_second: float | None
    latest_metrics: LatestMetrics | None
    latest_quality: dict[str, Any] | None
    controls: Controls
    alerts: int


class RunsPublic(BaseModel):
    data: list[RunPublic]
    count: int = Field(description="Runs matching the filter (for pagination).")


class MetricsHistory(BaseModel):
    """Per-step training figures, columnar."""

    steps: list[int]
    loss_d: list[float | None]
    loss_g: list[float | None]
    d_real: list[float | None]
    d_fake: list[float | None]
    grad_g: list[float | None]
    grad_d: list[float | None]


class PresetPublic(BaseModel):
    name: str
    description: str
    config: dict[str, Any]


class PresetsPublic(BaseModel):
    data: list[PresetPublic]
    count: int


class DatasetsPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


class Health(BaseModel):
    status: str
    runs_running: int
    runs_queued: int
    version: str


def _error(loc: tuple[Any, ...], msg: str, kind: str, **ctx: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
    if ctx:
        error["ctx"] = ctx
    return error


def _rebased(exc: ValidationError, prefix: tuple[str, ...]) -> RequestValidationError:
    """pydantic's errors under ``prefix``, so the last loc element stays the field name."""
    errors = [
        _error(prefix + tuple(e["loc"]), e["msg"], e["type"]) for e in exc.errors(include_url=False)
    ]
    return RequestValidationError(errors)


def parse_run_create(body: Any, settings: Settings) -> tuple[RunConfig, str | None]:
    """Validate a RunCreate body into (config, preset); RequestValidationError (422) otherwise."""
    if not isinstance(body, dict):
        raise RequestValidationError([_error(("body",), "expected an object", "dict_type")])
    if "preset" in body:
        try:
            request = PresetCreate.model_validate(body)
        except ValidationError as exc:
            raise _rebased(exc, ("body",)) from None
        if request.preset not in PRESETS:
            msg = f"unknown preset {request.preset!r}; choose one of {', '.join(PRESETS)}"
            raise RequestValidationError([_error(("body", "preset"), msg, "value_error")])
        prefix: tuple[str, ...] = ("body", "overrides")
        try:
            config = preset_config(request.preset, request.overrides)
        except ValidationError as exc:
            raise _rebased(exc, prefix) from None
        preset: str | None = request.preset
    else:
        prefix = ("body",)
        try:
            config = RunConfig.model_validate(body)
        except ValidationError as exc:
            raise _rebased(exc, prefix) from None
        preset = None
    check_limits(config, settings, prefix)
    return config, preset


def check_limits(config: RunConfig, settings: Settings, prefix: tuple[str, ...]) -> None:
    """The server's own bounds, tighter than RunConfig's: 422 naming the field and the limit."""
    limits = {
        "steps": settings.max_steps,
        "batch_size": settings.max_batch_size,
        "g_hidden": settings.max_width,
        "d_hidden": settings.max_width,
        "g_layers": settings.max_depth,
        "d_layers": settings.max_depth,
    }
    errors = [
        _error(prefix + (name,), f"Input should be less than or equal to {limit} on this server",
               "less_than_equal", le=limit)
        for name, limit in limits.items()
        if getattr(config, name) > limit
    ]
    if errors:
        raise RequestValidationError(errors)
