"""Plugins over REST, with the real local executor: listed with their parameters, launched,
trained, and refused clearly (the example plugin is installed for the session)."""

from __future__ import annotations

from app_helpers import launch, tiny, wait_run
from fastapi.testclient import TestClient


def plugin_run(**overrides: object) -> dict[str, object]:
    body = tiny(steps=60, dataset="two-moons", model="residual-mlp")
    body["overrides"].update(  # type: ignore[attr-defined]
        {"dataset_params": {"noise": 0.1}, "model_params": {"width": 16, "blocks": 1}, **overrides}
    )
    return body


def test_plugins_are_listed_with_the_schema_of_their_parameters(client: TestClient) -> None:
    models = client.get("/api/models").json()["data"]
    assert [m["name"] for m in models][:2] == ["mlp", "dcgan"]
    residual = next(m for m in models if m["name"] == "residual-mlp")
    width = residual["params_schema"]["properties"]["width"]
    assert residual["plugin"] and (width["minimum"], width["maximum"]) == (8, 1024)
    datasets = client.get("/api/datasets").json()["data"]
    moons = next(d for d in datasets if d["name"] == "two-moons")
    assert moons["plugin"] and moons["kind"] == "2d" and "noise" in str(moons["params_schema"])
    schema = client.get("/api/config-schema").json()["properties"]
    assert schema["model"]["choices_from"] == "/api/models"
    assert schema["model_params"]["params_for"] == "model"


def test_a_plugin_run_trains_from_the_api(client: TestClient) -> None:
    run = launch(client, plugin_run())
    done = wait_run(client, run["id"], lambda r: r["status"] == "completed")
    assert done["step"] == 60 and done["latest_quality"]["distance"] > 0
    assert done["config"]["model_params"] == {"width": 16, "blocks": 1}
    frame = client.get(f"/api/runs/{run['id']}/samples/latest").json()
    assert frame["kind"] == "points" and len(frame["points"]) == 64


def test_plugin_mistakes_are_422s_naming_the_field(client: TestClient) -> None:
    def error(body: dict[str, object]) -> dict[str, object]:
        response = client.post("/api/runs", json=body)
        assert response.status_code == 422, response.text
        first: dict[str, object] = response.json()["detail"][0]
        return first

    width = error(plugin_run(model_params={"width": 2}))
    assert width["loc"] == ["body", "overrides", "model_params", "width"]
    extra = error(plugin_run(model_params={"depth": 3}))
    assert extra["loc"] == ["body", "overrides", "model_params", "depth"]
    noise = error(plugin_run(dataset_params={"noise": 9}))
    assert noise["loc"] == ["body", "overrides", "dataset_params", "noise"]
    unknown = error(plugin_run(model="no-such-model"))
    assert unknown["loc"] == ["body", "overrides", "model"] and "/api/models" in str(unknown["msg"])
    builtin = error(tiny(dataset_params={"noise": 0.1}))
    assert "dataset_params" in str(builtin["msg"])
    taken = client.post(
        "/api/datasets", data={"name": "two-moons"}, files={"file": ("d.csv", b"0,0\\n1,1\\n")}
    )
    assert taken.status_code == 409 and "plugin" in taken.json()["detail"]
