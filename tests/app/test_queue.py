"""The manager's queue, resume, conflicts and shutdown, on a scripted executor (milliseconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_helpers import make_settings, tiny
from fastapi.testclient import TestClient
from scripted_executor import Harness, settle

from app import checkpoints
from app.jobs import CUT_OFF
from gan_core.events import METRIC_FIELDS, PROTOCOL_VERSION, StatusEvent, to_frame


def metrics_frame(first: int, last: int) -> dict[str, Any]:
    steps = list(range(first, last + 1))
    return {
        "type": "metrics",
        "v": PROTOCOL_VERSION,
        "step": last,
        "steps": steps,
        **{name: [0.5] * len(steps) for name in METRIC_FIELDS},
        "lr_g": 1e-3,
        "lr_d": 1e-3,
        "time": 0.1,
        "wall": time.time(),
        "steps_per_second": 100.0,
    }


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(make_settings(tmp_path, max_queued_runs=3))


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app) as client:
        yield client


def test_a_full_queue_refuses_with_retry_after(client: TestClient, harness: Harness) -> None:
    ids = [client.post("/api/runs", json=tiny()).json()["id"] for _ in range(4)]
    assert [client.get(f"/api/runs/{i}").json()["queue_position"] for i in ids] == [None, 1, 2, 3]
    refused = client.post("/api/runs", json=tiny())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "waiting" in refused.json()["detail"]
    harness.ex.finish(ids[0])
    settle(client, ids[1], "running")
    assert client.post("/api/runs", json=tiny()).status_code == 201  # a place came free


def test_the_run_list_hears_one_positions_frame_per_queue_change(
    client: TestClient, harness: Harness
) -> None:
    ids = [client.post("/api/runs", json=tiny()).json()["id"] for _ in range(4)]
    with client.websocket_connect("/ws/runs") as ws:
        assert ws.receive_json()["type"] == "runs"
        harness.ex.finish(ids[0])
        frames = []
        while not any(f["type"] == "positions" for f in frames):
            frames.append(ws.receive_json())
        positions = [f for f in frames if f["type"] == "positions"]
        assert positions == [{"type": "positions", "v": PROTOCOL_VERSION, "queue": ids[2:]}]
        # the runs still waiting got no run frame of their own for moving up
        assert not [f for f in frames if f["type"] == "run" and f["run"]["id"] in ids[2:]]


def test_a_restart_with_a_full_queue_answers_quickly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_queued_runs=400)
    with TestClient(Harness(settings).app) as client:
        ids = [client.post("/api/runs", json=tiny()).json()["id"] for _ in range(401)]
    started = time.monotonic()
    with TestClient(Harness(settings).app) as client:
        listed = client.get("/api/runs", params={"limit": 1000}).json()["data"]
        health = client.get("/api/health").json()
    assert time.monotonic() - started < 10
    # the run that trained was interrupted; the first queued one took its slot
    assert health["runs_queued"] == 399 and health["runs_running"] == 1
    positions = {r["id"]: r["queue_position"] for r in listed}
    assert [positions[i] for i in ids[2:]] == list(range(1, 400))


def test_delete_and_resume_of_one_run_never_interleave(
    client: TestClient, harness: Harness
) -> None:
    manager = harness.manager(client)
    for _ in range(5):
        rid = client.post("/api/runs", json=tiny()).json()["id"]
        harness.ex.finish(rid, "stopped")
        settle(client, rid, "stopped")

        async def race(run_id: str = rid) -> list[Any]:
            return list(
                await asyncio.gather(
                    manager.resume(run_id), manager.delete(run_id), return_exceptions=True
                )
            )

        resumed, deleted = client.portal.call(race)  # type: ignore[union-attr]
        assert isinstance(resumed, dict) and resumed["status"] in ("queued", "running")
        assert type(deleted).__name__ == "RunConflict"  # the live run is not deleted
        assert client.get(f"/api/runs/{rid}").status_code == 200
        client.post(f"/api/runs/{rid}/stop")
        if any(r == rid for r, _ in harness.ex.launched):
            harness.ex.finish(rid, "stopped")
        settle(client, rid, "stopped")


def test_resume_starts_from_the_newest_checkpoint_the_history_reaches(
    client: TestClient, harness: Harness
) -> None:
    rid = client.post("/api/runs", json=tiny()).json()["id"]
    harness.ex.emit(rid, to_frame(StatusEvent(status="running", step=0, config={})))
    harness.ex.emit(rid, metrics_frame(1, 30))
    run_dir = harness.settings.runs_dir / rid
    run_dir.mkdir(parents=True)
    for step in (10, 20, 40):  # 40: written after the last step the store got
        checkpoints.checkpoint_path(run_dir, step).write_bytes(b"x")
    harness.ex.finish(rid, "stopped", step=30)
    settle(client, rid, "stopped")
    resumed = client.post(f"/api/runs/{rid}/resume").json()
    assert resumed["step"] == 20
    assert harness.ex.launched[-1] == (rid, checkpoints.checkpoint_path(run_dir, 20))
    assert [s for s, _ in checkpoints.checkpoints(run_dir)] == [10, 20]
    assert client.get(f"/api/runs/{rid}/metrics").json()["steps"] == list(range(1, 21))


def test_runs_cut_off_by_a_shutdown_end_interrupted_and_resumable(tmp_path: Path) -> None:
    harness = Harness(make_settings(tmp_path), slots=2)
    with TestClient(harness.app) as client:
        graceful, cut = (client.post("/api/runs", json=tiny()).json()["id"] for _ in range(2))
        harness.ex.shutdown = lambda: (
            (  # type: ignore[method-assign]
                harness.ex.finish(graceful, "stopped"),
                harness.ex.emit(
                    cut, to_frame(StatusEvent(status="failed", step=0, reason=CUT_OFF))
                ),
            )
            and None
        )
    with TestClient(Harness(make_settings(tmp_path), slots=2).app) as client:
        for rid in (graceful, cut):
            run = client.get(f"/api/runs/{rid}").json()
            assert run["status"] == "interrupted", run
            assert client.post(f"/api/runs/{rid}/resume").status_code == 200
