"""RunManager: the queue of runs, their dispatch to the executor, commands, and event intake.

Executor frames arrive on background threads; the sink only hops them onto the event loop
(``call_soon_threadsafe``). On the loop each frame updates the run's in-memory row (only
live runs are held: queued, running, paused), is queued to the store, and is published to
the run's viewers; run-list viewers get a ``run`` frame on every status change at once and
on progress at most ``LIST_UPDATES_PER_SECOND`` times a second. History lives in SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.hub import Hub
from app.jobs import FINAL_STATUSES, EventSink, Executor
from app.schemas import LIVE_STATUSES
from app.settings import Settings
from app.store import Store
from gan_core.config import RunConfig
from gan_core.events import PROTOCOL_VERSION, Command, StatusEvent, to_frame

log = logging.getLogger(__name__)

INTERRUPTED = "server stopped while the run was active"
LIST_UPDATES_PER_SECOND = 2
SNAPSHOT_IMAGES = 30  # image grids in a snapshot; point runs send only their latest frame
RESUMABLE = frozenset({"interrupted", "stopped"})
ExecutorFactory = Callable[[EventSink], Executor]


class RunNotFound(Exception):
    """No run with that id."""


class RunConflict(Exception):
    """The run is not in a state that allows the request."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def public(row: dict[str, Any], queue_position: int | None = None) -> dict[str, Any]:
    """The RunPublic dict of a run row."""
    return {
        "id": row["id"], "status": row["status"], "preset": row["preset"],
        "config": row["config"], "step": row["step"], "total_steps": row["total_steps"],
        "created_at": row["created_at"], "started_at": row["started_at"],
        "finished_at": row["finished_at"], "reason": row["reason"],
        "queue_position": queue_position, "steps_per_second": row["steps_per_second"],
        "latest_metrics": row["latest_metrics"], "latest_quality": row["latest_quality"],
        "controls": row["controls"], "alerts": row["alerts"],
    }


def make_executor(settings: Settings, sink: EventSink) -> Executor:
    """The executor ``settings.executor`` names."""
    from app.jobs import LocalExecutor

    return LocalExecutor(sink, slots=settings.slots(), cache_dir=settings.cache_dir,
                         gpus=settings.gpu_count(), warm=settings.warm_worker,
                         stop_timeout=settings.stop_timeout)


