"""Websockets: one run's frames (a snapshot of its history, then live) and the run list.

Handlers stay thin: accept, admit, subscribe to the hub, send, and clean up on disconnect.
A refusal comes after ``accept()``, as a close code the page can act on (a refusal
before it is, over a real server, only a failed handshake): 1008 foreign Origin or no
valid ticket, 1013 too many viewers (or too far behind), 4404 unknown run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app import framing
from app.deps import HubDep, RunManagerDep, SettingsDep, TicketsDep, TokenDep
from app.guard import origin_allowed
from app.hub import Hub, HubFull, Message, Subscription
from app.manager import RunNotFound
from app.schemas import TicketPublic, errors
from app.settings import Settings
from app.tickets import Tickets
from gan_core.events import PROTOCOL_VERSION

router = APIRouter(tags=["stream"])

POLICY_VIOLATION = 1008  # foreign origin or no valid ticket
TRY_AGAIN_LATER = 1013  # too many viewers, or this viewer fell too far behind
NOT_FOUND = 4404
LIST_SIZE = 100


@router.post(
    "/api/tickets",
    response_model=TicketPublic,
    dependencies=[TokenDep],
    responses=errors(),
    status_code=201,
)
async def issue_ticket(tickets: TicketsDep) -> Any:
    """A single-use ticket for one websocket (``?ticket=...``), so no token goes in a URL."""
    return {"ticket": tickets.issue(), "expires_in": tickets.ttl}


async def _admitted(ws: WebSocket, settings: Settings, tickets: Tickets) -> bool:
    """Accept, then keep the viewer if its Origin is ours and (with a token set) its ticket is."""
    await ws.accept()
    if not origin_allowed(ws.headers, settings):
        await ws.close(code=POLICY_VIOLATION, reason="foreign origin")
        return False
    if settings.token is not None and not tickets.redeem(ws.query_params.get("ticket")):
        await ws.close(code=POLICY_VIOLATION, reason="missing or expired ticket")
        return False
    return True


@dataclass
class SnapshotMarks:
    """What a snapshot already holds, so live frames buffered meanwhile are not sent twice."""

    metrics: int = -1
    samples: int = -1
    quality: int = -1
    alerts: set[tuple[int, str]] = field(default_factory=set)

    @classmethod
    def of(cls, history: dict[str, Any]) -> SnapshotMarks:
        def last(frames: list[dict[str, Any]]) -> int:
            return frames[-1]["step"] if frames else -1

        steps = history["metrics"]["steps"]
        return cls(
            metrics=steps[-1] if steps else -1,
            samples=last(history["samples"]),
            quality=last(history["quality"]),
            alerts={(a["step"], a["kind"]) for a in history["alerts"]},
        )

    def new(self, message: Message) -> Message | None:
        """The part of ``message`` the snapshot does not hold (None if nothing)."""
        frame = message.frame
        kind = frame.get("type")
        if kind == "metrics":
            if frame["step"] <= self.metrics:
                return None
            if frame["steps"][0] <= self.metrics:
                keep = [i for i, s in enumerate(frame["steps"]) if s > self.metrics]
                trimmed = {
                    **frame,
                    **{n: [frame[n][i] for i in keep] for n in framing.METRIC_COLUMNS},
                }
                return framing.message(trimmed)
        elif kind in ("samples", "quality"):
            if frame["step"] <= getattr(self, str(kind)):
                return None
        elif kind == "alert" and (frame["step"], frame["kind"]) in self.alerts:
            return None
        return message


async def _pump(
    ws: WebSocket,
    subscription: Subscription,
    first: dict[str, Any],
    marks: SnapshotMarks | None = None,
) -> None:
    """Send ``first`` then the subscription's frames until either side is done."""

    async def send() -> None:
        await ws.send_text(json.dumps(first))
        while (messages := await subscription.get()) is not None:
            for message in messages:
                fresh = marks.new(message) if marks is not None else message
                if fresh is not None:
                    await ws.send_text(fresh.text)
        if subscription.overflowed:
            await ws.close(code=TRY_AGAIN_LATER, reason="too far behind; reconnect")

    async def receive() -> None:
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass  # viewers have nothing to say; reading is how their leaving is noticed

    tasks = [asyncio.create_task(send()), asyncio.create_task(receive())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await task
    for task in done:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            task.result()


async def _subscribe(ws: WebSocket, hub: Hub, topic: str) -> Subscription | None:
    try:
        return hub.subscribe(topic, ws.client.host if ws.client is not None else None)
    except HubFull:
        await ws.close(code=TRY_AGAIN_LATER, reason="too many viewers")
        return None


@router.websocket("/ws/runs/{run_id}")
async def run_stream(
    ws: WebSocket,
    run_id: str,
    manager: RunManagerDep,
    hub: HubDep,
    settings: SettingsDep,
    tickets: TicketsDep,
) -> None:
    """A snapshot of the run (its history), then its live frames."""
    if not await _admitted(ws, settings, tickets):
        return
    try:
        run = await manager.get(run_id)
    except RunNotFound:
        await ws.close(code=NOT_FOUND, reason="Run not found")
        return
    # Subscribed before the history is read: no frame falls between the two.
    subscription = await _subscribe(ws, hub, run_id)
    if subscription is None:
        return
    try:
        history = await manager.history(run_id)
        snapshot = {
            "type": "snapshot",
            "v": PROTOCOL_VERSION,
            "run": manager.live_public(run_id) or run,
            "history": history,
        }
        await _pump(ws, subscription, snapshot, SnapshotMarks.of(history))
    finally:
        hub.unsubscribe(subscription)


@router.websocket("/ws/runs")
async def runs_stream(
    ws: WebSocket, manager: RunManagerDep, hub: HubDep, settings: SettingsDep, tickets: TicketsDep
) -> None:
    """The latest runs and the queue's order, then a frame for every change and deletion."""
    if not await _admitted(ws, settings, tickets):
        return
    subscription = await _subscribe(ws, hub, "runs")
    if subscription is None:
        return
    try:
        runs, _ = await manager.list_runs(limit=LIST_SIZE)
        await _pump(ws, subscription, {"type": "runs", "v": PROTOCOL_VERSION, "data": runs})
    finally:
        hub.unsubscribe(subscription)
