"""SQLite history of runs: rows, status transitions, metrics, quality, alerts, sample snapshots.

Writes never touch the event loop: they are queued to one writer thread
(:class:`~app.batch_writer.BatchWriter`) that commits them in batches, retrying a failed
batch until it commits. Reads run in a threadpool on their own connection, after
:meth:`Store.sync` so that they see every write queued before them. The file is in WAL
mode: readers never block the writer. ``PRAGMA user_version`` holds the schema version;
:data:`MIGRATIONS` brings an older file up to date at :meth:`Store.open`.

Samples frames are kept bounded and evenly thinned over the run (:mod:`app.retention`).
Everything else is kept until the run is deleted.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from app.batch_writer import BatchWriter, Op
from app.retention import KEEP_SAMPLES, spread_rowids, thin_samples
from gan_core.events import METRIC_FIELDS

log = logging.getLogger(__name__)

T = TypeVar("T")

SYNC_TIMEOUT = 30.0
JSON_COLUMNS = ("config", "latest_metrics", "latest_quality", "controls")
RUN_COLUMNS = (
    "id",
    "status",
    "preset",
    "config",
    "step",
    "total_steps",
    "reason",
    "created_at",
    "started_at",
    "finished_at",
    "latest_metrics",
    "latest_quality",
    "controls",
    "alerts",
    "steps_per_second",
    "checkpoint_step",
    "resume",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, preset TEXT, config TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0, total_steps INTEGER NOT NULL, reason TEXT,
    created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    latest_metrics TEXT, latest_quality TEXT, controls TEXT NOT NULL,
    alerts INTEGER NOT NULL DEFAULT 0, steps_per_second REAL, checkpoint_step INTEGER,
    resume INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);
CREATE TABLE IF NOT EXISTS status_transitions (
    run_id TEXT NOT NULL, status TEXT NOT NULL, step INTEGER, reason TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_run ON status_transitions (run_id);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, step INTEGER NOT NULL, {metric_columns}
);
CREATE INDEX IF NOT EXISTS metrics_run_step ON metrics (run_id, step);
CREATE TABLE IF NOT EXISTS quality (run_id TEXT NOT NULL, step INTEGER NOT NULL, frame TEXT);
CREATE INDEX IF NOT EXISTS quality_run ON quality (run_id, step);
CREATE TABLE IF NOT EXISTS alerts (
    run_id TEXT NOT NULL, step INTEGER NOT NULL, kind TEXT NOT NULL, frame TEXT
);
CREATE INDEX IF NOT EXISTS alerts_run ON alerts (run_id, step);
CREATE TABLE IF NOT EXISTS samples (run_id TEXT NOT NULL, step INTEGER NOT NULL, frame TEXT);
CREATE INDEX IF NOT EXISTS samples_run ON samples (run_id, step);
""".format(metric_columns=", ".join(f"{name} REAL" for name in METRIC_FIELDS))
HISTORY_TABLES = ("metrics", "quality", "alerts", "samples", "reference")


def _create_v1(conn: sqlite3.Connection) -> None:
    """Version 1: the tables above. A file from before versions existed has them already."""
    conn.executescript(SCHEMA)


def _create_v2(conn: sqlite3.Connection) -> None:
    """Version 2: each run's reference frame (what its live view sends once), the latest only."""
    conn.executescript(
        "CREATE TABLE IF NOT EXISTS reference (run_id TEXT NOT NULL, step INTEGER NOT NULL, "
        "frame TEXT); CREATE INDEX IF NOT EXISTS reference_run ON reference (run_id, step);"
    )


# MIGRATIONS[i] brings a file from user_version i to i + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_v1, _create_v2]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to SCHEMA_VERSION; RuntimeError for a file from a newer ganwatch."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}; this ganwatch knows "
            f"up to {SCHEMA_VERSION}: upgrade ganwatch or use another GANWATCH_DB"
        )
    for step in MIGRATIONS[version:]:
        step(conn)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for column in JSON_COLUMNS:
        if out.get(column) is not None:
            out[column] = json.loads(out[column])
    return out


def _exec(sql: str, args: Any) -> Op:
    def op(conn: sqlite3.Connection) -> None:
        conn.execute(sql, args)

    return op


def stride_for(count: int, max_points: int) -> int:
    """Keep every ``stride``-th row (plus the last): at most ``max_points`` rows of ``count``."""
    if count <= max_points:
        return 1
    return math.ceil((count - 1) / max(1, max_points - 2))


