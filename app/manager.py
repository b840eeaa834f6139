"""RunManager: the queue of runs, their state machine, commands, and dispatch to the executor.

Executor frames arrive on background threads; :mod:`app.intake` encodes each there once
and the sink hops it onto the event loop (``call_soon_threadsafe``). On the loop a frame
updates the run's in-memory row (only live runs are held: queued, running, paused), goes
to the store's write queue and to the run's viewers; the run list hears of it through
:class:`~app.runlist.RunListFeed`. Requests on one run are serialised by a lock per run,
so that, say, a delete cannot interleave with a resume. History lives in SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import checkpoints, framing, history, intake, lifecycle, limits
from app.hub import Hub, Message
from app.jobs import CUT_OFF, CommandQueueFull, EventSink, Executor
from app.records import Row, new_row, now_iso, public
from app.runlist import RunListFeed
from app.settings import Settings
from app.store import Store
from app.uploads import UploadedSets
from gan_core.catalog import has_image_folder
from gan_core.config import BUILTIN_DATASETS, RunConfig
from gan_core.control_schema import control_command
from gan_core.events import Command, StatusEvent, frame_of
from gan_core.plugins import check_params, dataset_plugins

log = logging.getLogger(__name__)

INTERRUPTED = "server stopped while the run was active"
RETRY_AFTER = 10  # seconds a client refused for a full queue is told to wait
ExecutorFactory = Callable[[EventSink], Executor]


class RunNotFound(Exception):
    """No run with that id."""


class RunConflict(Exception):
    """The run is not in a state that allows the request."""


class QueueFull(Exception):
    """As many runs wait as the server allows; try again after ``retry_after`` seconds."""

    def __init__(self, queued: int, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(f"{queued} runs are waiting already; try again later")
        self.retry_after = retry_after


def make_executor(settings: Settings, sink: EventSink) -> Executor:
    """The executor ``settings.executor`` names (the Ray one loads ray only when chosen)."""
    if settings.executor == "ray":
        from app.jobs.ray_executor import RayExecutor

        return RayExecutor(
            sink,
            slots=settings.max_concurrent_runs,
            cache_dir=settings.cache_dir,
            address=settings.ray_address,
            cpus_per_run=settings.ray_cpus_per_run,
            stop_timeout=settings.stop_timeout,
        )
    from app.jobs import LocalExecutor

    return LocalExecutor(
        sink,
        slots=settings.slots(),
        cache_dir=settings.cache_dir,
        gpus=settings.gpu_count(),
        warm=settings.warm_worker,
        stop_timeout=settings.stop_timeout,
        watchdog_timeout=settings.watchdog_timeout,
    )


class RunManager:
    """Owns the live runs; every method runs on the event loop."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        hub: Hub,
        executor_factory: ExecutorFactory | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self.uploads = UploadedSets(settings.datasets_dir, settings.max_upload_points)
        self._factory = executor_factory or (lambda sink: make_executor(settings, sink))
        self._executor: Executor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._feed: RunListFeed | None = None
        self._live: dict[str, Row] = {}
        self._queue: dict[str, None] = {}  # queued run ids, oldest first
        self._positions: dict[str, int] | None = None  # 1-based, rebuilt once per change
        self._running: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._start_paused: set[str] = set()  # queued runs to start paused
        self._closing = False

    # --- lifecycle ---
    async def start(self) -> None:
        """Mark runs cut off by the last shutdown interrupted, re-queue queued ones, start."""
        self._loop = asyncio.get_running_loop()
        self._feed = RunListFeed(self.hub, self._loop, self.live_public)
        for row in await asyncio.to_thread(self.store.runs_with_status, tuple(lifecycle.ACTIVE)):
            log.warning(
                "run %s: was %s at the last shutdown, now interrupted", row["id"], row["status"]
            )
            self._set_status(row, "interrupted", INTERRUPTED)
        for row in await asyncio.to_thread(self.store.runs_with_status, ("queued",)):
            self._live[row["id"]] = row
            self._queue[row["id"]] = None
        self._positions = None
        self._executor = self._factory(self._sink)
        await asyncio.to_thread(self._executor.start)
        self._queue_changed()
        self._dispatch()

    async def shutdown(self) -> None:
        """Stop running runs gracefully (final checkpoints); they end ``interrupted``."""
        self._closing = True
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown)
        for run_id in list(self._running):  # no final frame came: the worker did not stop
            self._finish(self._live[run_id], "interrupted", INTERRUPTED)
        if self._feed is not None:
            self._feed.close()
        self.hub.close()

    @property
    def executor(self) -> Executor:
        """The executor runs go to (started with the manager)."""
        if self._executor is None:
            raise RuntimeError("the run manager has not started")
        return self._executor

    @property
    def feed(self) -> RunListFeed:
        if self._feed is None:
            raise RuntimeError("the run manager has not started")
        return self._feed

    @property
    def slots(self) -> int:
        """Runs that may train at once."""
        return self._executor.slots if self._executor is not None else self.settings.slots()

    # --- reads ---
    def position(self, run_id: str) -> int | None:
        """1-based place in the queue, None when not queued."""
        if run_id not in self._queue:
            return None
        if self._positions is None:
            self._positions = {rid: i for i, rid in enumerate(self._queue, start=1)}
        return self._positions[run_id]

    def live_public(self, run_id: str) -> dict[str, Any] | None:
        row = self._live.get(run_id)
        return None if row is None else public(row, self.position(run_id))

    def dataset_shape(self, config: RunConfig) -> tuple[int, ...] | None:
        """The shape of one sample of ``config``'s dataset on this server, None when there
        is no such set: a built-in set, an uploaded one, or an image folder in the data
        folder (3 channels unless image_channels is 'gray', an upper estimate for 'auto') or
        a dataset plugin (pydantic's ValidationError when it refuses ``dataset_params``)."""
        if config.dataset in BUILTIN_DATASETS:
            return limits.sample_shape(config)
        upload = self.uploads.get(config.dataset)
        if upload is not None:
            return (int(upload["dim"]),)
        if has_image_folder(config.dataset, self._data_root(config)):
            channels = 1 if config.image_channels == "gray" else 3
            return (channels, config.image_size, config.image_size)
        plugin = dataset_plugins().get(config.dataset)
        if plugin is None:
            return None
        return tuple(plugin.sample_shape(check_params(plugin, config.dataset_params)))

    def _still_there(self, row: Row) -> bool:
        """Whether the dataset of a queued run is still on this server (it may have been
        deleted, or its folder or plugin removed, since the run was queued)."""
        try:
            return self.dataset_shape(RunConfig(**row["config"])) is not None
        except ValueError:  # pydantic's ValidationError: the plugin changed its parameters
            return False

    def _data_root(self, config: RunConfig) -> Path:
        return Path(config.data_dir) if config.data_dir else self.settings.data_dir

    def runs_using(self, dataset: str) -> list[str]:
        """Ids of the live runs (queued, running, paused) that train on ``dataset``."""
        return [run_id for run_id, row in self._live.items() if row["config"]["dataset"] == dataset]

    async def get(self, run_id: str) -> dict[str, Any]:
        if (live := self.live_public(run_id)) is not None:
            return live
        row = await asyncio.to_thread(self.store.get_run, run_id)
        if row is None:
            raise RunNotFound(run_id)
        return public(row)

    async def list_runs(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Newest first; live runs as the manager knows them now."""
        rows, count = await asyncio.to_thread(self.store.list_runs, status, limit, offset)
        return [self.live_public(r["id"]) or public(r) for r in rows], count

    def counts(self) -> tuple[int, int]:
        """(running or paused, queued) runs."""
        return len(self._running), len(self._queue)

    async def metrics(self, run_id: str, max_points: int) -> dict[str, list[Any]]:
        await self.get(run_id)
        return await asyncio.to_thread(self.store.metrics, run_id, max_points)

    async def latest_samples(self, run_id: str) -> dict[str, Any] | None:
        await self.get(run_id)
        return await asyncio.to_thread(history.latest_samples, self.store, run_id)

    async def samples(self, run_id: str, max_frames: int) -> list[dict[str, Any]]:
        """Stored samples frames, evenly spread by step, for a replay."""
        await self.get(run_id)
        return await asyncio.to_thread(self.store.samples, run_id, max_frames)

    async def history(self, run_id: str) -> dict[str, Any]:
        """What a late joiner needs to draw the run so far."""
        return await asyncio.to_thread(
            history.snapshot_history, self.store, run_id, self.settings.history_points
        )

    def run_dir(self, run_id: str) -> Path:
        return self.settings.runs_dir / run_id

    async def latest_checkpoint(self, run_id: str) -> Path | None:
        """The run's newest checkpoint file (RunNotFound for an unknown run)."""
        await self.get(run_id)
        found = await asyncio.to_thread(checkpoints.latest, self.run_dir(run_id))
        return None if found is None else found[1]

    # --- requests ---
    def create(
        self, config: RunConfig, preset: str | None, start_paused: bool = False
    ) -> dict[str, Any]:
        """Queue a new run and start it when a slot is free (``start_paused``: to wait paused
        at step 0 once built)."""
        if self._closing or self._executor is None:
            raise RunConflict("the server is not accepting runs")
        if len(self._queue) >= self.settings.max_queued_runs:
            raise QueueFull(len(self._queue))
        reads_files = config.dataset in ("mnist", "fashion-mnist") or (
            config.dataset not in BUILTIN_DATASETS and self.uploads.get(config.dataset) is None
        )  # an IDX set or an image folder
        if reads_files and config.data_dir is None:
            # Workers must look where this server was told to, whatever their environment.
            config = RunConfig.model_validate(
                {**config.model_dump(), "data_dir": str(self.settings.data_dir.resolve())}
            )
        row = new_row(config, preset)
        self.store.insert_run(row)
        if start_paused:
            self._start_paused.add(row["id"])
        self.store.add_transition(row["id"], "queued", 0, None, row["created_at"])
        log.info("run %s: queued (%s)", row["id"], preset or config.dataset)
        self._enqueue(row)
        return public(row, self.position(row["id"]))

    async def stop(self, run_id: str) -> dict[str, Any]:
        async with self._lock(run_id):
            row = await self._live_row(run_id, "stop")
            if run_id in self._queue:
                self._dequeue(run_id)
                self._finish(row, "stopped", "stopped before it started")
                self._queue_changed()
            else:
                self._command(run_id, Command("stop"))
            return public(row, self.position(run_id))

    async def pause(self, run_id: str) -> dict[str, Any]:
        async with self._lock(run_id):
            row = await self._live_row(run_id, "pause")
            self._command(run_id, Command("pause"))
            return public(row)

    async def resume(self, run_id: str) -> dict[str, Any]:
        """Resume a paused run, or re-queue an interrupted or stopped one.

        A re-queued run continues from its newest checkpoint at or before the last step
        the store holds (history past it is dropped, so the curve has no gap and no step
        twice), or from the start when there is none.
        """
        async with self._lock(run_id):
            if run_id in self._live:
                row = await self._live_row(run_id, "resume")
                self._command(run_id, Command("resume"))
                return public(row)
            stored = await asyncio.to_thread(self.store.get_run, run_id)
            if stored is None:
                raise RunNotFound(run_id)
            row = stored
            if not lifecycle.allows("resume", row["status"]):
                raise RunConflict(f"cannot resume a {row['status']} run")
            shape = await asyncio.to_thread(self.dataset_shape, RunConfig(**row["config"]))
            if shape is None:
                raise RunConflict(f"its dataset {row['config']['dataset']!r} was deleted")
            if len(self._queue) >= self.settings.max_queued_runs:
                raise QueueFull(len(self._queue))
            stored_step = await asyncio.to_thread(self.store.last_metrics_step, run_id) or 0
            point = await asyncio.to_thread(self._rewind, run_id, stored_step)
            self.store.truncate_after(run_id, point)
            row.update(
                step=point, checkpoint_step=point or None, resume=1, finished_at=None, reason=None
            )
            self._set_status(row, "queued")
            self.store.update_run(
                run_id, step=point, checkpoint_step=row["checkpoint_step"], resume=1
            )
            self._enqueue(row)
            log.info("run %s: queued to resume from step %d", run_id, point)
            return public(row, self.position(run_id))

    async def step(self, run_id: str, network: str, count: int) -> dict[str, Any]:
        """Run ``count`` manual updates of a paused run (``network``: d, g or both)."""
        async with self._lock(run_id):
            row = await self._live_row(run_id, "step")
            self._command(run_id, Command("step", target=network, value=count))  # type: ignore[arg-type]
            return public(row)

    async def set_controls(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        async with self._lock(run_id):
            row = await self._live_row(run_id, "controls")
            for name, value in changes.items():
                self._command(run_id, control_command(name, value))
            row["controls"] = {**row["controls"], **changes}
            self.store.update_run(run_id, controls=row["controls"])
            self.feed.changed(run_id, now=True)
            return public(row)

    async def delete(self, run_id: str) -> None:
        async with self._lock(run_id):
            if run_id in self._live:
                status = self._live[run_id]["status"]
                raise RunConflict(f"cannot delete a {status} run; stop it first")
            if await asyncio.to_thread(self.store.get_run, run_id) is None:
                raise RunNotFound(run_id)
            self.store.delete_run(run_id)
            await asyncio.to_thread(shutil.rmtree, self.run_dir(run_id), True)
            self.feed.deleted(run_id)
            log.info("run %s: deleted", run_id)
        self._locks.pop(run_id, None)

    # --- internals ---
    def _lock(self, run_id: str) -> asyncio.Lock:
        return self._locks.setdefault(run_id, asyncio.Lock())

    def _rewind(self, run_id: str, stored_step: int) -> int:
        """Keep the checkpoint a resume starts from, drop newer ones; its step (0: none)."""
        run_dir = self.run_dir(run_id)
        point = checkpoints.resume_point(run_dir, stored_step)
        step = point[0] if point is not None else 0
        for later, path in checkpoints.checkpoints(run_dir):
            if later > step:
                path.unlink(missing_ok=True)  # from a timeline the resumed run will not have
        return step

    async def _live_row(self, run_id: str, action: str) -> Row:
        """The live run ``run_id`` if its status allows ``action``; RunNotFound / RunConflict."""
        row = self._live.get(run_id)
        if row is None:
            stored = await asyncio.to_thread(self.store.get_run, run_id)
            if stored is None:
                raise RunNotFound(run_id)
            raise RunConflict(f"cannot {action} a {stored['status']} run")
        if not lifecycle.allows(action, row["status"]):
            raise RunConflict(f"cannot {action} a {row['status']} run")
        return row

    def _command(self, run_id: str, command: Command) -> None:
        try:
            self.executor.command(run_id, command)
        except KeyError:
            raise RunConflict("the run is between states; try again") from None
        except CommandQueueFull:
            raise RunConflict("the run has too many commands pending; try again") from None
        log.info(
            "run %s: %s %s %s",
            run_id,
            command.name,
            command.target or "",
            "" if command.value is None else command.value,
        )

    def _enqueue(self, row: Row) -> None:
        self._live[row["id"]] = row
        self._queue[row["id"]] = None
        self._positions = None
        self.feed.changed(row["id"], now=True)
        self._queue_changed()
        self._dispatch()

    def _dequeue(self, run_id: str) -> None:
        del self._queue[run_id]
        self._positions = None

    def _queue_changed(self) -> None:
        """One ``positions`` frame for the run list, however many runs moved."""
        self.feed.positions(list(self._queue))

    def _dispatch(self) -> None:
        """Launch queued runs while slots are free."""
        launched = False
        while (
            self._executor
            and self._queue
            and not self._closing
            and len(self._running) < self._executor.slots
        ):
            run_id = next(iter(self._queue))
            self._dequeue(run_id)
            row = self._live[run_id]
            launched = True
            dataset = row["config"]["dataset"]
            points = None if dataset in BUILTIN_DATASETS else self.uploads.points(dataset)
            if points is None and not self._still_there(row):
                self._finish(row, "failed", f"the dataset {dataset!r} is gone from this server")
                continue
            try:
                self._executor.launch(
                    run_id,
                    row["config"],
                    self.run_dir(run_id),
                    resume_from=self._resume_from(row),
                    start_paused=run_id in self._start_paused,
                    points=points,
                )
                self._start_paused.discard(run_id)
            except RuntimeError as exc:
                log.error("run %s: launch failed: %s", run_id, exc)
                self._finish(row, "failed", f"launch failed: {exc}")
                continue
            self._running.add(run_id)
            row["started_at"] = row["started_at"] or now_iso()
            self.store.update_run(run_id, started_at=row["started_at"])
            self._set_status(row, "running")
            self.hub.publish(run_id, framing.message(self._status_frame(row)))
            self.feed.changed(run_id, now=True)
            log.info("run %s: launched%s", run_id, " (resume)" if row["resume"] else "")
        if launched:
            self._queue_changed()

    def _resume_from(self, row: Row) -> Path | None:
        """The checkpoint a re-queued run continues from (None: it starts afresh)."""
        if not row["resume"] or not row["checkpoint_step"]:
            return None
        path = checkpoints.checkpoint_path(self.run_dir(row["id"]), row["checkpoint_step"])
        if path.is_file():
            return path
        log.warning(
            "run %s: checkpoint of step %d is gone; starting afresh",
            row["id"],
            row["checkpoint_step"],
        )
        self.store.truncate_after(row["id"], 0)
        row.update(step=0, checkpoint_step=None)
        return None

    def _set_status(self, row: Row, status: str, reason: str | None = None) -> None:
        at = now_iso()
        row.update(status=status, reason=reason)
        fields: dict[str, Any] = {"status": status, "reason": reason, "step": row["step"]}
        if status in lifecycle.TERMINAL:
            row["finished_at"] = fields["finished_at"] = at
        elif status == "queued":
            fields["finished_at"] = None
        self.store.update_run(row["id"], **fields)
        self.store.add_transition(row["id"], status, row["step"], reason, at)

    def _finish(
        self, row: Row, status: str, reason: str | None, message: Message | None = None
    ) -> None:
        """The run leaves the live set with ``status``; viewers hear it (``message`` or ours)."""
        run_id = row["id"]
        self._running.discard(run_id)
        self._live.pop(run_id, None)
        self._set_status(row, status, reason)
        self.hub.publish(run_id, message or framing.message(self._status_frame(row)))
        self.feed.ended(run_id, public(row))
        log.info(
            "run %s: %s at step %d%s", run_id, status, row["step"], f" ({reason})" if reason else ""
        )

    @staticmethod
    def _status_frame(row: Row) -> dict[str, Any]:
        event = StatusEvent(status=row["status"], step=row["step"], reason=row["reason"])
        return {**frame_of(event), "run_id": row["id"]}

    def _sink(self, run_id: str, frame: dict[str, Any]) -> None:
        """Executor threads call this: encode the frame here, hand it to the loop, never block."""
        assert self._loop is not None
        message = intake.prepare(run_id, frame)
        try:
            self._loop.call_soon_threadsafe(self._on_frame, run_id, message)
        except RuntimeError:
            log.warning("run %s: %s frame after the loop closed", run_id, frame.get("type"))

    def _on_frame(self, run_id: str, message: Message) -> None:
        row = self._live.get(run_id)
        frame = message.frame
        if row is None:
            log.warning("run %s: %s frame for a run that is not live", run_id, frame.get("type"))
            return
        if frame.get("type") == "status":
            self._on_status(row, message)
            return
        urgent = intake.record(self.store, row, message)
        self.hub.publish(run_id, message)
        self.feed.changed(run_id, now=urgent)

    def _on_status(self, row: Row, message: Message) -> None:
        frame = message.frame
        status, reason = frame["status"], frame.get("reason")
        if status in lifecycle.ENDED_BY_TRAINER:
            row["step"] = max(row["step"], frame["step"])
            if self._closing and (status == "stopped" or reason == CUT_OFF):
                status, reason = "interrupted", INTERRUPTED
                frame = {**frame, "status": status, "reason": reason}
                message = framing.message(frame)
            self._finish(row, status, reason, message)
            self._dispatch()
            return
        if frame.get("config") is not None and frame["step"] != row["step"]:
            # A run's first frame says where it really starts: its checkpoint's own step.
            log.warning(
                "run %s: starts at step %d, not %d; history truncated there",
                row["id"],
                frame["step"],
                row["step"],
            )
            self.store.truncate_after(row["id"], frame["step"])
            row["step"] = frame["step"]
        changed = status != row["status"]
        if changed:
            self._set_status(row, status, reason)
        self.hub.publish(row["id"], message)
        self.feed.changed(row["id"], now=changed)
