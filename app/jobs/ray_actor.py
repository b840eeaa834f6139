"""The Ray actor that trains one run: :func:`app.jobs.runner.run_job` behind three methods.

Plain Python, no ``import ray``: :class:`~app.jobs.ray_executor.RayExecutor` wraps it with
``ray.remote`` and the resources the run needs. The actor's node need not share a disk
with the server, so the run's checkpoints are written to a folder of the actor's own and
shipped back among the run's frames (a ``checkpoint`` frame with the file's ``data``);
a resume gets its checkpoint's bytes the same way, the other direction.

torch is imported in :meth:`RunActor.start`, inside the actor's process, never where the
class is merely defined (the server).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from app.jobs.base import Job, is_final
from gan_core.events import Command

_GONE = object()  # in the command queue: the server closed the run's channel
MAX_BATCH = 64  # frames per take
TAKE_WAIT = 1.0  # seconds a take waits for a frame before answering none


class RunActor:
    """One run per actor: ``start`` it, ``take`` frames until the final one, send ``command``s."""

    def __init__(self, threads: int, cache_dir: str) -> None:
        self._threads = threads
        self._cache_dir = Path(cache_dir)
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._commands: queue.Queue[object] = queue.Queue()
        self._order = threading.Lock()
        self._held: dict[int, Command] = {}
        self._next = 0
        self._folder = Path(tempfile.mkdtemp(prefix="ganwatch-run-"))

    def pid(self) -> int:
        """This actor's process id (answers as soon as the actor is placed)."""
        return os.getpid()

    def start(self, job: Job, checkpoint: bytes | None) -> None:
        """Import torch, start training ``job`` (from ``checkpoint``'s bytes if given) in a
        thread."""
        from app.jobs import runner

        runner.warm_up(self._threads, cuda=bool(os.environ.get("CUDA_VISIBLE_DEVICES")))
        resume_from = None
        if checkpoint is not None:
            path = self._folder / "resume.pt"
            path.write_bytes(checkpoint)
            resume_from = str(path)
        local = dataclasses.replace(
            job, run_dir=str(self._folder / "checkpoints"), resume_from=resume_from
        )
        threading.Thread(
            target=runner.run_job,
            args=(local,),
            kwargs={
                "cache_dir": self._cache_dir,
                "emit": self._events.put,
                "receive": self._receive,
            },
            name="run",
            daemon=True,
        ).start()

    def take(self) -> list[dict[str, Any]]:
        """The run's next frames, in order: at most :data:`MAX_BATCH`, returned as soon as
        one is there, or ``[]`` after :data:`TAKE_WAIT` seconds without any. The server calls it
        again until the final status; a pull works through Ray Client too, which has no
        streaming generators."""
        try:
            batch = [self._events.get(timeout=TAKE_WAIT)]
        except queue.Empty:
            return []
        while len(batch) < MAX_BATCH and not is_final(batch[-1]):
            try:
                batch.append(self._events.get_nowait())
            except queue.Empty:
                break
        frames = [shipped for frame in batch if (shipped := self._shipped(frame)) is not None]
        if is_final(batch[-1]):
            shutil.rmtree(self._folder, ignore_errors=True)
        return frames

    def command(self, seq: int, command: Command) -> None:
        """Hand ``command``, the server's ``seq``-th (from 0), to the trainer once those before
        it have been handed on: a threaded actor may run two calls out of order."""
        with self._order:
            self._held[seq] = command
            while self._next in self._held:
                self._commands.put(self._held.pop(self._next))
                self._next += 1

    def close(self) -> None:
        """The server is gone: the run stops without another checkpoint."""
        self._commands.put(_GONE)

    def _receive(self) -> Command:
        command = self._commands.get()
        if command is _GONE:
            raise EOFError("the server closed the run")
        assert isinstance(command, Command)
        return command

    @staticmethod
    def _shipped(frame: dict[str, Any]) -> dict[str, Any] | None:
        """A checkpoint frame carries the file's bytes, not a path on this node; None when
        newer checkpoints have already pruned its file (they follow in the stream)."""
        if frame.get("type") != "checkpoint":
            return frame
        try:
            data = Path(frame["path"]).read_bytes()
        except FileNotFoundError:
            return None
        return {"type": "checkpoint", "v": frame["v"], "step": frame["step"], "data": data}
