"""LocalExecutor: each run in its own spawned worker process on this machine.

One idle worker is kept warm (torch and gan_core already imported, pinned to the
GPU the next run would get), so a launch pays neither interpreter start nor the
torch import. The process plumbing (pipes, outbox, pump) is in :mod:`app.jobs.process`;
this module decides which worker runs what, and when a worker has to die.

A watchdog thread kills a worker that has sent nothing, not even a heartbeat, for
``watchdog_timeout`` seconds, or whose run has not ended ``stop_timeout`` seconds
after a stop; its run fails with :data:`~app.jobs.base.UNRESPONSIVE`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.jobs.base import (
    CUT_OFF,
    UNRESPONSIVE,
    CommandQueueFull,
    EventSink,
    Executor,
    Job,
    failed_frame,
    is_final,
)
from app.jobs.gpus import GpuPool, visible_gpus
from app.jobs.process import OUTBOX_SIZE, REAP_TIMEOUT, WorkerProcess, cpu_count, death_reason
from app.jobs.worker import HEARTBEAT_SECONDS
from gan_core.events import Command

log = logging.getLogger(__name__)

MAX_WARM_FAILURES = 3  # workers dying before they are ready: stop respawning, it is not transient
KILL_GRACE = 1.0  # seconds from a SIGTERM to the SIGKILL (a stopped process ignores SIGTERM)


@dataclass(eq=False)
class _Worker:
    proc: WorkerProcess
    gpu: int | None
    ready: threading.Event = field(default_factory=threading.Event)
    run_id: str | None = None
    step: int = 0
    launched: float = 0.0  # monotonic; a run's silence counts from here at the earliest
    training: bool = False  # its run has reported metrics
    finished: bool = False  # its run has left the executor
    stop_deadline: float | None = None  # a stop was sent; the run must end by then
    doomed: str | None = None  # being killed; the failed reason of its run, if it has one
    kill_at: float | None = None  # when the watchdog follows its SIGTERM with a SIGKILL


class LocalExecutor(Executor):
    """Runs each run in a spawned worker process; keeps one warm worker ready."""

    def __init__(
        self,
        sink: EventSink,
        *,
        slots: int,
        cache_dir: Path,
        gpus: int = 0,
        warm: bool = True,
        stop_timeout: float = 10.0,
        watchdog_timeout: float = 30.0,
    ) -> None:
        super().__init__(sink, slots=slots, cache_dir=cache_dir, gpus=gpus)
        if watchdog_timeout <= HEARTBEAT_SECONDS:
            raise ValueError(f"watchdog_timeout must exceed the {HEARTBEAT_SECONDS}s heartbeat")
        self._keep_warm = warm
        self._stop_timeout = stop_timeout
        self._watchdog_timeout = watchdog_timeout
        self._threads = max(1, cpu_count() // slots)
        self._gpus = GpuPool(visible_gpus(gpus, os.environ.get("CUDA_VISIBLE_DEVICES")))
        self._lock = threading.Lock()
        self._state = "new"  # -> "started" -> "closed"
        self._closed = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._workers: set[_Worker] = set()
        self._running: dict[str, _Worker] = {}
        self._warm: _Worker | None = None
        self._warm_failures = 0

    # --- Executor ---
    def start(self) -> None:
        """Start the watchdog and the warm worker (when enabled); launches are accepted now."""
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"executor already {self._state}")
            self._state = "started"
        self._watchdog = threading.Thread(target=self._watch, name="ganwatch-watchdog", daemon=True)
        self._watchdog.start()
        self._ensure_warm()

    def active(self) -> set[str]:
        with self._lock:
            return set(self._running)

    def launch(
        self,
        run_id: str,
        config: dict[str, Any],
        run_dir: Path,
        resume_from: Path | None = None,
        start_paused: bool = False,
        points: bytes | None = None,
    ) -> None:
        job = Job(
            run_id=run_id,
            config=dict(config),
            run_dir=str(run_dir),
            resume_from=None if resume_from is None else str(resume_from),
            start_paused=start_paused,
            points=points,
        )
        with self._lock:
            self._refuse_launch(self._state, self._running, run_id)
            worker = self._take_warm() or self._spawn(self._gpus.least_loaded())
            # A fresh outbox has room. If the worker died just now, its pump fails the run.
            worker.proc.send(job)
            worker.run_id = run_id
            worker.launched = time.monotonic()
            self._gpus.acquire(worker.gpu)
            self._running[run_id] = worker
        log.info(
            "run %s: launched in worker %d (gpu %s)",
            run_id,
            worker.proc.pid,
            self._gpus.device_id(worker.gpu),
        )

    def command(self, run_id: str, command: Command) -> None:
        with self._lock:
            worker = self._running[run_id]
            try:
                worker.proc.send(command)
            except queue.Full:
                raise CommandQueueFull(
                    f"run {run_id}: {OUTBOX_SIZE} commands not yet taken by its worker"
                ) from None
            if command.name == "stop" and worker.stop_deadline is None:
                worker.stop_deadline = time.monotonic() + self._stop_timeout

    def shutdown(self) -> None:
        """Stop running runs gracefully (final checkpoint), then terminate what is left."""
        with self._lock:
            if self._state == "closed":
                return
            self._state = "closed"
            self._warm = None
            workers = list(self._workers)
        # From here on shutdown alone decides the workers' fate (and their runs' reasons).
        self._closed.set()
        if self._watchdog is not None:
            self._watchdog.join()
        for worker in workers:
            if worker.run_id is None:
                worker.proc.terminate()  # idle: holds nothing worth waiting for
            else:
                with contextlib.suppress(queue.Full):  # not reading: terminated below
                    worker.proc.send(Command("stop"))
        deadline = time.monotonic() + self._stop_timeout
        for worker in workers:
            worker.proc.join(deadline - time.monotonic())
        for worker in workers:
            if worker.proc.alive():
                log.warning(
                    "worker %d: no graceful stop in %.1fs, terminating",
                    worker.proc.pid,
                    self._stop_timeout,
                )
                with self._lock:
                    worker.doomed = worker.doomed or CUT_OFF
                worker.proc.terminate()
        for worker in workers:
            worker.proc.join(KILL_GRACE)
            if worker.proc.alive():
                worker.proc.kill()
                worker.proc.join(REAP_TIMEOUT)

    # --- for tests and benchmarks ---
    def pid(self, run_id: str) -> int:
        """Process id of the worker executing ``run_id`` (KeyError when not active)."""
        with self._lock:
            return self._running[run_id].proc.pid

    def warm_pid(self) -> int | None:
        """Process id of the idle warm worker, if there is one."""
        with self._lock:
            return None if self._warm is None else self._warm.proc.pid

    def wait_ready(self, timeout: float) -> bool:
        """Block until a warm worker has finished its imports; False after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            with self._lock:
                warm = self._warm
            if warm is not None and warm.ready.wait(min(remaining, 0.05)):
                return True
            if warm is None:
                time.sleep(min(remaining, 0.05))
        return False

    def disconnect(self, run_id: str) -> None:
        """Close the command pipe of ``run_id``'s worker, as the death of the server would."""
        with self._lock:
            worker = self._running[run_id]
        worker.proc.close()

    # --- workers ---
    def _spawn(self, gpu: int | None) -> _Worker:
        """Start a worker process and its threads (caller holds the lock)."""
        proc = WorkerProcess(
            threads=self._threads, gpu=self._gpus.device_id(gpu), cache_dir=str(self.cache_dir)
        )
        worker = _Worker(proc=proc, gpu=gpu)
        self._workers.add(worker)
        proc.start(
            functools.partial(self._on_message, worker), functools.partial(self._on_exit, worker)
        )
        return worker

    def _take_warm(self) -> _Worker | None:
        """The warm worker, if alive and on a GPU as free as any (caller holds the lock)."""
        warm, self._warm = self._warm, None
        if warm is None or warm.proc.exited():
            return None
        if self._gpus.is_least_loaded(warm.gpu):
            return warm
        warm.proc.close()
        return None

    def _ensure_warm(self) -> None:
        """Start a warm worker if one is wanted and none is there.

        Not while every slot is busy: the next launch is then a queue's wait away, and
        the new worker's imports (seconds of CPU) would slow the runs that are training.
        """
        with self._lock:
            if self._state != "started" or not self._keep_warm or self._warm is not None:
                return
            if len(self._running) >= self.slots:
                return
            if self._warm_failures >= MAX_WARM_FAILURES:
                return
            self._warm = self._spawn(self._gpus.least_loaded())

    def _watch(self) -> None:
        """Kill workers that went silent or ignored a stop: SIGTERM, then SIGKILL."""
        tick = min(0.5, self._watchdog_timeout / 4)
        while not self._closed.wait(tick):
            now = time.monotonic()
            with self._lock:
                hung = [w for w in self._workers if self._hung(w, now)]
                for worker in hung:
                    worker.doomed = UNRESPONSIVE
                    worker.kill_at = now + KILL_GRACE
                    if self._warm is worker:
                        self._warm = None  # no launch may take it now
                overdue = [w for w in self._workers if w.kill_at is not None and w.kill_at <= now]
                for worker in overdue:
                    worker.kill_at = None
            for worker in hung:
                log.error(
                    "worker %d (run %s): %s, terminating",
                    worker.proc.pid,
                    worker.run_id,
                    UNRESPONSIVE,
                )
                worker.proc.terminate()
            for worker in overdue:
                worker.proc.kill()

    def _hung(self, worker: _Worker, now: float) -> bool:
        """Whether the watchdog must kill ``worker`` now (caller holds the lock)."""
        if worker.doomed is not None:
            return False
        if worker.run_id is None and not worker.ready.is_set():
            return False  # still starting up: a death there counts as a warm failure instead
        silent = worker.proc.silent_for(now)
        if worker.run_id is not None:
            silent = min(silent, now - worker.launched)
        if silent > self._watchdog_timeout:
            return True
        deadline = worker.stop_deadline
        return deadline is not None and not worker.finished and now > deadline

    def _on_message(self, worker: _Worker, kind: str, payload: Any) -> None:
        if kind == "ready":
            worker.ready.set()
            with self._lock:
                self._warm_failures = 0
        elif kind == "frame":
            self._deliver(worker, payload)
        else:
            log.error("worker %d: unknown message %r", worker.proc.pid, kind)

    def _deliver(self, worker: _Worker, frame: dict[str, Any]) -> None:
        run_id = worker.run_id
        if run_id is None:
            log.error("worker %d: frame without a run: %r", worker.proc.pid, frame.get("type"))
            return
        if frame.get("type") in ("metrics", "status"):  # the step the stored history reaches
            worker.step = frame["step"]
        if is_final(frame):
            # Leave active() before the sink hears of it, so it may launch the next run.
            with self._lock:
                self._release(worker)
        self._emit(run_id, frame)
        if is_final(frame):
            self._ensure_warm()  # a slot is free again: have a worker ready for it
        if frame["type"] == "metrics" and not worker.training:
            worker.training = True
            # Not earlier: the new warm worker's imports would compete with this run's start.
            self._ensure_warm()

    def _on_exit(self, worker: _Worker) -> None:
        """The worker has been reaped: forget it, fail its run if it had not ended."""
        with self._lock:
            self._workers.discard(worker)
            if self._warm is worker:
                self._warm = None
            if not worker.ready.is_set():
                self._warm_failures += 1
                if self._warm_failures == MAX_WARM_FAILURES:
                    log.error(
                        "%d workers died before they were ready; not keeping one warm",
                        MAX_WARM_FAILURES,
                    )
            lost = worker.run_id if not worker.finished else None
            self._release(worker)
        if lost is not None:
            reason = worker.doomed or death_reason(worker.proc.exitcode)
            log.error("run %s: %s", lost, reason)
            self._emit(lost, failed_frame(worker.step, reason))
        self._ensure_warm()

    def _release(self, worker: _Worker) -> None:
        """The worker's run leaves the executor, once (caller holds the lock)."""
        if worker.finished or worker.run_id is None:
            return
        worker.finished = True
        del self._running[worker.run_id]
        self._gpus.release(worker.gpu)
