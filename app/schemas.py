"""API schemas, named by role (RunCreate, RunPublic, RunsPublic, ...), and body validation."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
)

from app import limits
from app.settings import Settings
from gan_core.config import BUILTIN_MODELS, RunConfig
from gan_core.control_schema import ControlsUpdate
from gan_core.events import RunStatus
from gan_core.plugins import check_params, dataset_plugins, model_plugins
from gan_core.presets import PRESETS, preset_config

PresetName = StrEnum("PresetName", [(name, name) for name in PRESETS])  # type: ignore[misc]


START_PAUSED = "Build the run, send its first frame and wait paused at step 0 (for step commands)."


class PresetCreate(BaseModel):
    """Launch a preset, with RunConfig field overrides."""

    model_config = ConfigDict(extra="forbid")

    preset: PresetName = Field(description="A name from GET /api/presets.")  # type: ignore[valid-type]
    overrides: dict[str, Any] = Field(default_factory=dict, description="RunConfig fields.")
    start_paused: bool = Field(default=False, description=START_PAUSED)


class ErrorPublic(BaseModel):
    """Why a request was refused."""

    detail: Any


ERROR_DESCRIPTIONS = {
    400: "Bad request (e.g. a Host header this server does not answer to)",
    401: "Missing or wrong token (when GANWATCH_TOKEN is set)",
    403: "Cross-site request refused",
    404: "Run (or dataset) not found",
    409: "The run's status does not allow this (or: a dataset's name is taken, or in use)",
    413: "Request body too large",
    422: "Invalid input",
    429: "Too many runs queued; retry after the Retry-After header's seconds",
    503: "The server is shutting down",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for refusals with ``codes`` (plus those every /api route has)."""
    return {
        code: {"model": ErrorPublic, "description": ERROR_DESCRIPTIONS[code]}
        for code in sorted({400, 401, 403, *codes})
    }


