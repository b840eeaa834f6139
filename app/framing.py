"""What the server knows of frame payloads: how each type is encoded and how a viewer's
backlog may shrink.

The hub only sees :class:`~app.hub.Message` objects (JSON text plus a coalescing key, a
merge and a barrier flag); this module is where those are chosen, once per frame:

- metrics frames share one key and merge (their step columns concatenated, decimated
  past ``MAX_MERGED_STEPS``);
- a samples frame supersedes the run's earlier samples frame, a ``run`` frame the same
  run's earlier one, a ``positions`` frame the earlier queue positions;
- status frames are barriers: nothing moves across one, so steps trained before a pause
  never arrive after its ``paused`` frame;
- every other frame (quality, alert, reference, deleted, ...) is never dropped.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from app.hub import Message
from gan_core.events import METRIC_FIELDS, encode

Frame = dict[str, Any]
MAX_MERGED_STEPS = 2000  # steps in one merged metrics frame; beyond, every other one is kept
METRIC_COLUMNS = ("steps", *METRIC_FIELDS)  # the per-step columns of a metrics frame
_LATEST_ONLY = ("samples", "positions")


def message(frame: Frame, text: str | None = None) -> Message:
    """``frame`` encoded once (or already, as ``text``), with how a backlog may coalesce it."""
    if text is None:
        frame, text = encode(frame)
    kind = frame.get("type")
    key: Hashable | None = None
    if kind == "metrics":
        return Message(text, frame, key="metrics", merge=merge_messages)
    if kind in _LATEST_ONLY:
        key = kind
    elif kind == "run":
        key = ("run", frame["run"]["id"])
    return Message(text, frame, key=key, barrier=kind == "status")


def merge_metrics(frames: list[Frame]) -> Frame:
    """One metrics frame holding all the frames' steps (decimated past MAX_MERGED_STEPS)."""
    merged = {
        **frames[-1],
        **{name: [v for f in frames for v in f[name]] for name in METRIC_COLUMNS},
    }
    count = len(merged["steps"])
    if count > MAX_MERGED_STEPS:
        stride = -(-count // MAX_MERGED_STEPS)
        keep = list(range(0, count, stride))
        if keep[-1] != count - 1:
            keep[-1] = count - 1  # the newest step must survive: it is where the curve ends
        for name in METRIC_COLUMNS:
            merged[name] = [merged[name][i] for i in keep]
    return merged


def merge_messages(messages: list[Message]) -> Message:
    """Metrics messages as one (merged once, encoded once: a backlog costs linear time)."""
    return message(merge_metrics([m.frame for m in messages]))
