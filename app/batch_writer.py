"""BatchWriter: one thread that commits queued SQLite operations in batches, and never loses one.

Operations (``Callable[[sqlite3.Connection], None]``) are committed in order, one
transaction per batch (every ``FLUSH_SECONDS`` or ``BATCH_ROWS`` operations). A batch
that fails with a SQLite error (disk full, database locked) is rolled back and retried,
whole and in order, with a growing pause, until it commits; what is queued meanwhile
waits behind it. An operation that raises anything else is a bug: the batch is replayed
one operation per transaction and only that operation is dropped (and logged). If the
thread dies all the same, :meth:`ensure_running` starts a new one that retries the batch
it held first, one operation at a time, so the one that killed it is dropped.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

log = logging.getLogger(__name__)

Op = Callable[[sqlite3.Connection], None]
Connect = Callable[[], sqlite3.Connection]

FLUSH_SECONDS = 0.5
BATCH_ROWS = 500
FIRST_RETRY = 0.05
LAST_RETRY = 2.0
_STOP = object()


class BatchWriter:
    """The writer thread and its queue. ``start()`` before use, ``close()`` to flush and stop."""

    def __init__(
        self,
        connect: Connect,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._connect = connect
        self._flush_seconds = flush_seconds
        self._batch_rows = batch_rows
        self._ops: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._batch: list[Op] = []  # taken off the queue, not committed yet (survives a restart)
        self._barriers: list[threading.Event] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._queued = 0
        self._committed = 0
        self._state = "ok"
        self._last_error: str | None = None
        self._restarts = 0
        self._closed = False
        self._suspect = False  # the held batch may be what killed the last thread

    # --- lifecycle ---
    def start(self) -> None:
        with self._lock:
            self._spawn()

    def ensure_running(self) -> None:
        """Restart the thread if it died (its batch and the queue are kept)."""
        with self._lock:
            if self._closed or self._thread is None or self._thread.is_alive():
                return
            self._restarts += 1
            self._suspect = bool(self._batch)
            log.error("store: the writer thread died; restarting it (%d restarts)", self._restarts)
            self._spawn()

    def close(self, timeout: float) -> None:
        """Commit everything queued, then stop the thread (waits at most ``timeout``)."""
        self.ensure_running()
        with self._lock:
            self._closed = True
            thread = self._thread
        self._ops.put(_STOP)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("store: %d writes not committed at close", self.pending())

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ganwatch-store", daemon=True)
        self._thread.start()

    # --- use ---
    def write(self, op: Op) -> None:
        """Queue ``op``; it never blocks."""
        with self._lock:
            self._queued += 1
        self._ops.put(op)
        self.ensure_running()

    def sync(self, timeout: float) -> bool:
        """Block until everything queued before the call is committed; False on time-out."""
        self.ensure_running()
        if self._thread is None:
            return True
        done = threading.Event()
        self._ops.put(done)
        return done.wait(timeout)

    def pending(self) -> int:
        with self._lock:
            return self._queued - self._committed

    def health(self) -> dict[str, Any]:
        """``state`` (ok | retrying | stopped), ``pending`` writes, ``last_error``, ``restarts``."""
        self.ensure_running()
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            return {
                "state": self._state if alive else "stopped",
                "pending": self._queued - self._committed,
                "last_error": self._last_error,
                "restarts": self._restarts,
            }

    # --- the thread ---
    def _run(self) -> None:
        with closing(self._connect()) as conn:
            stopping = False
            while not stopping:
                if not self._batch and not self._barriers:
                    stopping = self._take(self._ops.get())
                deadline = time.monotonic() + self._flush_seconds
                while not stopping and not self._barriers and len(self._batch) < self._batch_rows:
                    try:
                        item = self._ops.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        break
                    stopping = self._take(item)
                self._commit(conn)
                for barrier in self._barriers:
                    barrier.set()
                self._barriers = []

    def _take(self, item: Any) -> bool:
        """File a queued item; True for the stop marker."""
        if item is _STOP:
            return True
        if isinstance(item, threading.Event):
            self._barriers.append(item)
        else:
            self._batch.append(item)
        return False

    def _commit(self, conn: sqlite3.Connection) -> None:
        """Commit the held batch, retrying SQLite errors until it goes through."""
        pause = FIRST_RETRY
        if self._suspect:
            self._suspect = False
            self._replay(conn)
            self._done(len(self._batch))
            self._batch = []
        while self._batch:
            try:
                self._transaction(conn, self._batch)
            except sqlite3.Error as exc:
                self._failing(exc, len(self._batch))
                time.sleep(pause)
                pause = min(2 * pause, LAST_RETRY)
                continue
            except Exception:
                log.exception("store: a write raised; replaying its batch one write at a time")
                self._replay(conn)
            self._done(len(self._batch))
            self._batch = []

    def _replay(self, conn: sqlite3.Connection) -> None:
        """Each op of the batch in its own transaction: only the ones that raise are dropped."""
        for op in self._batch:
            pause = FIRST_RETRY
            while True:
                try:
                    self._transaction(conn, [op])
                    break
                except sqlite3.Error as exc:
                    self._failing(exc, 1)
                    time.sleep(pause)
                    pause = min(2 * pause, LAST_RETRY)
                except BaseException:  # replayed ops may be the one that killed a thread
                    log.exception("store: dropped a write that raised")
                    break

    @staticmethod
    def _transaction(conn: sqlite3.Connection, ops: list[Op]) -> None:
        with conn:  # one transaction; rolled back if an op raises
            for op in ops:
                op(conn)

    def _failing(self, exc: sqlite3.Error, size: int) -> None:
        message = f"{type(exc).__name__}: {exc}"
        with self._lock:
            first = self._state != "retrying" or self._last_error != message
            self._state, self._last_error = "retrying", message
        if first:
            log.error(
                "store: a batch of %d writes failed (%s); retrying until it commits", size, message
            )

    def _done(self, size: int) -> None:
        with self._lock:
            self._committed += size
            if self._state == "retrying":
                log.info("store: writes commit again")
            self._state = "ok"
