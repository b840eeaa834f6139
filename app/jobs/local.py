"""LocalExecutor: each run in its own spawned worker process on this machine.

One idle worker is kept warm (torch and gan_core already imported, pinned to the
GPU the next run would get), so a launch pays neither interpreter start nor the
torch import. Worker -> server traffic goes over one pipe per worker, read by one
"pump" thread per worker that calls the sink; commands go the other way over a
second pipe. Pipes rather than multiprocessing queues: a send is done when it
returns (no feeder thread whose buffer a dying worker takes with it, so the final
checkpoint and status frames always arrive in order), and EOF on the pipe is how
the pump learns that its worker is gone, without polling.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from app.jobs.base import EventSink, Executor, Job, failed_frame, is_final
from app.jobs.gpus import GpuPool, visible_gpus
from app.jobs.worker import worker_main
from gan_core.events import Command

log = logging.getLogger(__name__)

_SPAWN = multiprocessing.get_context("spawn")
MAX_WARM_FAILURES = 3  # workers dying before they are ready: stop respawning, it is not transient
REAP_TIMEOUT = 5.0  # seconds a worker may take to exit once its pipe has closed


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def death_reason(exitcode: int | None) -> str:
    """Why a run failed whose worker ended without a final status."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "signal"
        return f"worker process died (exit code {exitcode} / {name})"
    return f"worker process died (exit code {exitcode})"


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    pid: int
    events: Connection  # worker -> server
    commands: Connection  # server -> worker
    gpu: int | None
    ready: threading.Event = field(default_factory=threading.Event)
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    pump: threading.Thread | None = None
    run_id: str | None = None
    step: int = 0
    training: bool = False  # its run has reported metrics
    finished: bool = False  # its run has left the executor

    def send(self, message: Job | Command) -> None:
        with self.send_lock:
            try:
                self.commands.send(message)
            except OSError:
                log.debug("worker %d: gone, %r not delivered", self.pid, message)

    def retire(self) -> None:
        """Closing the command pipe before a job tells an idle worker to exit."""
        with self.send_lock:
            self.commands.close()


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
    ) -> None:
        super().__init__(sink, slots=slots, cache_dir=cache_dir, gpus=gpus)
        self._keep_warm = warm
        self._stop_timeout = stop_timeout
        self._threads = max(1, cpu_count() // slots)
        self._gpus = GpuPool(visible_gpus(gpus, os.environ.get("CUDA_VISIBLE_DEVICES")))
        self._lock = threading.Lock()
        self._state = "new"  # -> "started" -> "closed"
        self._workers: set[_Worker] = set()
        self._running: dict[str, _Worker] = {}
        self._warm: _Worker | None = None
        self._warm_failures = 0

    # --- Executor ---
    def start(self) -> None:
        """Start the warm worker (when enabled); launches are accepted from now on."""
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"executor already {self._state}")
            self._state = "started"
        self._ensure_warm()

    def active(self) -> set[str]:
        with self._lock:
            return set(self._running)

    def launch(
        self, run_id: str, config: dict[str, Any], checkpoint_path: Path, resume: bool = False
    ) -> None:
        job = Job(run_id=run_id, config=dict(config), checkpoint_path=str(checkpoint_path),
                  resume=resume)
        with self._lock:
            if self._state != "started":
                raise RuntimeError(f"executor is {self._state}, not started")
            if run_id in self._running:
                raise RuntimeError(f"run {run_id} is already active")
            if len(self._running) >= self.slots:
                raise RuntimeError(f"all {self.slots} slots are busy")
            worker = self._take_warm() or self._spawn(self._gpus.least_loaded())
            worker.run_id = run_id
            self._gpus.acquire(worker.gpu)
            self._running[run_id] = worker
        log.info("run %s: launched in worker %d (gpu %s)", run_id, worker.pid,
                 self._gpus.device_id(worker.gpu))
        # If the worker died just now, its pump reports the run failed.
        worker.send(job)

    def command(self, run_id: str, command: Command) -> None:
        with self._lock:
            worker = self._running[run_id]
        worker.send(command)

    def shutdown(self) -> None:
        """Stop running runs gracefully (final checkpoint), then terminate what is left."""
        with self._lock:
            if self._state == "closed":
                return
            self._state = "closed"
            self._warm = None
            workers = list(self._workers)
        for worker in workers:
            if worker.run_id is None:
                worker.process.terminate()  # idle: holds nothing worth waiting for
            else:
                worker.send(Command("stop"))
        deadline = time.monotonic() + self._stop_timeout
        for worker in workers:
            _join(worker, deadline - time.monotonic())
        for worker in workers:
            if _alive(worker):
                log.warning("worker %d: no graceful stop in %.1fs, terminating",
                            worker.pid, self._stop_timeout)
                worker.process.terminate()
        for worker in workers:
            _join(worker, REAP_TIMEOUT)
            if _alive(worker):
                worker.process.kill()
                _join(worker, REAP_TIMEOUT)

    # --- for tests and benchmarks ---
    def pid(self, run_id: str) -> int:
        """Process id of the worker executing ``run_id`` (KeyError when not active)."""
        with self._lock:
            return self._running[run_id].pid

    def warm_pid(self) -> int | None:
        """Process id of the idle warm worker, if there is one."""
        with self._lock:
            return None if self._warm is None else self._warm.pid

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

    # --- workers ---
    def _spawn(self, gpu: int | None) -> _Worker:
        """Start a worker process and its pump thread (caller holds the lock)."""
        events_in, events_out = _SPAWN.Pipe(duplex=False)
        commands_in, commands_out = _SPAWN.Pipe(duplex=False)
        process = _SPAWN.Process(
            target=worker_main,
            args=(events_out, commands_in, self._threads, self._gpus.device_id(gpu),
                  str(self.cache_dir)),
            name="ganwatch-worker",
            daemon=True,
        )
        process.start()
        # The child has its own copies; ours would keep the pipes open and hide its death.
        events_out.close()
        commands_in.close()
        assert process.pid is not None  # set by start()
        worker = _Worker(process=process, pid=process.pid, events=events_in,
                         commands=commands_out, gpu=gpu)
        worker.pump = threading.Thread(target=self._pump, args=(worker,),
                                       name=f"ganwatch-pump-{worker.pid}", daemon=True)
        self._workers.add(worker)
        worker.pump.start()
        return worker

    def _take_warm(self) -> _Worker | None:
        """The warm worker, if alive and on a GPU as free as any (caller holds the lock)."""
        warm, self._warm = self._warm, None
        if warm is None or _exited(warm):
            return None
        if self._gpus.is_least_loaded(warm.gpu):
            return warm
        warm.retire()
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

    def _pump(self, worker: _Worker) -> None:
        """Deliver the worker's frames until its pipe closes, then reap it."""
        try:
            while True:
                kind, payload = worker.events.recv()
                if kind == "ready":
                    worker.ready.set()
                    with self._lock:
                        self._warm_failures = 0
                else:
                    self._deliver(worker, payload)
        except (EOFError, OSError):
            pass
        self._reap(worker)

    def _deliver(self, worker: _Worker, frame: dict[str, Any]) -> None:
        run_id = worker.run_id
        if run_id is None:
            log.error("worker %d: frame without a run: %r", worker.pid, frame.get("type"))
            return
        if isinstance(frame.get("step"), int):
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

    def _reap(self, worker: _Worker) -> None:
        worker.process.join(REAP_TIMEOUT)
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join()
        worker.events.close()
        worker.retire()
        with self._lock:
            self._workers.discard(worker)
            if self._warm is worker:
                self._warm = None
            if not worker.ready.is_set():
                self._warm_failures += 1
                if self._warm_failures == MAX_WARM_FAILURES:
                    log.error("%d workers died before they were ready; not keeping one warm",
                              MAX_WARM_FAILURES)
            lost = worker.run_id if not worker.finished else None
            self._release(worker)
        if lost is not None:
            reason = death_reason(worker.process.exitcode)
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

    def _emit(self, run_id: str, frame: dict[str, Any]) -> None:
        try:
            self._sink(run_id, frame)
        except Exception:
            log.exception("run %s: the event sink failed on a %s frame", run_id, frame.get("type"))


def _exited(worker: _Worker) -> bool:
    """Whether the process has ended, without reaping it (the pump does that)."""
    return bool(wait([worker.process.sentinel], 0))


def _alive(worker: _Worker) -> bool:
    """Alive until its pump has reaped it (the pump is the only thread that joins it)."""
    return worker.pump is not None and worker.pump.is_alive()


def _join(worker: _Worker, timeout: float) -> None:
    if worker.pump is not None:
        worker.pump.join(max(0.0, timeout))
