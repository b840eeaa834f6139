"""REST API against the real app with tiny real runs: lifecycle, commands, queueing, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import FINAL, LONG, launch, make_settings, tiny, wait_run
from fastapi.testclient import TestClient

from app.main import create_app
from gan_core.presets import preset_config


def test_a_run_goes_from_created_to_completed_with_its_history(client: TestClient) -> None:
    run = launch(client, tiny(steps=200))
    assert run["status"] in ("queued", "running") and run["total_steps"] == 200
    assert run["preset"] == "ring-8" and run["config"]["g_hidden"] == 32
    done = wait_run(client, run["id"], lambda r: r["status"] == "completed")
    assert done["step"] == 200 and done["finished_at"] and done["started_at"]
    assert done["latest_metrics"]["step"] == 200 and done["latest_quality"]["modes_total"] == 8
    assert done["steps_per_second"] > 0
    metrics = client.get(f"/api/runs/{run['id']}/metrics").json()
    assert metrics["steps"] == list(range(1, 201))
    assert all(len(metrics[k]) == 200 for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g"))
    assert all(0 < p < 1 for p in metrics["d_real"])
    sampled = client.get(f"/api/runs/{run['id']}/metrics", params={"max_points": 10}).json()
    assert sampled["steps"][0] == 1 and sampled["steps"][-1] == 200
    assert len(sampled["steps"]) <= 10
    csv_text = client.get(f"/api/runs/{run['id']}/metrics", params={"format": "csv"}).text
    lines = csv_text.strip().splitlines()
    assert lines[0] == "step,loss_d,loss_g,d_real,d_fake,grad_g,grad_d" and len(lines) == 201
    samples = client.get(f"/api/runs/{run['id']}/samples/latest").json()
    assert samples["step"] == 200 and samples["kind"] == "points"
    png = client.get(f"/api/runs/{run['id']}/samples/latest", params={"format": "png"})
    assert png.status_code == 404  # point runs have no image grid
    replay = client.get(f"/api/runs/{run['id']}/samples", params={"max_frames": 3}).json()
    steps = [f["step"] for f in replay["frames"]]
    assert 2 <= len(steps) <= 3 and steps[0] == 0 and steps[-1] == 200 and steps == sorted(steps)
    assert all(f["points"] and f["kind"] == "points" for f in replay["frames"])
    too_many = client.get(f"/api/runs/{run['id']}/samples", params={"max_frames": 100_000})
    assert too_many.status_code == 422
    checkpoint = client.get(f"/api/runs/{run['id']}/checkpoint")
    assert checkpoint.status_code == 200 and len(checkpoint.content) > 1000
    listed = client.get("/api/runs", params={"status": "completed"}).json()
    assert run["id"] in [r["id"] for r in listed["data"]] and listed["count"] >= 1


def test_stop_pause_resume_and_a_live_lr_change(client: TestClient) -> None:
    run = launch(client, tiny(steps=LONG))
    rid = run["id"]
    wait_run(client, rid, lambda r: r["step"] >= 20)
    assert client.post(f"/api/runs/{rid}/pause").status_code == 200
    paused = wait_run(client, rid, lambda r: r["status"] == "paused")
    at = client.get(f"/api/runs/{rid}").json()["step"]
    assert client.post(f"/api/runs/{rid}/pause").status_code == 409  # already paused
    changed = client.patch(f"/api/runs/{rid}/controls", json={"lr_g": 1e-4, "freeze_d": True})
    assert changed.status_code == 200 and changed.json()["controls"]["lr_g"] == 1e-4
    assert client.get(f"/api/runs/{rid}").json()["step"] == at == paused["step"]
    assert client.post(f"/api/runs/{rid}/resume").status_code == 200
    wait_run(client, rid, lambda r: r["status"] == "running" and r["step"] >= at + 30)
    assert client.post(f"/api/runs/{rid}/stop").status_code == 200
    stopped = wait_run(client, rid, lambda r: r["status"] in FINAL)
    assert stopped["status"] == "stopped" and stopped["reason"] == "stopped by user"
    assert stopped["controls"] == {
        "lr_g": 1e-4,
        "lr_d": preset_config("ring-8").lr_d,  # unchanged
        "freeze_g": False,
        "freeze_d": True,
        **dict.fromkeys(("d_steps", "loss", "optimizer_g", "optimizer_d", "pace", "manifold_dims")),
    }
    metrics = client.get(f"/api/runs/{rid}/metrics").json()
    late = [
        (s, gd) for s, gd in zip(metrics["steps"], metrics["grad_d"], strict=True) if s > at + 10
    ]
    assert late and all(gd == 0 for _, gd in late)  # D frozen from the resume on
    assert client.post(f"/api/runs/{rid}/pause").status_code == 409  # not running any more


def test_runs_beyond_the_concurrency_limit_wait_in_the_queue(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, max_concurrent_runs=1))) as client:
        first = launch(client, tiny(steps=LONG))
        second = launch(client, tiny(steps=100))
        third = launch(client, tiny(steps=100))
        assert second["status"] == "queued" and second["queue_position"] == 1
        assert third["queue_position"] == 2
        assert client.get("/api/health").json()["runs_queued"] == 2
        stopped = client.post(f"/api/runs/{third['id']}/stop").json()
        assert stopped["status"] == "stopped" and stopped["queue_position"] is None
        wait_run(client, first["id"], lambda r: r["step"] >= 10)
        assert client.get(f"/api/runs/{second['id']}").json()["status"] == "queued"
        client.post(f"/api/runs/{first['id']}/stop")
        done = wait_run(client, second["id"], lambda r: r["status"] == "completed")
        assert done["step"] == 100


def test_validation_errors_name_the_field(client: TestClient) -> None:
    bad = client.post("/api/runs", json={"dataset": "ring-8", "lr_g": 5})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "lr_g"
    bad = client.post("/api/runs", json={"preset": "ring-8", "overrides": {"batch_size": 0}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == [
        "body",
        "overrides",
        "batch_size",
    ]
    bad = client.post("/api/runs", json={"preset": "no-such-preset"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "preset"
    bad = client.post("/api/runs", json={"dataset": "ring-8", "colour": "red"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "colour"
    assert client.post("/api/runs", json=[1, 2]).status_code == 422


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("steps", 2_000_000, "max_steps"),
        ("batch_size", 2048, "max_batch_size"),
        ("g_hidden", 2048, "max_width"),
        ("dense_hidden", 2048, "max_width"),
        ("d_layers", 7, "max_depth"),
    ],
)
def test_server_limits_apply_on_create(
    client: TestClient, field: str, value: int, limit: str
) -> None:
    response = client.post("/api/runs", json={"preset": "ring-8", "overrides": {field: value}})
    if field == "steps":  # above RunConfig's own bound: pydantic's error, same shape
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == "steps"
        return
    error = response.json()["detail"][0]
    assert response.status_code == 422 and error["loc"][-1] == field
    assert error["ctx"]["le"] == getattr(client.app.state.settings, limit)  # type: ignore[attr-defined]


def test_not_found_conflicts_and_delete(client: TestClient) -> None:
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/runs/nope").json() == {"detail": "Run not found"}
    assert client.post("/api/runs/nope/stop").status_code == 404
    assert client.delete("/api/runs/nope").status_code == 404
    assert client.get("/api/runs/nope/metrics").status_code == 404
    run = launch(client, tiny(steps=LONG))
    wait_run(client, run["id"], lambda r: r["step"] > 0)
    assert client.delete(f"/api/runs/{run['id']}").status_code == 409
    bad_lr = client.patch(f"/api/runs/{run['id']}/controls", json={"lr_d": 2.0})
    assert bad_lr.status_code == 422 and bad_lr.json()["detail"][0]["loc"][-1] == "lr_d"
    client.post(f"/api/runs/{run['id']}/stop")
    wait_run(client, run["id"], lambda r: r["status"] == "stopped")
    assert client.post(f"/api/runs/{run['id']}/pause").status_code == 409
    assert client.patch(f"/api/runs/{run['id']}/controls", json={"lr_d": 0.1}).status_code == 409
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204
    assert client.get(f"/api/runs/{run['id']}").status_code == 404
    assert client.get(f"/api/runs/{run['id']}/checkpoint").status_code == 404


def test_a_completed_run_cannot_be_paused_or_resumed(client: TestClient) -> None:
    run = launch(client, tiny(steps=30))
    wait_run(client, run["id"], lambda r: r["status"] == "completed")
    assert client.post(f"/api/runs/{run['id']}/pause").status_code == 409
    assert client.post(f"/api/runs/{run['id']}/resume").status_code == 409
    assert client.post(f"/api/runs/{run['id']}/stop").status_code == 409


def test_a_token_guards_every_api_call_but_health(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, token="s3cret"))) as client:
        assert client.post("/api/runs", json=tiny()).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/api/runs", json=tiny(), headers=wrong).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        run = client.post("/api/runs", json=tiny(steps=LONG), headers=auth).json()
        for path in (
            "",
            f"/{run['id']}",
            f"/{run['id']}/metrics",
            f"/{run['id']}/checkpoint",
            f"/{run['id']}/samples/latest",
        ):
            assert client.get(f"/api/runs{path}").status_code == 401, path
        for path in ("/api/presets", "/api/datasets", "/api/config-schema"):
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers=auth).status_code == 200, path
        assert client.get(f"/api/runs/{run['id']}", headers=auth).status_code == 200
        assert client.get("/api/health").status_code == 200
        for method, path in [("post", "stop"), ("post", "pause"), ("post", "resume")]:
            assert client.request(method, f"/api/runs/{run['id']}/{path}").status_code == 401
        assert client.patch(f"/api/runs/{run['id']}/controls", json={}).status_code == 401
        assert client.delete(f"/api/runs/{run['id']}").status_code == 401
        assert client.post(f"/api/runs/{run['id']}/stop", headers=auth).status_code == 200
        client.headers.update(auth)
        wait_run(client, run["id"], lambda r: r["status"] in FINAL)


def test_catalogue_endpoints(client: TestClient) -> None:
    presets = client.get("/api/presets").json()
    assert [p["name"] for p in presets["data"]][:2] == ["gaussian-1d", "line-2d"]
    assert presets["count"] == len(presets["data"])
    assert presets["data"][3]["config"]["dataset"] == "ring-8"
    datasets = client.get("/api/datasets").json()
    mnist = next(d for d in datasets["data"] if d["name"] == "mnist")
    assert mnist["available"] is False  # the tmp data_dir holds no IDX files
    schema = client.get("/api/config-schema").json()
    assert schema["properties"]["lr_g"]["group"] == "training"
    assert schema["properties"]["lr_g"]["maximum"] == 1.0
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["version"]
    assert "/api/runs" in client.get("/openapi.json").json()["paths"]
