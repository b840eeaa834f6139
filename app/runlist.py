"""The run-list feed: what ``/ws/runs`` viewers hear of every run, and of the queue.

A status change is told at once; progress of a run at most ``UPDATES_PER_SECOND`` times a
second. The queue's order goes out as one ``positions`` frame per change, not as one
``run`` frame per queued run: a dispatch with 400 runs waiting costs one frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from app import framing
from app.hub import Hub
from gan_core.events import PROTOCOL_VERSION

UPDATES_PER_SECOND = 2
TOPIC = "runs"


class RunListFeed:
    """Throttled ``run`` frames and ``positions`` frames on the hub's ``runs`` topic."""

    def __init__(
        self,
        hub: Hub,
        loop: asyncio.AbstractEventLoop,
        current: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self._hub = hub
        self._loop = loop
        self._current = current  # a run's RunPublic now (None once it is gone)
        self._told_at: dict[str, float] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def changed(self, run_id: str, *, now: bool, run: dict[str, Any] | None = None) -> None:
        """Tell viewers about ``run_id`` (``run``: its final view, for a run that has ended)."""
        timer = self._timers.pop(run_id, None)
        wait = 1 / UPDATES_PER_SECOND - (time.monotonic() - self._told_at.get(run_id, 0.0))
        if now or wait <= 0:
            if timer is not None:
                timer.cancel()
            self._tell(run_id, run)
        elif timer is not None:
            self._timers[run_id] = timer
        else:
            self._timers[run_id] = self._loop.call_later(wait, self._tell, run_id)

    def ended(self, run_id: str, run: dict[str, Any]) -> None:
        """The run left the live set: its last frame now, and nothing more for it."""
        self.changed(run_id, now=True, run=run)
        self._told_at.pop(run_id, None)

    def positions(self, queue: list[str]) -> None:
        """The queue's order changed: ``queue`` holds the waiting run ids, first first."""
        self._publish({"type": "positions", "v": PROTOCOL_VERSION, "queue": queue})

    def deleted(self, run_id: str) -> None:
        self._publish({"type": "deleted", "v": PROTOCOL_VERSION, "id": run_id})

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _tell(self, run_id: str, run: dict[str, Any] | None = None) -> None:
        self._timers.pop(run_id, None)
        self._told_at[run_id] = time.monotonic()
        run = run if run is not None else self._current(run_id)
        if run is not None:
            self._publish({"type": "run", "v": PROTOCOL_VERSION, "run": run})

    def _publish(self, frame: dict[str, Any]) -> None:
        if self._hub.viewers(TOPIC):  # encoded only when someone listens
            self._hub.publish(TOPIC, framing.message(frame))
