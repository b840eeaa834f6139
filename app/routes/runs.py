"""REST for runs: create, list, read, commands, controls, delete, metrics, samples, checkpoint."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from fastapi.responses import FileResponse

from app import limits
from app.deps import RunManagerDep, SettingsDep, TokenDep
from app.manager import QueueFull, RunConflict, RunNotFound
from app.retention import KEEP_SAMPLES
from app.schemas import (
    RUN_CREATE_SCHEMA,
    ControlsUpdate,
    MetricsHistory,
    RunPublic,
    RunsPublic,
    SamplesHistory,
    StepRequest,
    errors,
    parse_run_create,
)
from gan_core.config import RunConfig
from gan_core.events import METRIC_FIELDS, RunStatus

router = APIRouter(prefix="/api/runs", tags=["runs"], dependencies=[TokenDep])

NOT_FOUND = "Run not found"
CSV_COLUMNS = ("step", *METRIC_FIELDS)
MAX_OFFSET = 2**53  # past any count SQLite holds, inside its 64-bit integers


def _too_many(exc: QueueFull) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": str(exc.retry_after)}
    )


async def _call(action: Any) -> Any:
    """Await a manager call, mapping its errors to 404 / 409 / 429."""
    try:
        return await action
    except RunNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
    except RunConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except QueueFull as exc:
        raise _too_many(exc) from None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RunPublic,
    responses=errors(413, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RUN_CREATE_SCHEMA}},
        }
    },
)
async def create_run(
    manager: RunManagerDep, settings: SettingsDep, body: Annotated[Any, Body()] = None
) -> Any:
    """Queue a run: a full RunConfig, or ``{"preset": NAME, "overrides": {...}}``; either may
    add ``"start_paused": true`` (the run waits paused at step 0 for step commands)."""
    config, preset, start_paused = await asyncio.to_thread(
        parse_run_create, body, settings, manager.dataset_shape
    )
    try:
        return manager.create(config, preset, start_paused)
    except QueueFull as exc:
        raise _too_many(exc) from None
    except RunConflict as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None


@router.get("", response_model=RunsPublic, responses=errors(422))
async def list_runs(
    manager: RunManagerDep,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Runs, newest first; ``count`` is the number matching the filter."""
    runs, count = await manager.list_runs(status_, limit, offset)
    return {"data": runs, "count": count}


@router.get("/{run_id}", response_model=RunPublic, responses=errors(404))
async def read_run(run_id: str, manager: RunManagerDep) -> Any:
    return await _call(manager.get(run_id))


@router.post("/{run_id}/stop", response_model=RunPublic, responses=errors(404, 409))
async def stop_run(run_id: str, manager: RunManagerDep) -> Any:
    """Stop a queued run at once, or a running one after its final checkpoint."""
    return await _call(manager.stop(run_id))


@router.post("/{run_id}/pause", response_model=RunPublic, responses=errors(404, 409))
async def pause_run(run_id: str, manager: RunManagerDep) -> Any:
    return await _call(manager.pause(run_id))


@router.post("/{run_id}/resume", response_model=RunPublic, responses=errors(404, 409, 429))
async def resume_run(run_id: str, manager: RunManagerDep) -> Any:
    """Resume a paused run, or re-queue an interrupted or stopped one from its checkpoint
    (the newest one whose history the server holds; from the start when there is none)."""
    return await _call(manager.resume(run_id))


@router.post("/{run_id}/step", response_model=RunPublic, responses=errors(404, 409, 422))
async def step_run(run_id: str, body: StepRequest, manager: RunManagerDep) -> Any:
    """Run ``count`` D updates, G updates or full iterations of a paused run; it then sends
    one metrics and one samples frame. 409 unless the run is paused."""
    return await _call(manager.step(run_id, body.network, body.count))


@router.patch("/{run_id}/controls", response_model=RunPublic, responses=errors(404, 409, 413, 422))
async def update_controls(
    run_id: str, changes: ControlsUpdate, manager: RunManagerDep, settings: SettingsDep
) -> Any:
    """Change learning rates, k, the loss, an optimizer, the slow-motion pace or the
    manifold's latent dimensions, or freeze a network, while the run trains. 422 for a
    pace whose frames (one after every step) would pass the server's stream limits."""
    if changes.pace:
        config = RunConfig.model_validate((await _call(manager.get(run_id)))["config"])
        shape = await asyncio.to_thread(manager.dataset_shape, config)
        shape = shape or limits.sample_shape(config)  # its set was deleted: the built-in guess
        top = limits.max_pace(config, shape, limits.bounds_of(settings))
        if changes.pace > top:
            frame = limits.frame_bytes(config, shape)
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"pace {changes.pace:g} would send {frame * changes.pace:.3g}"
                f" bytes of frames a second; this run's frames allow at most {int(top)} steps/s"
                " (GANWATCH_MAX_STREAM_BYTES_PER_SECOND, GANWATCH_MAX_FRAMES_PER_SECOND)",
            )
    return await _call(manager.set_controls(run_id, changes.model_dump(exclude_none=True)))


@router.delete("/{run_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409))
async def delete_run(run_id: str, manager: RunManagerDep) -> Response:
    """Delete a finished run with its history and checkpoint."""
    await _call(manager.delete(run_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{run_id}/metrics",
    response_model=MetricsHistory,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **errors(404, 422)},
)
async def read_metrics(
    run_id: str,
    manager: RunManagerDep,
    max_points: Annotated[int | None, Query(ge=2, le=1_000_000)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Per-step metrics, columnar; ``max_points`` keeps every n-th step plus the last."""
    history = await _call(manager.metrics(run_id, max_points or 1_000_000_000))
    if format == "json":
        return history
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(zip(history["steps"], *(history[n] for n in METRIC_FIELDS), strict=True))
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{run_id}-metrics.csv"'},
    )


@router.get("/{run_id}/samples", response_model=SamplesHistory, responses=errors(404, 422))
async def read_samples(
    run_id: str,
    manager: RunManagerDep,
    max_frames: Annotated[int, Query(ge=2, le=KEEP_SAMPLES["points"])] = 200,
) -> Any:
    """The data view's stored frames in step order, at most ``max_frames``, evenly spread
    over the run with the first and the newest included: a replay of the whole run."""
    return {"frames": await _call(manager.samples(run_id, max_frames))}


@router.get(
    "/{run_id}/samples/latest",
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        **errors(404, 422),
    },
)
async def read_latest_samples(
    run_id: str,
    manager: RunManagerDep,
    format: Annotated[Literal["json", "png"], Query()] = "json",
) -> Any:
    """The latest samples frame, or (``format=png``) an image run's latest grid."""
    frame = await _call(manager.latest_samples(run_id))
    if frame is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No samples yet")
    if format == "json":
        return frame
    if frame.get("image_png") is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Point runs have no image; use format=json")
    return Response(base64.b64decode(frame["image_png"]), media_type="image/png")


@router.get(
    "/{run_id}/checkpoint",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        },
        **errors(404),
    },
)
async def download_checkpoint(run_id: str, manager: RunManagerDep) -> Any:
    """The run's latest checkpoint (a torch file)."""
    path = await _call(manager.latest_checkpoint(run_id))
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No checkpoint")
    return FileResponse(
        path, media_type="application/octet-stream", filename=f"{run_id}-checkpoint.pt"
    )