class Store:
    """The run database. ``open()`` before use, ``close()`` to flush and stop the writer."""

    def __init__(
        self, path: Path, connect: Callable[[Path], sqlite3.Connection] | None = None
    ) -> None:
        self.path = Path(path)
        connector = connect or _connect  # tests pass one that fails on purpose
        self._writer = BatchWriter(lambda: connector(self.path))
        self._started = False

    # --- lifecycle ---
    def open(self) -> None:
        """Create or migrate the schema (WAL mode) and start the writer thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(_connect(self.path)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            migrate(conn)
        self._writer.start()
        self._started = True

    def close(self) -> None:
        """Commit everything queued, then stop the writer."""
        if self._started:
            self._writer.close(SYNC_TIMEOUT)
            self._started = False

    def sync(self) -> None:
        """Block until every write queued so far is committed."""
        if self._started and not self._writer.sync(SYNC_TIMEOUT):
            log.error("store: writer did not catch up within %.0fs", SYNC_TIMEOUT)

    def health(self) -> dict[str, Any]:
        """The writer's state: ``state``, ``pending``, ``last_error``, ``restarts``."""
        return self._writer.health()

    def _write(self, op: Op) -> None:
        self._writer.write(op)

    # --- writes (queued, never blocking) ---
    def insert_run(self, row: dict[str, Any]) -> None:
        values = [
            json.dumps(row[c]) if c in JSON_COLUMNS and row[c] is not None else row[c]
            for c in RUN_COLUMNS
        ]
        sql = f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(values))})"
        self._write(_exec(sql, values))

    def update_run(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(RUN_COLUMNS)
        if unknown:
            raise ValueError(f"unknown run columns {sorted(unknown)}")
        values = [
            json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in fields.items()
        ]
        sql = f"UPDATE runs SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?"
        self._write(_exec(sql, [*values, run_id]))

    def add_transition(
        self, run_id: str, status: str, step: int, reason: str | None, at: str
    ) -> None:
        sql = "INSERT INTO status_transitions VALUES (?, ?, ?, ?, ?)"
        self._write(_exec(sql, (run_id, status, step, reason, at)))

    def add_metrics(self, run_id: str, frame: dict[str, Any]) -> None:
        """One row per step of a (columnar) metrics frame."""
        columns = [frame["steps"], *(frame[name] for name in METRIC_FIELDS)]
        rows = [(run_id, *values) for values in zip(*columns, strict=True)]
        sql = (
            f"INSERT INTO metrics (run_id, step, {', '.join(METRIC_FIELDS)}) "
            f"VALUES ({', '.join('?' * (2 + len(METRIC_FIELDS)))})"
        )

        def op(conn: sqlite3.Connection) -> None:
            conn.executemany(sql, rows)

        self._write(op)

    def add_frame(
        self, table: str, run_id: str, frame: dict[str, Any], text: str | None = None
    ) -> None:
        """A quality, alert, samples or reference frame (``text``: its JSON, if the caller
        has it); samples are thinned to the retention bound, a reference replaces the last."""
        text = text if text is not None else json.dumps(frame)
        step = frame["step"]
        if table == "alerts":
            sql = "INSERT INTO alerts VALUES (?, ?, ?, ?)"
            values: tuple[Any, ...] = (run_id, step, frame["kind"], text)
        elif table in ("quality", "samples", "reference"):
            sql, values = f"INSERT INTO {table} VALUES (?, ?, ?)", (run_id, step, text)
        else:
            raise ValueError(f"no frame table {table!r}")
        keep = KEEP_SAMPLES.get(frame.get("kind", ""), 0) if table == "samples" else 0
        keep = 1 if table == "reference" else keep

        def op(conn: sqlite3.Connection) -> None:
            if table == "reference":
                conn.execute("DELETE FROM reference WHERE run_id = ?", (run_id,))
            conn.execute(sql, values)
            if keep and table == "samples":
                thin_samples(conn, run_id, keep)

        self._write(op)

    def truncate_after(self, run_id: str, step: int) -> None:
        """Forget history past ``step``: a resumed run repeats those steps from its checkpoint."""

        def op(conn: sqlite3.Connection) -> None:
            for table in HISTORY_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE run_id = ? AND step > ?", (run_id, step))

        self._write(op)

    def delete_run(self, run_id: str) -> None:
        def op(conn: sqlite3.Connection) -> None:
            for table in (*HISTORY_TABLES, "status_transitions"):
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        self._write(op)

    # --- reads (blocking: call them from a threadpool) ---
    def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query`` on a fresh connection once pending writes are committed."""
        self.sync()
        with closing(_connect(self.path)) as conn:
            return query(conn)

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        def query(conn: sqlite3.Connection) -> dict[str, Any] | None:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            return None if row is None else _row(row)

        return self.read(query)

    def list_runs(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """Newest first, and the count of all runs matching ``status``."""
        where, args = ("WHERE status = ?", [status]) if status else ("", [])

        def query(conn: sqlite3.Connection) -> tuple[list[dict[str, Any]], int]:
            count = conn.execute(f"SELECT COUNT(*) FROM runs {where}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM runs {where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
            return [_row(r) for r in rows], int(count)

        return self.read(query)

    def runs_with_status(self, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        """Oldest first (the queue's order)."""
        marks = ", ".join("?" * len(statuses))
        return self.read(
            lambda conn: [
                _row(r)
                for r in conn.execute(
                    f"SELECT * FROM runs WHERE status IN ({marks}) ORDER BY created_at, rowid",
                    statuses,
                )
            ]
        )

    def metrics(self, run_id: str, max_points: int) -> dict[str, list[Any]]:
        """Columnar metrics; over ``max_points`` rows, every stride-th step plus the last.

        Steps of a run are evenly spaced (a row per step), so the stride is found from
        the first two and the last step (index lookups) and the rows are picked by
        ``step % stride`` during one index scan: no sort, no window over the whole run.
        """
        columns = ("step", *METRIC_FIELDS)

        def query(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            where = "FROM metrics WHERE run_id = ? ORDER BY step"
            first = [r[0] for r in conn.execute(f"SELECT step {where} LIMIT 2", (run_id,))]
            if not first:
                return []
            last = conn.execute(f"SELECT step {where} DESC LIMIT 1", (run_id,)).fetchone()[0]
            spacing = max(1, first[-1] - first[0])
            stride = spacing * stride_for((last - first[0]) // spacing + 1, max_points)
            return conn.execute(
                f"SELECT {', '.join(columns)} FROM metrics WHERE run_id = ? "
                "AND ((step - ?) % ? = 0 OR step = ?) ORDER BY step",
                (run_id, first[0], stride, last),
            ).fetchall()

        rows = self.read(query)
        values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        out = {name: list(column) for name, column in zip(columns, values, strict=True)}
        out["steps"] = out.pop("step")
        return out

    def last_metrics_step(self, run_id: str) -> int | None:
        """The newest step of the run's committed metrics, None if it has none."""
        row = self.read(
            lambda conn: conn.execute(
                "SELECT MAX(step) FROM metrics WHERE run_id = ?", (run_id,)
            ).fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

    def frames(self, table: str, run_id: str, last: int | None = None) -> list[dict[str, Any]]:
        """Quality, alert, samples or reference frames, oldest first (only the ``last`` ones
        if given)."""
        if table not in ("quality", "alerts", "samples", "reference"):
            raise ValueError(f"no frame table {table!r}")
        sql = f"SELECT frame FROM {table} WHERE run_id = ? ORDER BY step DESC, rowid DESC"
        args: list[Any] = [run_id]
        if last is not None:
            sql += " LIMIT ?"
            args.append(last)
        rows = self.read(lambda conn: conn.execute(sql, args).fetchall())
        return [json.loads(r[0]) for r in reversed(rows)]

    def samples(self, run_id: str, max_frames: int) -> list[dict[str, Any]]:
        """At most ``max_frames`` stored samples frames, evenly spread by step, oldest first."""

        def query(conn: sqlite3.Connection) -> list[Any]:
            rowids = spread_rowids(conn, run_id, max_frames)
            marks = ", ".join("?" * len(rowids))
            sql = f"SELECT frame FROM samples WHERE rowid IN ({marks}) ORDER BY step, rowid"
            return conn.execute(sql, rowids).fetchall()

        return [json.loads(r[0]) for r in self.read(query)]

    def transitions(self, run_id: str) -> list[dict[str, Any]]:
        return self.read(
            lambda conn: [
                dict(r)
                for r in conn.execute(
                    "SELECT status, step, reason, at FROM status_transitions WHERE run_id = ? "
                    "ORDER BY rowid",
                    (run_id,),
                )
            ]
        )
