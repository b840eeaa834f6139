"""Crashes and restarts: a killed worker fails only its run; a restart keeps history and resumes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from app_helpers import FINAL, LONG, launch, make_settings, tiny, wait_run
from fastapi.testclient import TestClient

from app.checkpoints import checkpoints
from app.main import create_app


def test_a_killed_worker_fails_its_run_and_the_server_carries_on(client: TestClient) -> None:
    run = launch(client, tiny(steps=LONG))
    wait_run(client, run["id"], lambda r: r["step"] >= 20)
    manager = client.app.state.manager  # type: ignore[attr-defined]
    os.kill(manager.executor.pid(run["id"]), signal.SIGKILL)
    failed = wait_run(client, run["id"], lambda r: r["status"] in FINAL)
    assert failed["status"] == "failed" and "SIGKILL" in failed["reason"]
    assert client.get("/api/health").json()["runs_running"] == 0
    after = launch(client, tiny(steps=50))
    assert wait_run(client, after["id"], lambda r: r["status"] in FINAL)["status"] == "completed"


def test_a_restart_keeps_history_and_resumes_from_the_checkpoint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        run = launch(client, tiny(steps=LONG))
        rid = run["id"]
        wait_run(client, rid, lambda r: r["step"] >= 100)
    # The server stopped mid-run: the worker wrote a final checkpoint on its way out.
    with TestClient(create_app(settings)) as client:
        before = client.get(f"/api/runs/{rid}").json()
        assert before["status"] == "interrupted"
        assert before["reason"] == "server stopped while the run was active"
        history = client.get(f"/api/runs/{rid}/metrics").json()["steps"]
        assert history == list(range(1, before["step"] + 1)) and before["step"] >= 100
        assert client.get(f"/api/runs/{rid}/checkpoint").status_code == 200
        resumed = client.post(f"/api/runs/{rid}/resume").json()
        assert resumed["status"] in ("queued", "running") and resumed["step"] == before["step"]
        target = before["step"] + 20
        wait_run(client, rid, lambda r: r["status"] == "running" and r["step"] >= target)
        client.post(f"/api/runs/{rid}/stop")
        stopped = wait_run(client, rid, lambda r: r["status"] in FINAL)
        assert stopped["status"] == "stopped"
        steps = client.get(f"/api/runs/{rid}/metrics").json()["steps"]
        assert steps == list(range(1, stopped["step"] + 1))  # continued, no gap, no repeat


def test_an_interrupted_run_without_checkpoint_resumes_from_the_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        rid = launch(client, tiny(steps=LONG))["id"]
        wait_run(client, rid, lambda r: r["step"] >= 10)
    for _, path in checkpoints(settings.runs_dir / rid):
        path.unlink()
    with TestClient(create_app(settings)) as client:
        resumed = client.post(f"/api/runs/{rid}/resume")
        assert resumed.status_code == 200 and resumed.json()["step"] == 0
        assert client.get(f"/api/runs/{rid}/metrics").json()["steps"][:1] in ([], [1])
        wait_run(client, rid, lambda r: r["status"] == "running" and r["step"] >= 20)
        client.post(f"/api/runs/{rid}/stop")
        stopped = wait_run(client, rid, lambda r: r["status"] in FINAL)
        steps = client.get(f"/api/runs/{rid}/metrics").json()["steps"]
        assert steps == list(range(1, stopped["step"] + 1))
