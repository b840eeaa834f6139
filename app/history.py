"""History reads: what a late joiner, a chart or a download needs of a run so far.

Blocking store reads; the manager runs them in a threadpool.
"""

from __future__ import annotations

from typing import Any

from app.store import Store

SNAPSHOT_IMAGES = 30  # image grids in a snapshot; point runs send only their latest frame


def snapshot_history(store: Store, run_id: str, history_points: int) -> dict[str, Any]:
    """Metrics (at most ``history_points``), every quality and alert frame, the reference
    frame and the latest samples."""
    samples = store.frames("samples", run_id, 1)
    if samples and samples[0].get("kind") == "images":  # the page's scrubber goes back
        samples = store.frames("samples", run_id, SNAPSHOT_IMAGES)
    return {
        "metrics": store.metrics(run_id, history_points),
        "quality": store.frames("quality", run_id),
        "alerts": store.frames("alerts", run_id),
        "samples": samples,
        "reference": next(iter(store.frames("reference", run_id, 1)), None),
    }


def latest_samples(store: Store, run_id: str) -> dict[str, Any] | None:
    """The run's newest samples frame, if it has one."""
    frames = store.frames("samples", run_id, 1)
    return frames[-1] if frames else None
