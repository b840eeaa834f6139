"""Entry point of a local worker process (spawned): warm up, wait for one job, run it, exit.

Messages on the ``events`` pipe (worker -> server) are ``("heartbeat", None)`` every
:data:`HEARTBEAT_SECONDS` from the start, ``("ready", None)`` once the imports are
done, then ``("frame", frame)``. On the ``commands`` pipe (server -> worker) the first
message is the :class:`~app.jobs.base.Job`, the rest are
:class:`~gan_core.events.Command`; the server closing it before a job means "retire".

One run per process: every run starts from a clean interpreter (RNG, CUDA memory,
allocator), and a killed run takes nothing else down with it.
"""

from __future__ import annotations

import os
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HEARTBEAT_SECONDS = 1.0  # the server's watchdog kills a worker silent for much longer


class _Events:
    """The events pipe, shared by the run and the heartbeat thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()  # a Connection is not safe for concurrent sends
        self.closed = threading.Event()

    def send(self, kind: str, payload: Any) -> None:
        with self._lock:
            try:
                self._connection.send((kind, payload))
            except OSError:
                self.closed.set()  # the server is gone: nobody to tell

    def frame(self, frame: dict[str, Any]) -> None:
        self.send("frame", frame)

    def beat(self) -> None:
        """Send heartbeats until the pipe breaks (a daemon thread: ends with the process)."""
        while not self.closed.wait(HEARTBEAT_SECONDS):
            self.send("heartbeat", None)


def worker_main(
    events: Connection, commands: Connection, threads: int, gpu: str | None, cache_dir: str
) -> None:
    """Pin the GPU, import torch and gan_core, report ready, then run the job that comes."""
    # Ctrl+C in the server's terminal reaches the whole process group; the server's own
    # shutdown then stops this run gracefully, which a KeyboardInterrupt here would pre-empt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = _Events(events)
    # Before the imports: they take seconds, and the watchdog must not mistake them for a hang.
    threading.Thread(target=out.beat, name="heartbeat", daemon=True).start()
    if gpu is not None:
        # Read at CUDA initialisation, which has not happened yet in this fresh process.
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    from app.jobs import runner  # the expensive imports (torch, gan_core) a warm worker pre-pays

    runner.warm_up(threads, cuda=gpu is not None)
    out.send("ready", None)
    try:
        job = commands.recv()
    except (EOFError, OSError):
        return
    runner.run_job(job, cache_dir=Path(cache_dir), emit=out.frame, receive=commands.recv)
