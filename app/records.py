"""A run's row: what the store keeps of it, how a new one starts, and its public view.

The row is a plain dict with the store's columns (``app.store.RUN_COLUMNS``): the store
reads and writes it as is, the manager keeps the live runs' rows in memory, and
:func:`public` is what the API shows of one (``RunPublic``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from gan_core.config import RunConfig

Row = dict[str, Any]


def now_iso() -> str:
    """The current time as the store writes it (UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_row(config: RunConfig, preset: str | None) -> Row:
    """The row of a run that has just been queued."""
    return {
        "id": uuid.uuid4().hex[:12],
        "status": "queued",
        "preset": preset,
        "config": config.model_dump(),
        "step": 0,
        "total_steps": config.steps,
        "reason": None,
        "created_at": now_iso(),
        "started_at": None,
        "finished_at": None,
        "latest_metrics": None,
        "latest_quality": None,
        "alerts": 0,
        "controls": {
            "lr_g": config.lr_g,
            "lr_d": config.lr_d,
            "freeze_g": False,
            "freeze_d": False,
        },
        "steps_per_second": None,
        "checkpoint_step": None,
        "resume": 0,
    }


def public(row: Row, queue_position: int | None = None) -> dict[str, Any]:
    """The RunPublic dict of a run row."""
    return {
        "id": row["id"],
        "status": row["status"],
        "preset": row["preset"],
        "config": row["config"],
        "step": row["step"],
        "total_steps": row["total_steps"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "reason": row["reason"],
        "queue_position": queue_position,
        "steps_per_second": row["steps_per_second"],
        "latest_metrics": row["latest_metrics"],
        "latest_quality": row["latest_quality"],
        "controls": row["controls"],
        "alerts": row["alerts"],
    }
