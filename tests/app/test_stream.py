"""Websockets: snapshot then live frames, late joiners, the run list, origins, tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from app_helpers import LONG, launch, make_settings, tiny, wait_run
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from gan_core.events import PROTOCOL_VERSION
from gan_core.presets import preset_config

Frame = dict[str, Any]


def frames_until(ws: Any, stop: Any, limit: int = 100_000) -> list[Frame]:
    """Frames received until ``stop(frame)`` holds (inclusive); bounded by ``limit``."""
    out: list[Frame] = []
    for _ in range(limit):
        out.append(ws.receive_json())
        if stop(out[-1]):
            return out
    raise AssertionError(f"no stop frame in {limit} frames")


def is_final(frame: Frame) -> bool:
    return frame["type"] == "status" and frame["status"] in ("completed", "stopped", "failed")


def test_snapshot_then_live_frames_without_gap_or_repeat(client: TestClient) -> None:
    run = launch(client, tiny(steps=LONG))
    rid = run["id"]
    wait_run(client, rid, lambda r: r["step"] >= 50)
    with client.websocket_connect(f"/ws/runs/{rid}") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["v"] == PROTOCOL_VERSION
        assert snapshot["run"]["id"] == rid and snapshot["run"]["status"] == "running"
        history = snapshot["history"]["metrics"]["steps"]
        assert history == list(range(1, len(history) + 1)) and len(history) >= 50
        live = frames_until(ws, lambda f: f["type"] == "metrics" and f["step"] >= history[-1] + 30)
        steps = [s for f in live if f["type"] == "metrics" for s in f["steps"]]
        assert steps == list(range(history[-1] + 1, steps[-1] + 1))
        assert all(f["run_id"] == rid and f["v"] == PROTOCOL_VERSION for f in live)
        client.patch(f"/api/runs/{rid}/controls", json={"lr_g": 5e-4})
        changed = frames_until(ws, lambda f: f["type"] == "metrics" and f["lr_g"] == 5e-4)
        assert changed[-1]["lr_d"] == preset_config("ring-8").lr_d  # unchanged
        client.post(f"/api/runs/{rid}/stop")
        end = frames_until(ws, is_final)
        assert end[-1]["status"] == "stopped"
        assert [f["type"] for f in end[-2:]] == ["checkpoint", "status"]


def test_a_late_joiner_gets_the_whole_history(client: TestClient) -> None:
    run = launch(client, tiny(steps=300, samples_every=50, quality_every=100))
    wait_run(client, run["id"], lambda r: r["status"] == "completed")
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        snapshot = ws.receive_json()
    history = snapshot["history"]
    assert snapshot["run"]["status"] == "completed"
    assert history["metrics"]["steps"] == list(range(1, 301))
    assert [q["step"] for q in history["quality"]] == [100, 200, 300]
    # A point run's data view shows only its latest samples frame: the snapshot has no others.
    assert [s["step"] for s in history["samples"]] == [300]
    assert history["samples"][-1]["kind"] == "points" and history["samples"][-1]["points"]


def test_a_late_joiner_to_an_image_run_gets_its_latest_grid_and_can_replay_all(
    client: TestClient,
) -> None:
    body = {
        "preset": "digits",
        "overrides": {
            "steps": 60,
            "samples_every": 10,
            "quality_every": 60,
            "g_hidden": 8,
            "d_hidden": 8,
            "latent_dim": 16,
            "checkpoint_every": 0,
        },
    }
    run = launch(client, body)
    wait_run(client, run["id"], lambda r: r["status"] == "completed")
    with client.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        samples = ws.receive_json()["history"]["samples"]
    assert [s["step"] for s in samples] == [60] and samples[0]["image_png"]
    stored = client.get(f"/api/runs/{run['id']}/samples").json()["frames"]
    assert [s["step"] for s in stored] == [0, 10, 20, 30, 40, 50, 60]
    assert all(s["kind"] == "images" and s["image_png"] for s in stored)


def test_the_run_list_stream_follows_changes(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        first = ws.receive_json()
        assert first["type"] == "runs" and isinstance(first["data"], list)
        run = launch(client, tiny(steps=100))
        seen = frames_until(
            ws,
            lambda f: (
                f["type"] == "run"
                and f["run"]["id"] == run["id"]
                and f["run"]["status"] == "completed"
            ),
        )
        mine = [f["run"] for f in seen if f["type"] == "run" and f["run"]["id"] == run["id"]]
        assert mine[-1]["step"] == 100
        assert client.delete(f"/api/runs/{run['id']}").status_code == 204
        gone = frames_until(ws, lambda f: f["type"] == "deleted")
        assert gone[-1] == {"type": "deleted", "v": PROTOCOL_VERSION, "id": run["id"]}
    statuses = [r["status"] for r in mine]
    assert statuses[-1] == "completed" and "running" in statuses
    # progress updates are throttled: far fewer list frames than metrics frames (10)
    assert len(mine) < 10


def test_foreign_origins_and_unknown_runs_are_refused(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws/runs", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_json()
    assert refused.value.code == 1008
    with client.websocket_connect("/ws/runs", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "runs"
    with pytest.raises(WebSocketDisconnect) as missing:
        with client.websocket_connect("/ws/runs/nope") as ws:
            ws.receive_json()
    assert missing.value.code == 4404


def test_websockets_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, token="s3cret"))) as client:
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/ws/runs") as ws:
                ws.receive_json()
        assert refused.value.code == 1008
        with pytest.raises(WebSocketDisconnect) as in_url:  # the token itself is no ticket
            with client.websocket_connect("/ws/runs?ticket=s3cret") as ws:
                ws.receive_json()
        assert in_url.value.code == 1008
        assert client.post("/api/tickets").status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        ticket = client.post("/api/tickets", headers=auth).json()["ticket"]
        with client.websocket_connect(f"/ws/runs?ticket={ticket}") as ws:
            assert ws.receive_json()["type"] == "runs"
        with pytest.raises(WebSocketDisconnect) as reused:  # single use
            with client.websocket_connect(f"/ws/runs?ticket={ticket}") as ws:
                ws.receive_json()
        assert reused.value.code == 1008
