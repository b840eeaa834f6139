"""Store faults: a failing batch is retried until it commits, a dead writer restarts, none lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.store import SCHEMA_VERSION, Store, _connect


class Flaky:
    """A connection that fails its next ``failures`` commits with ``error``."""

    def __init__(self, conn: sqlite3.Connection, failures: int, error: str) -> None:
        self._conn = conn
        self.failures = failures
        self.error = error

    def __enter__(self) -> Any:
        return self._conn.__enter__()

    def __exit__(self, kind: Any, value: Any, tb: Any) -> Any:
        if kind is None and self.failures > 0:
            self.failures -= 1
            self._conn.rollback()
            raise sqlite3.OperationalError(self.error)
        return self._conn.__exit__(kind, value, tb)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def flaky_store(
    tmp_path: Path, failures: int, error: str = "database is locked"
) -> tuple[Store, list[Flaky]]:
    made: list[Flaky] = []

    def connect(path: Path) -> Any:
        made.append(Flaky(_connect(path), failures if not made else 0, error))
        return made[-1]

    store = Store(tmp_path / "db.sqlite", connect=connect)
    store.open()
    return store, made


def metrics(first: int, last: int) -> dict[str, Any]:
    steps = list(range(first, last + 1))
    names = ("loss_d", "loss_g", "d_real", "d_fake", "grad_g", "grad_d")
    return {"steps": steps, **{n: [0.5] * len(steps) for n in names}}


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_failing_batch_is_retried_until_it_commits_and_lands_once(tmp_path: Path) -> None:
    store, _ = flaky_store(tmp_path, failures=3, error="disk I/O error")
    store.add_metrics("r", metrics(1, 50))
    store.add_metrics("r", metrics(51, 60))
    wait_until(lambda: store.health()["state"] == "retrying")
    assert "disk I/O error" in (store.health()["last_error"] or "")
    store.sync()
    assert store.metrics("r", 1000)["steps"] == list(range(1, 61))
    assert store.health()["state"] == "ok" and store.health()["pending"] == 0
    store.close()


def test_a_write_that_raises_is_dropped_alone(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    store.add_metrics("r", metrics(1, 5))

    def broken(conn: sqlite3.Connection) -> None:
        raise KeyError("a bug")

    store._write(broken)
    store.add_metrics("r", metrics(6, 9))
    store.sync()
    assert store.metrics("r", 100)["steps"] == list(range(1, 10))
    assert store.health()["state"] == "ok"
    store.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_writer_is_restarted_with_nothing_lost(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    release = threading.Event()

    def fatal(conn: sqlite3.Connection) -> None:
        release.wait(5)
        raise SystemExit("the thread dies")  # not an Exception: escapes every handler

    store._write(fatal)
    store.add_metrics("r", metrics(1, 20))
    release.set()
    writer = store._writer
    wait_until(lambda: writer._thread is not None and not writer._thread.is_alive())
    store.add_metrics("r", metrics(21, 30))  # any use restarts it
    store.sync()
    assert store.health()["restarts"] == 1
    assert store.metrics("r", 100)["steps"] == list(range(1, 31))
    store.close()


def test_the_schema_version_is_recorded_and_a_newer_one_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    store.close()
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="schema version 99"):
        Store(tmp_path / "db.sqlite").open()


def test_last_metrics_step(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    assert store.last_metrics_step("r") is None
    store.add_metrics("r", metrics(1, 42))
    assert store.last_metrics_step("r") == 42
    store.close()
