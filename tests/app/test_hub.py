"""Hub: fan-out, coalescing of a slow viewer's backlog, limits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.framing import MAX_MERGED_STEPS, message
from app.hub import BUFFER, OVERFLOW, Hub, HubFull, Message, coalesce
from gan_core.events import PROTOCOL_VERSION


def metrics(step: int, n: int = 10) -> dict[str, Any]:
    steps = list(range(step - n + 1, step + 1))
    return {
        "type": "metrics",
        "v": PROTOCOL_VERSION,
        "step": step,
        "steps": steps,
        "lr_g": 0.1,
        "lr_d": 0.2,
        **{
            k: [float(s) for s in steps]
            for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g", "grad_d")
        },
    }


def test_coalescing_merges_metrics_keeps_latest_samples_and_every_status() -> None:
    frames = [
        metrics(10),
        {"type": "samples", "step": 5},
        {"type": "samples", "step": 10},
        metrics(20),
        {"type": "alert", "step": 20, "kind": "divergence"},
        metrics(30),
        {"type": "quality", "step": 30},
    ]
    out = [m.frame for m in coalesce([message(f) for f in frames])]
    assert [f["type"] for f in out] == ["samples", "alert", "metrics", "quality"]
    merged = out[2]
    assert merged["steps"] == list(range(1, 31)) and merged["loss_d"][-1] == 30.0
    assert merged["step"] == 30 and out[0]["step"] == 10


def test_nothing_moves_across_a_status_frame() -> None:
    frames = [
        metrics(10),
        {"type": "samples", "step": 10},
        metrics(20),
        {"type": "status", "status": "paused", "step": 20},
        metrics(30),
    ]
    out = [m.frame for m in coalesce([message(f) for f in frames])]
    assert [f["type"] for f in out] == ["samples", "metrics", "status", "metrics"]
    assert out[1]["steps"] == list(range(1, 21)) and out[3]["steps"] == list(range(21, 31))


def test_a_merged_metrics_frame_stays_bounded_and_keeps_its_last_step() -> None:
    messages = [message(metrics(step, 100)) for step in range(100, 5001, 100)]
    merged = coalesce(messages)[0].frame
    assert len(merged["steps"]) <= MAX_MERGED_STEPS and merged["steps"][-1] == 5000
    assert merged["steps"][0] == 1


def test_run_list_frames_keep_the_latest_per_run() -> None:
    frames = [{"type": "run", "run": {"id": i, "step": s}} for s in range(3) for i in "ab"]
    frames.append({"type": "deleted", "id": "c"})
    out = [m.frame for m in coalesce([message(f) for f in frames])]
    assert out == [frames[4], frames[5], frames[6]]


def test_the_hub_coalesces_by_key_merge_and_barrier_alone() -> None:
    def joined(group: list[Message]) -> Message:
        return Message("+".join(m.text for m in group), {}, key="m", merge=joined)

    backlog = [
        Message("m1", {}, key="m", merge=joined),
        Message("x1", {}, key="x"),
        Message("a", {}),
        Message("m2", {}, key="m", merge=joined),
        Message("x2", {}, key="x"),
        Message("stop", {}, barrier=True),
        Message("x3", {}, key="x"),
        Message("m3", {}, key="m", merge=joined),
    ]
    assert [m.text for m in coalesce(backlog)] == ["a", "m1+m2", "x2", "stop", "x3", "m3"]


def test_publishing_never_waits_and_a_viewer_gets_everything_in_order() -> None:
    async def scenario() -> None:
        hub = Hub(max_viewers=2)
        fast, slow = hub.subscribe("r"), hub.subscribe("r")
        with pytest.raises(HubFull):
            hub.subscribe("r")
        for step in range(10, 60, 10):
            hub.publish("r", message(metrics(step)))
        got = await fast.get()
        assert got is not None and [m.frame["step"] for m in got] == [10, 20, 30, 40, 50]
        for step in range(60, 10 * (BUFFER + 10), 10):  # slow never reads: its backlog shrinks
            hub.publish("r", message(metrics(step)))
            hub.publish("r", message({"type": "samples", "step": step}))
        backlog = await slow.get()
        assert backlog is not None and len(backlog) <= BUFFER + 1
        steps = [s for m in backlog if m.frame["type"] == "metrics" for s in m.frame["steps"]]
        assert steps == list(range(1, 10 * (BUFFER + 9) + 1))
        hub.unsubscribe(fast)
        assert hub.viewers("r") == 1

    asyncio.run(scenario())


def test_a_viewer_hopelessly_behind_is_cut_off() -> None:
    async def scenario() -> None:
        hub = Hub(max_viewers=1)
        viewer = hub.subscribe("r")
        for step in range(OVERFLOW + 1):  # status frames are never dropped
            hub.publish("r", message({"type": "status", "status": "running", "step": step}))
        assert viewer.overflowed and await viewer.get() is None

    asyncio.run(scenario())
