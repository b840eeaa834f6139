"""Frame intake: a run's frames encoded once, then folded into its row and the store.

:func:`prepare` runs on the executor's threads, so the JSON encoding of a frame (the
costly part for large samples frames) is done off the event loop, once for the store
and every viewer alike. :func:`record` runs on the loop and only touches memory and
the store's write queue, which never blocks.
"""

from __future__ import annotations

from typing import Any

from app import framing
from app.hub import Message
from app.records import Row
from app.store import Store

HIDDEN = ("v", "type", "run_id")  # protocol fields a run's latest quality does not repeat


def prepare(run_id: str, frame: dict[str, Any]) -> Message:
    """The frame tagged with its run, as strict JSON (NaN and inf become null); a frame
    the worker encoded keeps its text, and its header stands for it on the server."""
    if "json" in frame:
        header = {k: v for k, v in frame.items() if k != "json"}
        return framing.message({**header, "run_id": run_id}, text=frame["json"])
    return framing.message({**frame, "run_id": run_id})


def record(store: Store, row: Row, message: Message) -> bool:
    """Store a metrics, reference, samples, quality, alert or checkpoint frame; fold it in ``row``.

    True when the change is one run-list viewers should hear at once (a new alert).
    """
    frame, run_id = message.frame, row["id"]
    kind = frame.get("type")
    if kind == "metrics":
        last = {
            name: frame[name][-1] if frame[name] else None
            for name in ("loss_d", "loss_g", "d_real", "d_fake")
        }
        row.update(
            step=frame["step"],
            steps_per_second=frame["steps_per_second"],
            latest_metrics={"step": frame["step"], **last},
        )
        store.add_metrics(run_id, frame)
        store.update_run(
            run_id,
            step=row["step"],
            latest_metrics=row["latest_metrics"],
            steps_per_second=row["steps_per_second"],
        )
    elif kind == "reference":
        store.add_frame("reference", run_id, frame, message.text)
    elif kind in ("samples", "quality", "alert"):
        store.add_frame("alerts" if kind == "alert" else str(kind), run_id, frame, message.text)
        if kind == "quality":
            row["latest_quality"] = {k: v for k, v in frame.items() if k not in HIDDEN}
            store.update_run(run_id, latest_quality=row["latest_quality"])
        elif kind == "alert":
            row["alerts"] += 1
            store.update_run(run_id, alerts=row["alerts"])
            return True
    elif kind == "checkpoint":
        row["checkpoint_step"] = frame["step"]
        store.update_run(run_id, checkpoint_step=frame["step"])
    return False