class RunManager:
    """Owns the live runs; every method runs on the event loop."""

    def __init__(self, settings: Settings, store: Store, hub: Hub,
                 executor_factory: ExecutorFactory | None = None) -> None:
        self.settings = settings
        self.store = store
        self.hub = hub
        self._factory = executor_factory or (lambda sink: make_executor(settings, sink))
        self._executor: Executor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._live: dict[str, dict[str, Any]] = {}
        self._queue: list[str] = []
        self._running: set[str] = set()
        self._listed_at: dict[str, float] = {}
        self._list_timers: dict[str, asyncio.TimerHandle] = {}
        self._closing = False

    # --- lifecycle ---
    async def start(self) -> None:
        """Mark runs cut off by the last shutdown interrupted, re-queue queued ones, start."""
        self._loop = asyncio.get_running_loop()
        for row in await asyncio.to_thread(self.store.runs_with_status, ("running", "paused")):
            log.warning("run %s: was %s at the last shutdown, now interrupted", row["id"],
                        row["status"])
            self._set_status(row, "interrupted", INTERRUPTED)
        for row in await asyncio.to_thread(self.store.runs_with_status, ("queued",)):
            self._live[row["id"]] = row
            self._queue.append(row["id"])
        self._executor = self._factory(self._sink)
        await asyncio.to_thread(self._executor.start)
        self._dispatch()

    async def shutdown(self) -> None:
        """Stop running runs gracefully (final checkpoints); they end ``interrupted``."""
        self._closing = True
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown)
        for run_id in list(self._running):  # no final frame came: the worker did not stop
            self._finish(self._live[run_id], "interrupted", INTERRUPTED)
        for timer in self._list_timers.values():
            timer.cancel()
        self.hub.close()

    @property
    def executor(self) -> Executor:
        """The executor runs go to (started with the manager)."""
        if self._executor is None:
            raise RuntimeError("the run manager has not started")
        return self._executor

    @property
    def slots(self) -> int:
        """Runs that may train at once."""
        return self._executor.slots if self._executor is not None else self.settings.slots()

    # --- reads ---
    def position(self, run_id: str) -> int | None:
        return self._queue.index(run_id) + 1 if run_id in self._queue else None

    def live_public(self, run_id: str) -> dict[str, Any] | None:
        row = self._live.get(run_id)
        return None if row is None else public(row, self.position(run_id))

    async def get(self, run_id: str) -> dict[str, Any]:
        if (live := self.live_public(run_id)) is not None:
            return live
        row = await asyncio.to_thread(self.store.get_run, run_id)
        if row is None:
            raise RunNotFound(run_id)
        return public(row)

    async def list_runs(self, status: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[list[dict[str, Any]], int]:
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
        frames = await asyncio.to_thread(self.store.frames, "samples", run_id, 1)
        return frames[-1] if frames else None

    async def history(self, run_id: str) -> dict[str, Any]:
        """What a late joiner needs to draw the run so far."""
        def read() -> dict[str, Any]:
            samples = self.store.frames("samples", run_id, 1)
            if samples and samples[0].get("kind") == "images":  # the page's scrubber goes back
                samples = self.store.frames("samples", run_id, SNAPSHOT_IMAGES)
            return {
                "metrics": self.store.metrics(run_id, self.settings.history_points),
                "quality": self.store.frames("quality", run_id),
                "alerts": self.store.frames("alerts", run_id),
                "samples": samples,
            }

        return await asyncio.to_thread(read)

    def checkpoint_path(self, run_id: str) -> Path:
        return self.settings.runs_dir / run_id / "checkpoint.pt"

    # --- requests ---
    def create(self, config: RunConfig, preset: str | None) -> dict[str, Any]:
        """Queue a new run and start it when a slot is free."""
        if self._closing or self._executor is None:
            raise RunConflict("the server is not accepting runs")
        if config.dataset in ("mnist", "fashion-mnist") and config.data_dir is None:
            # Workers must look where this server was told to, whatever their environment.
            config = RunConfig.model_validate(
                {**config.model_dump(), "data_dir": str(self.settings.data_dir.resolve())})
        row: dict[str, Any] = {
            "id": uuid.uuid4().hex[:12], "status": "queued", "preset": preset,
            "config": config.model_dump(), "step": 0, "total_steps": config.steps,
            "reason": None, "created_at": now_iso(), "started_at": None, "finished_at": None,
            "latest_metrics": None, "latest_quality": None, "alerts": 0,
            "controls": {"lr_g": config.lr_g, "lr_d": config.lr_d,
                         "freeze_g": False, "freeze_d": False},
            "steps_per_second": None, "checkpoint_step": None, "resume": 0,
        }
        self.store.insert_run(row)
        self.store.add_transition(row["id"], "queued", 0, None, row["created_at"])
        log.info("run %s: queued (%s)", row["id"], preset or config.dataset)
        self._enqueue(row)
        return public(row, self.position(row["id"]))

    async def stop(self, run_id: str) -> dict[str, Any]:
        row = await self._live_row(run_id, "stop")
        if row["status"] == "queued":
            self._queue.remove(run_id)
            self._finish(row, "stopped", "stopped before it started")
            self._positions_changed()
        else:
            self._command(run_id, Command("stop"))
        return public(row, self.position(run_id))

    async def pause(self, run_id: str) -> dict[str, Any]:
        row = await self._live_row(run_id, "pause", ("running",))
        self._command(run_id, Command("pause"))
        return public(row)

    async def resume(self, run_id: str) -> dict[str, Any]:
        """Resume a paused run, or re-queue an interrupted or stopped one from its checkpoint."""
        if run_id in self._live:
            row = await self._live_row(run_id, "resume", ("paused",))
            self._command(run_id, Command("resume"))
            return public(row)
        stored = await asyncio.to_thread(self.store.get_run, run_id)
        if stored is None:
            raise RunNotFound(run_id)
        row = stored
        if row["status"] not in RESUMABLE:
            raise RunConflict(f"cannot resume a {row['status']} run")
        if row["checkpoint_step"] is None or not self.checkpoint_path(run_id).is_file():
            raise RunConflict("the run has no checkpoint to resume from")
        if run_id in self._live:  # resumed by another request while we read
            raise RunConflict("the run is already queued")
        self.store.truncate_after(run_id, row["checkpoint_step"])
        row.update(step=row["checkpoint_step"], resume=1, finished_at=None, reason=None)
        self._set_status(row, "queued")
        self.store.update_run(run_id, step=row["step"], resume=1)
        self._enqueue(row)
        log.info("run %s: queued to resume from step %d", run_id, row["step"])
        return public(row, self.position(run_id))

    async def set_controls(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        row = await self._live_row(run_id, "change the controls of", ("running", "paused"))
        for name, value in changes.items():
            net = name[-1]  # lr_g -> "g"
            kind = "set_lr" if name.startswith("lr_") else "freeze"
            self._command(run_id, Command(kind, target=net, value=value))  # type: ignore[arg-type]
        row["controls"] = {**row["controls"], **changes}
        self.store.update_run(run_id, controls=row["controls"])
        self._list_changed(run_id, now=True)
        return public(row)

    async def delete(self, run_id: str) -> None:
        if run_id in self._live:
            raise RunConflict(f"cannot delete a {self._live[run_id]['status']} run; stop it first")
        if await asyncio.to_thread(self.store.get_run, run_id) is None:
            raise RunNotFound(run_id)
        self.store.delete_run(run_id)
        await asyncio.to_thread(shutil.rmtree, self.settings.runs_dir / run_id, True)
        self.hub.publish("runs", {"type": "deleted", "v": PROTOCOL_VERSION, "id": run_id})
        log.info("run %s: deleted", run_id)

    # --- internals ---
    async def _live_row(self, run_id: str, action: str,
                        allowed: tuple[str, ...] = tuple(LIVE_STATUSES)) -> dict[str, Any]:
        """The live run ``run_id`` if its status allows ``action``; RunNotFound / RunConflict."""
        row = self._live.get(run_id)
        if row is None:
            stored = await asyncio.to_thread(self.store.get_run, run_id)
            if stored is None:
                raise RunNotFound(run_id)
            raise RunConflict(f"cannot {action} a {stored['status']} run")
        if row["status"] not in allowed:
            raise RunConflict(f"cannot {action} a {row['status']} run")
        return row

    def _command(self, run_id: str, command: Command) -> None:
        assert self._executor is not None
        try:
            self._executor.command(run_id, command)
        except KeyError:
            raise RunConflict("the run is between states; try again") from None
        log.info("run %s: %s %s %s", run_id, command.name, command.target or "",
                 "" if command.value is None else command.value)

    def _enqueue(self, row: dict[str, Any]) -> None:
        self._live[row["id"]] = row
        self._queue.append(row["id"])
        self._list_changed(row["id"], now=True)
        self._dispatch()

    def _dispatch(self) -> None:
        """Launch queued runs while slots are free."""
        launched = False
        while self._executor and self._queue and not self._closing \
                and len(self._running) < self._executor.slots:
            run_id = self._queue.pop(0)
            row = self._live[run_id]
            launched = True
            try:
                self._executor.launch(run_id, row["config"], self.checkpoint_path(run_id),
                                      resume=bool(row["resume"]))
            except RuntimeError as exc:
                log.error("run %s: launch failed: %s", run_id, exc)
                self._finish(row, "failed", f"launch failed: {exc}")
                continue
            self._running.add(run_id)
            row["started_at"] = row["started_at"] or now_iso()
            self.store.update_run(run_id, started_at=row["started_at"])
            self._set_status(row, "running")
            self.hub.publish(run_id, self._status_frame(row))
            self._list_changed(run_id, now=True)
            log.info("run %s: launched%s", run_id, " (resume)" if row["resume"] else "")
        if launched:
            self._positions_changed()

    def _positions_changed(self) -> None:
        for run_id in self._queue:
            self._list_changed(run_id, now=True)

    def _set_status(self, row: dict[str, Any], status: str, reason: str | None = None) -> None:
        at = now_iso()
        row.update(status=status, reason=reason)
        fields: dict[str, Any] = {"status": status, "reason": reason, "step": row["step"]}
        if status in FINAL_STATUSES or status == "interrupted":
            row["finished_at"] = fields["finished_at"] = at
        elif status == "queued":
            fields["finished_at"] = None
        self.store.update_run(row["id"], **fields)
        self.store.add_transition(row["id"], status, row["step"], reason, at)

    def _finish(self, row: dict[str, Any], status: str, reason: str | None,
                frame: dict[str, Any] | None = None) -> None:
        """The run leaves the live set with ``status``; viewers hear it (``frame`` or ours)."""
        run_id = row["id"]
        self._running.discard(run_id)
        self._live.pop(run_id, None)
        self._set_status(row, status, reason)
        self.hub.publish(run_id, frame or self._status_frame(row))
        self._list_changed(run_id, now=True, row=row)
        self._listed_at.pop(run_id, None)
        log.info("run %s: %s at step %d%s", run_id, status, row["step"],
                 f" ({reason})" if reason else "")

    @staticmethod
    def _status_frame(row: dict[str, Any]) -> dict[str, Any]:
        event = StatusEvent(status=row["status"], step=row["step"], reason=row["reason"])
        return {**to_frame(event), "run_id": row["id"]}

    def _sink(self, run_id: str, frame: dict[str, Any]) -> None:
        """Executor threads call this: hand the frame to the loop, never block."""
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._on_frame, run_id, frame)
        except RuntimeError:
            log.warning("run %s: %s frame after the loop closed", run_id, frame.get("type"))

    def _on_frame(self, run_id: str, frame: dict[str, Any]) -> None:
        row = self._live.get(run_id)
        if row is None:
            log.warning("run %s: %s frame for a run that is not live", run_id, frame.get("type"))
            return
        kind = frame.get("type")
        frame = {**frame, "run_id": run_id}
        changed = False
        if kind == "metrics":
            self._on_metrics(row, frame)
        elif kind in ("samples", "quality", "alert"):
            self.store.add_frame("alerts" if kind == "alert" else str(kind), run_id, frame)
            if kind == "quality":
                row["latest_quality"] = {k: v for k, v in frame.items()
                                         if k not in ("v", "type", "run_id")}
                self.store.update_run(run_id, latest_quality=row["latest_quality"])
            elif kind == "alert":
                row["alerts"] += 1
                self.store.update_run(run_id, alerts=row["alerts"])
                changed = True
        elif kind == "checkpoint":
            row["checkpoint_step"] = frame["step"]
            self.store.update_run(run_id, checkpoint_step=frame["step"])
        elif kind == "status":
            status, reason = frame["status"], frame.get("reason")
            row["step"] = max(row["step"], frame["step"])
            if status in FINAL_STATUSES:
                if self._closing and status == "stopped":
                    status, reason = "interrupted", INTERRUPTED
                    frame = {**frame, "status": status, "reason": reason}
                self._finish(row, status, reason, frame)
                self._dispatch()
                return
            changed = status != row["status"]
            if changed:
                self._set_status(row, status, reason)
        self.hub.publish(run_id, frame)
        self._list_changed(run_id, now=changed)

    def _on_metrics(self, row: dict[str, Any], frame: dict[str, Any]) -> None:
        last = {name: frame[name][-1] if frame[name] else None
                for name in ("loss_d", "loss_g", "d_real", "d_fake")}
        row.update(step=frame["step"], steps_per_second=frame["steps_per_second"],
                   latest_metrics={"step": frame["step"], **last},
                   controls={**row["controls"], "lr_g": frame["lr_g"], "lr_d": frame["lr_d"]})
        self.store.add_metrics(row["id"], frame)
        self.store.update_run(row["id"], step=row["step"], latest_metrics=row["latest_metrics"],
                              steps_per_second=row["steps_per_second"], controls=row["controls"])

    def _list_changed(self, run_id: str, *, now: bool, row: dict[str, Any] | None = None) -> None:
        """Tell run-list viewers; progress-only changes at most LIST_UPDATES_PER_SECOND/s."""
        timer = self._list_timers.pop(run_id, None)
        wait = 1 / LIST_UPDATES_PER_SECOND - (time.monotonic() - self._listed_at.get(run_id, 0.0))
        if now or wait <= 0:
            if timer is not None:
                timer.cancel()
            self._publish_run(run_id, row)
        elif timer is not None:
            self._list_timers[run_id] = timer
        else:
            assert self._loop is not None
            self._list_timers[run_id] = self._loop.call_later(wait, self._publish_run, run_id)

    def _publish_run(self, run_id: str, row: dict[str, Any] | None = None) -> None:
        self._list_timers.pop(run_id, None)
        self._listed_at[run_id] = time.monotonic()
        run = public(row) if row is not None else self.live_public(run_id)
        if run is not None:
            self.hub.publish("runs", {"type": "run", "v": PROTOCOL_VERSION, "run": run})
