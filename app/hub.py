"""Fan-out of frames to websocket viewers: one Hub, one job.

Every viewer has its own bounded buffer. Publishing never waits: when a viewer's buffer
is full its frames are coalesced (metrics frames merged into one batched frame, only the
latest samples frame and the latest ``run`` frame per run kept; status, alert, quality and
other frames are never dropped). A viewer that still falls ``OVERFLOW`` frames behind is
cut off (it reconnects and gets a fresh snapshot). A slow viewer thus never slows the run
nor the other viewers. Call the Hub from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from gan_core.events import METRIC_FIELDS, finite

Frame = dict[str, Any]
BUFFER = 64  # frames a viewer may lag behind before its buffer is coalesced
OVERFLOW = 4 * BUFFER  # frames a viewer may lag behind even after coalescing
MAX_MERGED_STEPS = 2000  # steps in one merged metrics frame; beyond, every other one is kept
_COLUMNS = ("steps", *METRIC_FIELDS)


class HubFull(Exception):
    """A topic, or the client, already has as many viewers as allowed."""


def encode(frame: Frame) -> tuple[Frame, str]:
    """``frame`` as strict JSON text (no NaN), with the frame that text describes."""
    try:
        return frame, json.dumps(frame, allow_nan=False)
    except ValueError:  # rare: a diverged run; the walk is paid only then
        clean = finite(frame)
        return clean, json.dumps(clean, allow_nan=False)


@dataclass(frozen=True)
class Message:
    """A frame and its JSON text, encoded once for all viewers."""

    frame: Frame
    text: str

    @classmethod
    def of(cls, frame: Frame) -> Message:
        return cls(*encode(frame))


def merge_metrics(frames: list[Frame]) -> Frame:
    """One metrics frame holding all the frames' steps (decimated past MAX_MERGED_STEPS)."""
    merged = {**frames[-1], **{name: [v for f in frames for v in f[name]] for name in _COLUMNS}}
    count = len(merged["steps"])
    if count > MAX_MERGED_STEPS:
        stride = -(-count // MAX_MERGED_STEPS)
        keep = list(range(0, count, stride))
        if keep[-1] != count - 1:
            keep[-1] = count - 1  # the newest step must survive: it is where the curve ends
        for name in _COLUMNS:
            merged[name] = [merged[name][i] for i in keep]
    return merged


def coalesce(messages: list[Message]) -> list[Message]:
    """Shrink a backlog: one merged metrics frame, the latest samples frame, the latest
    ``run`` frame per run and the latest ``positions`` frame, each at the position of its
    newest original; the rest as is.

    Status frames are barriers: nothing moves across one, so steps trained before a
    pause never arrive after its ``paused`` frame.
    """
    out: list[Message] = []
    segment: list[Message] = []
    for message in messages:
        if message.frame.get("type") == "status":
            out += _coalesce_segment(segment)
            out.append(message)
            segment = []
        else:
            segment.append(message)
    return out + _coalesce_segment(segment)


def _coalesce_segment(messages: list[Message]) -> list[Message]:
    out: list[Message | None] = []
    metrics: list[Frame] = []
    latest: dict[Any, int] = {}
    for message in messages:
        frame = message.frame
        kind = frame.get("type")
        if kind in ("metrics", "samples", "run", "positions"):
            key = (kind, frame["run"]["id"] if kind == "run" else None)
            if key in latest:
                out[latest[key]] = None
            latest[key] = len(out)
            if kind == "metrics":
                metrics.append(frame)
        out.append(message)
    if len(metrics) > 1:  # merged once, encoded once: a backlog costs linear time
        out[latest[("metrics", None)]] = Message.of(merge_metrics(metrics))
    return [m for m in out if m is not None]


class Subscription:
    """One viewer's buffer of frames on one topic."""

    def __init__(self, topic: str, client: str | None = None) -> None:
        self.topic = topic
        self.client = client
        self._messages: list[Message] = []
        self._ready = asyncio.Event()
        self.closed = False
        self.overflowed = False

    def put(self, message: Message) -> None:
        if self.closed:
            return
        self._messages.append(message)
        if len(self._messages) > BUFFER:
            self._messages = coalesce(self._messages)
            if len(self._messages) > OVERFLOW:
                self.overflowed = True
                self.close()
        self._ready.set()

    def close(self) -> None:
        """Wake the viewer for the last time."""
        self.closed = True
        self._ready.set()

    async def get(self) -> list[Message] | None:
        """Every frame buffered since the last call (waits for one); None once closed."""
        await self._ready.wait()
        self._ready.clear()
        if self.closed:
            return None
        messages, self._messages = self._messages, []
        return messages


class Hub:
    """Topics (a run id, or ``runs`` for the run list) and their viewers.

    A topic holds at most ``max_viewers``; one client (an address) at most
    ``max_per_client`` over all topics, so one page cannot take every slot.
    """

    def __init__(self, max_viewers: int, max_per_client: int | None = None) -> None:
        self.max_viewers = max_viewers
        self.max_per_client = max_per_client
        self._topics: dict[str, set[Subscription]] = {}
        self._clients: Counter[str] = Counter()

    def subscribe(self, topic: str, client: str | None = None) -> Subscription:
        """A new viewer of ``topic``; HubFull when the topic or the client is full."""
        viewers = self._topics.get(topic, set())
        if len(viewers) >= self.max_viewers:
            raise HubFull(f"{topic}: {len(viewers)} viewers already")
        if (
            client is not None
            and self.max_per_client is not None
            and self._clients[client] >= self.max_per_client
        ):
            raise HubFull(f"{client}: {self._clients[client]} viewers already")
        subscription = Subscription(topic, client)
        self._topics.setdefault(topic, viewers).add(subscription)
        if client is not None:
            self._clients[client] += 1
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        viewers = self._topics.get(subscription.topic)
        if viewers is None or subscription not in viewers:
            return
        viewers.discard(subscription)
        if not viewers:
            del self._topics[subscription.topic]
        if subscription.client is not None:
            self._clients[subscription.client] -= 1
            if self._clients[subscription.client] <= 0:
                del self._clients[subscription.client]

    def publish(self, topic: str, frame: Frame | Message) -> None:
        """Hand ``frame`` (or an already encoded Message) to every viewer of ``topic``."""
        viewers = self._topics.get(topic)
        if not viewers:
            return
        message = frame if isinstance(frame, Message) else Message.of(frame)
        for subscription in list(viewers):
            subscription.put(message)

    def viewers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def close(self) -> None:
        """Wake and end every viewer (server shutdown)."""
        for viewers in list(self._topics.values()):
            for subscription in list(viewers):
                self.unsubscribe(subscription)
