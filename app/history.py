"""History reads: what a late joiner, a chart or a download needs of a run so far.

Blocking store reads; the manager runs them in a threadpool.
"""

from __future__ import annotations

from typing import Any

from app.store import Store


def snapshot_history(store: Store, run_id: str, history_points: int) -> dict[str, Any]:
    """Metrics (at most ``history_points``), every quality and alert frame, the reference
    frame and the latest samples frame (older ones: ``GET /api/runs/{id}/samples``)."""
    return {
        "metrics": store.metrics(run_id, history_points),
        "quality": store.frames("quality", run_id),
        "alerts": store.frames("alerts", run_id),
        "samples": store.frames("samples", run_id, 1),
        "reference": next(iter(store.frames("reference", run_id, 1)), None),
    }


def latest_samples(store: Store, run_id: str) -> dict[str, Any] | None:
    """The run's newest samples frame, if it has one."""
    frames = store.frames("samples", run_id, 1)
    return frames[-1] if frames else None
