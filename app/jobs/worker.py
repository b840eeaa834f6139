"""Entry point of a local worker process (spawned): warm up, wait for one job, run it, exit.

Messages on the ``events`` pipe (worker -> server) are ``("ready", None)`` once the
imports are done, then ``("frame", frame)``. On the ``commands`` pipe (server ->
worker) the first message is the :class:`~app.jobs.base.Job`, the rest are
:class:`~gan_core.events.Command`; the server closing it before a job means "retire".

One run per process: every run starts from a clean interpreter (RNG, CUDA memory,
allocator), and a killed run takes nothing else down with it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def worker_main(
    events: Connection, commands: Connection, threads: int, gpu: str | None, cache_dir: str
) -> None:
    """Pin the GPU, import torch and gan_core, report ready, then run the job that comes."""
    # Ctrl+C in the server's terminal reaches the whole process group; the server's own
    # shutdown then stops this run gracefully, which a KeyboardInterrupt here would pre-empt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if gpu is not None:
        # Read at CUDA initialisation, which has not happened yet in this fresh process.
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    from app.jobs import runner  # the expensive imports (torch, gan_core) a warm worker pre-pays

    runner.warm_up(threads, cuda=gpu is not None)
    events.send(("ready", None))
    try:
        job = commands.recv()
    except EOFError:
        return
    runner.run_job(job, cache_dir=Path(cache_dir), emit=_emitter(events), receive=commands.recv)


def _emitter(events: Connection) -> Callable[[dict[str, Any]], None]:
    def emit(frame: dict[str, Any]) -> None:
        try:
            events.send(("frame", frame))
        except OSError:
            pass  # the server is gone: nobody to tell, but the run still ends with a checkpoint

    return emit
