"""Fan-out of frames to websocket viewers: one Hub, one job.

Every viewer has its own bounded buffer. Publishing never waits: when a viewer's buffer
is full its messages are coalesced by what each message says of itself (its ``key``,
``merge`` and ``barrier``, chosen in :mod:`app.framing`); the hub never reads a payload.
A viewer that still falls ``OVERFLOW`` messages behind is cut off (it reconnects and gets
a fresh snapshot). A slow viewer thus never slows the run nor the other viewers. Call the
Hub from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

BUFFER = 64  # frames a viewer may lag behind before its buffer is coalesced
OVERFLOW = 4 * BUFFER  # frames a viewer may lag behind even after coalescing


class HubFull(Exception):
    """A topic, or the client, already has as many viewers as allowed."""


@dataclass(frozen=True)
class Message:
    """JSON text, encoded once for every viewer, and how a backlog may shrink it.

    ``key``: a later message with the same key supersedes this one (or, with ``merge``,
    the keyed messages of a backlog become ``merge(them)``); ``barrier``: nothing moves
    across it. ``frame`` is the payload the text encodes, for the server's own readers;
    the hub never looks at it.
    """

    text: str
    frame: dict[str, Any]
    key: Hashable | None = None
    merge: Callable[[list[Message]], Message] | None = None
    barrier: bool = False


def coalesce(messages: list[Message]) -> list[Message]:
    """Shrink a backlog: between barriers, each key's messages become one (merged, or the
    newest) at the position of the newest; unkeyed messages stay as they are."""
    out: list[Message] = []
    segment: list[Message] = []
    for message in messages:
        if message.barrier:
            out += _coalesce_segment(segment)
            out.append(message)
            segment = []
        else:
            segment.append(message)
    return out + _coalesce_segment(segment)


def _coalesce_segment(messages: list[Message]) -> list[Message]:
    out: list[Message | None] = []
    latest: dict[Hashable, int] = {}
    keyed: dict[Hashable, list[Message]] = {}
    for message in messages:
        key = message.key
        if key is not None:
            if key in latest:
                out[latest[key]] = None
            latest[key] = len(out)
            keyed.setdefault(key, []).append(message)
        out.append(message)
    for key, group in keyed.items():
        merge = group[-1].merge
        if merge is not None and len(group) > 1:  # merged once: a backlog costs linear time
            out[latest[key]] = merge(group)
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

    def publish(self, topic: str, message: Message) -> None:
        """Hand ``message`` to every viewer of ``topic``."""
        for subscription in list(self._topics.get(topic, ())):
            subscription.put(message)

    def viewers(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    def close(self) -> None:
        """Wake and end every viewer (server shutdown)."""
        for viewers in list(self._topics.values()):
            for subscription in list(viewers):
                self.unsubscribe(subscription)
