"""One local worker process and its plumbing: spawn, pipes, outbox, pump, reap, signals.

Worker -> server messages come over one pipe per worker, read by a "pump" thread
that hands them to the executor; commands go the other way over a second pipe,
written by a "sender" thread from a bounded outbox, so that nobody who sends a
command ever blocks on a worker that does not read. Pipes rather than
multiprocessing queues: a send is done when it returns (no feeder thread whose
buffer a dying worker takes with it, so the final checkpoint and status frames
always arrive in order), and EOF on the pipe is how the pump learns that its
worker is gone, without polling.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from app.jobs.worker import worker_main

log = logging.getLogger(__name__)

_SPAWN = multiprocessing.get_context("spawn")
OUTBOX_SIZE = 64  # undelivered messages per worker before a send is refused
REAP_TIMEOUT = 5.0  # seconds a worker may take to exit once its pipe has closed
_CLOSE = object()  # in the outbox: close the command pipe once what came before is sent

OnMessage = Callable[[str, Any], None]
OnExit = Callable[[], None]


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


class WorkerProcess:
    """A spawned worker process (see :mod:`app.jobs.worker`) and the threads serving it."""

    def __init__(self, *, threads: int, gpu: str | None, cache_dir: str) -> None:
        self._events, events_out = _SPAWN.Pipe(duplex=False)
        commands_in, self._commands = _SPAWN.Pipe(duplex=False)
        self._child_ends = (events_out, commands_in)
        self.process = _SPAWN.Process(
            target=worker_main,
            args=(events_out, commands_in, threads, gpu, cache_dir),
            name="ganwatch-worker",
            daemon=True,
        )
        self._outbox: queue.Queue[object] = queue.Queue(maxsize=OUTBOX_SIZE)
        self._pump: threading.Thread | None = None
        self._delivering = False
        self.last_heard = time.monotonic()
        self.pid = 0

    def start(self, on_message: OnMessage, on_exit: OnExit) -> None:
        """Start the process; ``on_message(kind, payload)`` gets every message but heartbeats
        (from the pump thread), and ``on_exit()`` is called once the process has been reaped."""
        self.process.start()
        # The child has its own copies; ours would keep the pipes open and hide its death.
        for end in self._child_ends:
            end.close()
        assert self.process.pid is not None  # set by start()
        self.pid = self.process.pid
        self.last_heard = time.monotonic()
        threading.Thread(
            target=self._send_loop, name=f"ganwatch-send-{self.pid}", daemon=True
        ).start()
        self._pump = threading.Thread(
            target=self._pump_loop,
            args=(on_message, on_exit),
            name=f"ganwatch-pump-{self.pid}",
            daemon=True,
        )
        self._pump.start()

    def send(self, message: object) -> None:
        """Queue ``message`` for the worker without blocking; queue.Full when the outbox is."""
        self._outbox.put_nowait(message)

    def close(self) -> None:
        """Close the command pipe once what is queued has been sent (an idle worker exits)."""
        try:
            self._outbox.put_nowait(_CLOSE)
        except queue.Full:
            log.warning("worker %d: not reading its commands; terminating it", self.pid)
            self.terminate()

    def silent_for(self, now: float) -> float:
        """Seconds since the worker was last heard from; 0 while the pump is busy delivering
        (a slow sink is not the worker's silence)."""
        return 0.0 if self._delivering else now - self.last_heard

    def alive(self) -> bool:
        """Alive until its pump has reaped it (the pump is the only thread that joins it)."""
        return self._pump is not None and self._pump.is_alive()

    def exited(self) -> bool:
        """Whether the process has ended, without reaping it (the pump does that)."""
        return bool(wait([self.process.sentinel], 0))

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the worker to be reaped."""
        if self._pump is not None:
            self._pump.join(max(0.0, timeout))

    def terminate(self) -> None:
        """SIGTERM (a stopped process only acts on it once continued)."""
        self.process.terminate()

    def kill(self) -> None:
        """SIGKILL, which works on a stopped process too."""
        self.process.kill()

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def _send_loop(self) -> None:
        while (message := self._outbox.get()) is not _CLOSE:
            try:
                self._commands.send(message)  # blocks while the worker's pipe buffer is full
            except OSError:
                log.debug("worker %d: gone, %r not delivered", self.pid, message)
                break
        self._commands.close()

    def _pump_loop(self, on_message: OnMessage, on_exit: OnExit) -> None:
        try:
            while True:
                kind, payload = self._events.recv()
                self.last_heard = time.monotonic()
                if kind == "heartbeat":
                    continue
                self._delivering = True
                try:
                    on_message(kind, payload)
                finally:
                    self.last_heard = time.monotonic()
                    self._delivering = False
        except (EOFError, OSError):
            pass
        self._reap()
        on_exit()

    def _reap(self) -> None:
        self.process.join(REAP_TIMEOUT)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self._events.close()
        # Ends a sender waiting for work; one blocked in a send fails now the reader is gone.
        with contextlib.suppress(queue.Full):
            self._outbox.put_nowait(_CLOSE)
