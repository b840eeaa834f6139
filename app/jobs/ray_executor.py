"""RayExecutor: each run a Ray actor (:class:`~app.jobs.ray_actor.RunActor`) on a cluster.

``ray`` is imported in :meth:`RayExecutor.start`, so choosing the local executor never
loads it. With no address the server starts a local Ray for its own lifetime; ``auto``
or ``host:port`` joins a running cluster, ``ray://host:10001`` goes through Ray Client.

Per run, one "pump" thread creates nothing and blocks on nothing but Ray: it starts the
actor's training, then pulls the actor's frames (``take``, again and again: Ray Client has
no streaming generators) and hands each to the sink, writing shipped checkpoints to the
server's run folder on the way. A run whose actor is not placed within
:data:`PLACEMENT_NOTE` seconds, on a cluster without the resources free, is reported
``queued``, waiting for resources, until Ray places it.
Commands carry a sequence number, since a threaded actor may run two calls out of order;
the actor hands them on in order.

The actor is owned by this server process: when the server goes, Ray ends it too, and
the manager marks the run ``interrupted`` at the next start (resumable from its newest
shipped checkpoint). Re-attaching to detached actors instead would need the frames of the
steps trained while no server listened, which nobody would have stored.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import checkpoints
from app.jobs.base import (
    CUT_OFF,
    UNRESPONSIVE,
    CommandQueueFull,
    EventSink,
    Executor,
    Job,
    checkpoint_frame,
    failed_frame,
    is_final,
)
from app.jobs.process import cpu_count
from app.jobs.ray_actor import RunActor
from gan_core.events import Command, StatusEvent, frame_of

log = logging.getLogger(__name__)

# Ray's own switch (named for the platforms where it is off by default): "0" makes a Ray
# started here a single node that binds 127.0.0.1, not every interface.
SINGLE_NODE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
CONNECT_WAIT = 10.0  # seconds the server's start waits for Ray before going on without it
CONNECT_ATTEMPTS = 3  # tries of a connection that Ray Client's proxy aborts at once
PLACEMENT_NOTE = 3.0  # seconds unplaced, with the cluster full, before a run is reported queued
MAX_PENDING = 64  # commands sent to an actor and not yet taken
NOT_STARTED = "stopped while waiting for cluster resources"


@dataclass(eq=False)
class _Run:
    run_id: str
    job: Job
    device: str | None  # the config's: cuda, or auto on a cluster with GPUs, asks for one
    resume_from: Path | None
    actor: Any = None  # its Ray actor handle, once created
    early: list[Command] = field(default_factory=list)  # commands sent before that
    step: int = 0
    pid: int | None = None  # the actor's process, once placed and started
    placed: threading.Event = field(default_factory=threading.Event)
    seq: itertools.count[int] = field(default_factory=itertools.count)
    pending: list[Any] = field(default_factory=list)  # refs of commands not yet taken
    stop_deadline: float | None = None
    doomed: str | None = None  # being killed: the failed reason of its run
    cancelled: bool = False  # stopped before its actor was placed
    finished: bool = False


def death_reason(exc: BaseException) -> str:
    """Ray's own reason for a dead actor, as one status line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    sentence = next((line for line in lines if line.startswith("The actor is dead")), None)
    text = sentence or (lines[0] if lines else "")
    text = text.split(" Worker exit detail")[0].split(" Some common causes")[0]
    return f"{type(exc).__name__}: {text[:240]}" if text else type(exc).__name__


def connect_ray(
    ray: Any, address: str, options: dict[str, Any], pause: float = 1.0
) -> dict[str, float]:
    """``ray.init`` at ``address``, then the cluster's resources.

    Ray Client's proxy at times fails to start the server it runs for each client
    (its log: "SpecificServer startup failed"), which the client sees at once as a
    ConnectionAbortedError: that is tried again, ``CONNECT_ATTEMPTS`` times in all.
    """
    attempt = 1
    while True:
        try:
            ray.init(address=address, **options)
            return dict(ray.cluster_resources())
        except ConnectionAbortedError as exc:
            if attempt == CONNECT_ATTEMPTS:
                raise
            log.warning(
                "Ray at %s aborted connection attempt %d (%s); trying again", address, attempt, exc
            )
            ray.shutdown()
            time.sleep(pause)
            attempt += 1