def inline_refs(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """``schema`` with its ``$defs`` references written in place: it is embedded in the
    OpenAPI document, where ``#/$defs/...`` would point at nothing."""
    if isinstance(schema, dict):
        defs = {**(defs or {}), **schema.get("$defs", {})}
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return inline_refs(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inline_refs(v, defs) for v in schema]
    return schema


def _with_start_paused(schema: dict[str, Any]) -> dict[str, Any]:
    properties = {
        **schema["properties"],
        "start_paused": {"type": "boolean", "default": False, "description": START_PAUSED},
    }
    return {**schema, "properties": properties}


RUN_CREATE_SCHEMA: dict[str, Any] = {
    "description": "Either a full RunConfig, or a preset name with RunConfig overrides; "
    "either may carry start_paused.",
    "anyOf": [
        _with_start_paused(inline_refs(RunConfig.model_json_schema())),
        inline_refs(PresetCreate.model_json_schema()),
    ],
}


class Controls(ControlsUpdate):
    """What can change while a run trains (the later keys only once changed)."""

    model_config = ConfigDict(extra="ignore")

    lr_g: float
    lr_d: float
    freeze_g: bool = False
    freeze_d: bool = False


class SamplesHistory(BaseModel):
    """Stored samples frames of a run, evenly spread by step, first and last included."""

    frames: list[dict[str, Any]]


class StepRequest(BaseModel):
    """Manual updates of a paused run."""

    model_config = ConfigDict(extra="forbid")

    network: Literal["d", "g", "both"] = Field(
        description="d: D updates; g: G updates; both: full iterations (k D + one G)."
    )
    count: StrictInt = Field(default=1, ge=1, le=1000, description="How many; each is one step.")


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


class DatasetPublic(BaseModel):
    """An uploaded point set, as ``POST /api/datasets`` answers and the catalogue lists it."""

    name: str
    kind: str = Field(description="'1d' or '2d'.")
    dim: int
    count: int = Field(description="Points in the set.")
    sample_shape: list[int]
    filename: str
    created_at: float
    uploaded: bool
    available: bool
    description: str


class ModelPublic(BaseModel):
    """A model family: built in, or a plugin with the JSON schema of its parameters."""

    name: str
    description: str
    plugin: bool
    params_schema: dict[str, Any] | None


class ModelsPublic(BaseModel):
    data: list[ModelPublic]
    count: int


class DatasetsPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


class StoreHealth(BaseModel):
    """The database writer: ``ok``, ``retrying`` (a batch keeps failing) or ``stopped``."""

    state: str
    pending: int
    last_error: str | None
    restarts: int


class ExecutorHealth(BaseModel):
    kind: str = Field(description="local or ray")
    state: str = Field(description="ok, or unavailable (e.g. Ray unreachable): runs cannot launch")
    detail: str | None = Field(description="Why it is unavailable")
    slots: int = Field(description="Runs that may train at once")
    slots_from: str = Field(description="setting (max_concurrent_runs, GPUs) or cluster (its CPUs)")


class Health(BaseModel):
    status: str = Field(
        description="ok, or degraded while the store cannot commit or the executor is unavailable"
    )
    runs_running: int
    runs_queued: int
    version: str
    store: StoreHealth
    executor: ExecutorHealth


class TicketPublic(BaseModel):
    """A single-use websocket ticket: open ``/ws/...?ticket=<ticket>`` within ``expires_in`` s."""

    ticket: str
    expires_in: float


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


def parse_run_create(
    body: Any, settings: Settings, shape_of: Callable[[RunConfig], tuple[int, ...] | None]
) -> tuple[RunConfig, str | None, bool]:
    """Validate a RunCreate body into (config, preset, start_paused); RequestValidationError
    (422) otherwise. ``shape_of`` gives the shape of one sample of a config's dataset on this
    server (built in, uploaded or an image folder), None when it has no such set."""
    if not isinstance(body, dict):
        raise RequestValidationError([_error(("body",), "expected an object", "dict_type")])
    start_paused = body.get("start_paused", False)
    if not isinstance(start_paused, bool):
        raise RequestValidationError(
            [_error(("body", "start_paused"), "expected a boolean", "bool_type")]
        )
    if "preset" in body:
        try:
            request = PresetCreate.model_validate(body)
        except ValidationError as exc:
            raise _rebased(exc, ("body",)) from None
        prefix: tuple[str, ...] = ("body", "overrides")
        try:
            config = preset_config(request.preset.value, request.overrides)
        except ValidationError as exc:
            raise _rebased(exc, prefix) from None
        preset: str | None = request.preset.value
    else:
        prefix = ("body",)
        try:
            config = RunConfig.model_validate(
                {k: v for k, v in body.items() if k != "start_paused"}
            )
        except ValidationError as exc:
            raise _rebased(exc, prefix) from None
        preset = None
    config = confine_data_dir(config, settings, prefix)
    check_plugins(config, prefix)
    try:
        shape = shape_of(config)
    except ValidationError as exc:  # a dataset plugin refused its parameters
        raise _rebased(exc, prefix + ("dataset_params",)) from None
    if shape is None:
        msg = f"no dataset named {config.dataset!r} on this server (GET /api/datasets lists them)"
        raise RequestValidationError([_error(prefix + ("dataset",), msg, "unknown_dataset")])
    if config.model == "dcgan" and len(shape) != 3:
        msg = f"model: 'dcgan' needs an image dataset; {config.dataset!r} holds points"
        raise RequestValidationError([_error(prefix + ("model",), msg, "value_error")])
    check_limits(config, shape, settings, prefix)
    return config, preset, start_paused


def check_plugins(config: RunConfig, prefix: tuple[str, ...]) -> None:
    """A plugin model must be installed and take its ``model_params``; ``dataset_params``
    are only for a dataset plugin. 422 naming the field otherwise."""
    if config.model not in BUILTIN_MODELS:
        plugin = model_plugins().get(config.model)
        if plugin is None:
            msg = f"no model named {config.model!r} on this server (GET /api/models lists them)"
            raise RequestValidationError([_error(prefix + ("model",), msg, "unknown_model")])
        try:
            check_params(plugin, config.model_params)
        except ValidationError as exc:
            raise _rebased(exc, prefix + ("model_params",)) from None
    if config.dataset_params and config.dataset not in dataset_plugins():
        msg = f"dataset {config.dataset!r} takes no dataset_params (they are a plugin's)"
        raise RequestValidationError([_error(prefix + ("dataset_params",), msg, "value_error")])


def check_limits(
    config: RunConfig, shape: tuple[int, ...], settings: Settings, prefix: tuple[str, ...]
) -> None:
    """The server's own bounds, tighter than RunConfig's, per field and on what the run
    costs (:mod:`app.limits`): 422 naming the fields and the limit."""
    bounds = {
        "steps": settings.max_steps,
        "batch_size": settings.max_batch_size,
        "g_hidden": settings.max_width,
        "d_hidden": settings.max_width,
        "dense_hidden": settings.max_width,
        "g_layers": settings.max_depth,
        "d_layers": settings.max_depth,
    }
    found = [
        _error(
            prefix + (name,),
            f"Input should be less than or equal to {limit} on this server",
            "less_than_equal",
            le=limit,
        )
        for name, limit in bounds.items()
        if getattr(config, name) > limit
    ]
    for name, limit, cost, bound in limits.over_limits(
        config,
        shape,
        limits.bounds_of(settings),
        settings.peak_steps_per_second,
    ):
        msg = (
            f"{name.replace('_', ' ')} would be {cost:.4g} at "
            f"{settings.peak_steps_per_second:g} steps/s, over this server's limit of "
            f"{bound:.4g} (GANWATCH_{limit.setting.upper()}); change "
            f"{', '.join(limit.fields)}"
        )
        found.append(
            _error(
                prefix + (limit.fields[0],),
                msg,
                "cost_limit",
                limit=name,
                fields=list(limit.fields),
                cost=cost,
                bound=bound,
            )
        )
    if found:
        raise RequestValidationError(found)


def confine_data_dir(config: RunConfig, settings: Settings, prefix: tuple[str, ...]) -> RunConfig:
    """``data_dir`` resolved inside GANWATCH_DATA_DIR; 422 (naming no path) outside it."""
    if config.data_dir is None:
        return config
    root = settings.data_dir.resolve()
    given = Path(config.data_dir)
    resolved = (given if given.is_absolute() else root / given).resolve()
    if not resolved.is_relative_to(root):
        msg = "data_dir must be a folder inside the server's data folder (GANWATCH_DATA_DIR)"
        raise RequestValidationError([_error(prefix + ("data_dir",), msg, "value_error")])
    return config.model_copy(update={"data_dir": str(resolved)})