class RayExecutor(Executor):
    """Runs each run as a Ray actor with the CPUs (and GPU) its config needs."""

    kind = "ray"

    def __init__(
        self,
        sink: EventSink,
        *,
        slots: int | None,
        cache_dir: Path,
        address: str | None = None,
        cpus_per_run: int = 1,
        stop_timeout: float = 10.0,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        # A local Ray has this machine's CPUs: right before it is even up.
        guess = max(1, cpu_count() // cpus_per_run) if address is None else 1
        super().__init__(sink, slots=slots or guess, cache_dir=cache_dir)
        if cpus_per_run < 1:
            raise ValueError("cpus_per_run must be >= 1")
        self._slots_setting = slots
        self._address = address
        self._cpus = cpus_per_run
        self._stop_timeout = stop_timeout
        self._init_options = init_options or {}
        self._lock = threading.Lock()
        self._state = "new"  # -> "started" -> "closed"
        self._problem: str | None = None  # why Ray cannot be used
        self._cluster_gpus = 0
        self._runs: dict[str, _Run] = {}
        self._pumps: set[threading.Thread] = set()
        self._closed = threading.Event()
        self._connected = threading.Event()  # set once ray.init has succeeded or failed
        self._released = threading.Event()  # set once shutdown is done with Ray
        self._owner = threading.Thread(target=self._own, name="ganwatch-ray", daemon=True)
        self._ray: Any = None
        self._remote: Any = None

    # --- Executor ---
    def start(self) -> None:
        """Connect to (or start) Ray in the background, waiting up to :data:`CONNECT_WAIT`
        seconds: an unreachable cluster (ray.init retries for minutes) never holds up the
        server's start. Runs launched meanwhile wait for the connection."""
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"executor already {self._state}")
            self._state = "started"
        self._owner.start()
        self._connected.wait(CONNECT_WAIT)

    def _own(self) -> None:
        """Connect, then hold Ray until shutdown, in this one thread: a local Ray's daemons
        die with the thread that started them (their parent-death signal is per thread)."""
        if self._connect():
            self._released.wait()
            self._ray.shutdown()

    def _connect(self) -> bool:
        where = self._address or "a local Ray started by this server"
        if self._address is None:
            # A Ray of the server's own is one node, on loopback only: Ray's single-node
            # mode (read when ray is first imported) binds its servers to 127.0.0.1.
            os.environ.setdefault(SINGLE_NODE_ENV, "0")
        try:
            import ray

            options: dict[str, Any] = {"log_to_driver": False, "namespace": "ganwatch"}
            if self._address is None:
                options["include_dashboard"] = False
            resources = connect_ray(
                ray, self._address or "local", {**options, **self._init_options}
            )
        except Exception as exc:  # ImportError, ConnectionError, whatever ray.init raises
            self._problem = f"Ray unreachable at {where}: {type(exc).__name__}: {exc}"[:500]
            log.error("%s; runs cannot launch until the server restarts", self._problem)
            self._connected.set()
            return False
        self._ray = ray
        self._cluster_gpus = int(resources.get("GPU", 0))
        if self._slots_setting is None:
            self._slots = max(1, int(resources.get("CPU", 1)) // self._cpus)
        self._remote = ray.remote(RunActor)
        threading.Thread(target=self._watch, name="ganwatch-ray-watchdog", daemon=True).start()
        log.info(
            "Ray at %s: %s CPUs, %d GPUs; %d slots (from the %s)",
            where,
            resources.get("CPU", 0),
            self._cluster_gpus,
            self._slots,
            "setting" if self._slots_setting is not None else "cluster's CPUs",
        )
        self._connected.set()
        return True

    def health(self) -> dict[str, Any]:
        return {
            **super().health(),
            "state": "unavailable" if self._problem else "ok" if self._ray else "connecting",
            "detail": self._problem,
            "slots_from": "setting" if self._slots_setting is not None else "cluster",
        }

    def active(self) -> set[str]:
        with self._lock:
            return set(self._runs)

    def launch(
        self,
        run_id: str,
        config: dict[str, Any],
        run_dir: Path,
        resume_from: Path | None = None,
        start_paused: bool = False,
        points: bytes | None = None,
    ) -> None:
        job = Job(run_id, dict(config), str(run_dir), None, start_paused, points)
        device = config.get("device")
        with self._lock:
            if self._problem is not None and self._state == "started":
                raise RuntimeError(self._problem)
            self._refuse_launch(self._state, self._runs, run_id)
            run = _Run(run_id, job, device, resume_from)
            self._runs[run_id] = run
            pump = threading.Thread(target=self._pump, args=(run,), name=f"ganwatch-ray-{run_id}")
            self._pumps.add(pump)
        pump.start()

    def command(self, run_id: str, command: Command) -> None:
        with self._lock:
            run = self._runs[run_id]
            if command.name == "stop" and not run.placed.is_set():
                run.cancelled = True
                if run.actor is not None:
                    self._ray.kill(run.actor, no_restart=True)
                return
            if run.actor is None:  # not created yet: the pump sends these first
                run.early.append(command)
                return
            self._send(run, command)
            if command.name == "stop" and run.stop_deadline is None:
                run.stop_deadline = time.monotonic() + self._stop_timeout

    def _send(self, run: _Run, command: Command) -> None:
        """Send ``command`` to the run's actor, numbered (caller holds the lock)."""
        if run.pending:
            _, run.pending = self._ray.wait(run.pending, num_returns=len(run.pending), timeout=0)
        if len(run.pending) >= MAX_PENDING:
            raise CommandQueueFull(
                f"run {run.run_id}: {MAX_PENDING} commands not yet taken by its actor"
            )
        run.pending.append(run.actor.command.remote(next(run.seq), command))

    def shutdown(self) -> None:
        """Stop running runs gracefully (final checkpoint), kill what is left, leave Ray."""
        with self._lock:
            if self._state == "closed":
                return
            self._state = "closed"
            runs = list(self._runs.values())
            pumps = list(self._pumps)
        self._closed.set()
        for run in runs:
            with contextlib.suppress(KeyError, CommandQueueFull):
                self.command(run.run_id, Command("stop"))
        deadline = time.monotonic() + self._stop_timeout
        for pump in pumps:
            pump.join(max(0.0, deadline - time.monotonic()))
        for run in runs:
            with self._lock:
                if run.finished:
                    continue
                run.doomed = run.doomed or CUT_OFF
                actor = run.actor
            if actor is not None:
                log.warning(
                    "run %s: no graceful stop in %.1fs, killing its actor",
                    run.run_id,
                    self._stop_timeout,
                )
                self._ray.kill(actor, no_restart=True)
        for pump in pumps:
            pump.join(self._stop_timeout)
        self._released.set()
        if self._connected.is_set():  # else ray.init is still trying: leave it to die with us
            self._owner.join(self._stop_timeout)

    # --- for tests and benchmarks ---
    def pid(self, run_id: str) -> int:
        """Process id of the actor executing ``run_id`` (KeyError when not active or not
        yet started)."""
        with self._lock:
            pid = self._runs[run_id].pid
        if pid is None:
            raise KeyError(run_id)
        return pid

    # --- internals ---
    def _pump(self, run: _Run) -> None:
        try:
            if not self._connected.wait(PLACEMENT_NOTE):
                where = self._address or "the local Ray"
                reason = f"waiting for {where} to connect"
                self._queued(run, reason)
            while not self._connected.wait(0.5):
                if self._closed.is_set():
                    run.doomed = CUT_OFF
                    raise RuntimeError(CUT_OFF)
            if self._problem is not None:
                raise RuntimeError(self._problem)
            ray = self._ray
            data = None if run.resume_from is None else run.resume_from.read_bytes()
            gpus = int(run.device == "cuda" or (run.device == "auto" and self._cluster_gpus > 0))
            with self._lock:
                if run.cancelled:
                    raise RuntimeError(NOT_STARTED)
                # Concurrency: a take() waits for frames while commands keep arriving.
                run.actor = self._remote.options(
                    num_cpus=self._cpus, num_gpus=gpus, max_concurrency=4
                ).remote(self._cpus, str(self.cache_dir))
                for command in run.early:
                    self._send(run, command)
            log.info("run %s: a Ray actor with %d CPUs, %d GPUs", run.run_id, self._cpus, gpus)
            alive = run.actor.pid.remote()  # answers once the actor is placed and built
            if not ray.wait([alive], timeout=PLACEMENT_NOTE)[0] and not self._fits(gpus):
                need = f"{self._cpus} CPU" + (", 1 GPU" if gpus else "")
                reason = f"waiting for cluster resources ({need})"
                self._queued(run, reason)
            run.pid = ray.get(alive)
            run.placed.set()
            ray.get(run.actor.start.remote(run.job, data))
            while True:
                for frame in ray.get(run.actor.take.remote()):
                    self._deliver(run, frame)
                    if is_final(frame):
                        return
        except Exception as exc:
            if run.cancelled:
                frame = frame_of(StatusEvent(status="stopped", step=0, reason=NOT_STARTED))
            else:
                reason = run.doomed or death_reason(exc)
                log.error("run %s: %s", run.run_id, reason)
                frame = failed_frame(run.step, reason)
            self._release(run)
            self._emit(run.run_id, frame)
        finally:
            with self._lock:
                self._pumps.discard(threading.current_thread())

    def _queued(self, run: _Run, reason: str) -> None:
        """Tell the server the run waits (for resources, or for Ray itself) and why."""
        self._emit(run.run_id, frame_of(StatusEvent(status="queued", step=0, reason=reason)))

    def _fits(self, gpus: int) -> bool:
        """Whether the cluster has the resources of one more run free now."""
        free = self._ray.available_resources()
        return bool(free.get("CPU", 0) >= self._cpus and free.get("GPU", 0) >= gpus)

    def _deliver(self, run: _Run, frame: dict[str, Any]) -> None:
        if frame.get("type") in ("metrics", "status"):
            run.step = frame["step"]
        if frame.get("type") == "checkpoint":
            frame = self._store_checkpoint(run, frame)
        if is_final(frame):
            self._release(run)  # leave active() before the sink may launch the next run
            with contextlib.suppress(Exception):
                self._ray.kill(run.actor, no_restart=True)
        self._emit(run.run_id, frame)

    def _store_checkpoint(self, run: _Run, frame: dict[str, Any]) -> dict[str, Any]:
        """Write a shipped checkpoint into the server's run folder, as a local run would."""
        run_dir = Path(run.job.run_dir)
        path = checkpoints.checkpoint_path(run_dir, frame["step"])
        data: bytes = frame["data"]
        checkpoints.write(path, lambda file: file.write(data))
        checkpoints.prune(run_dir)
        return checkpoint_frame(frame["step"], path)

    def _release(self, run: _Run) -> None:
        with self._lock:
            if not run.finished:
                run.finished = True
                self._runs.pop(run.run_id, None)

    def _watch(self) -> None:
        """Kill the actor of a run that has not ended ``stop_timeout`` seconds after a stop."""
        while not self._closed.wait(0.5):
            now = time.monotonic()
            with self._lock:
                overdue = [
                    r
                    for r in self._runs.values()
                    if r.doomed is None and r.stop_deadline is not None and now > r.stop_deadline
                ]
                for run in overdue:
                    run.doomed = UNRESPONSIVE
            for run in overdue:
                log.error("run %s: %s after a stop, killing its actor", run.run_id, UNRESPONSIVE)
                self._ray.kill(run.actor, no_restart=True)
