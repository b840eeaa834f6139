"""The API's contract: careless input gets a 4xx, never a 5xx, and the OpenAPI document says so."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gan_core.presets import PRESETS


def test_careless_input_gets_a_4xx_not_a_5xx(client: TestClient) -> None:
    assert client.get("/new").status_code == 404
    assert client.get("/api/runs", params={"offset": 36893488147419103232}).status_code == 422
    assert client.get("/api/runs", params={"limit": -1}).status_code == 422
    for body in ('{"lr_g": NaN}', '{"lr_d": Infinity}', '{"lr_g": -Infinity}'):
        response = client.patch(
            "/api/runs/nope/controls", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, body
    assert (
        client.post(
            "/api/runs", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )
    assert client.post("/api/runs", json={"preset": "no-such"}).status_code == 422
    assert client.post("/api/runs", json=[1, 2]).status_code == 422


def test_presets_are_an_enum_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    body = doc["paths"]["/api/runs"]["post"]["requestBody"]["content"]["application/json"]
    preset_create = body["schema"]["anyOf"][1]
    assert preset_create["properties"]["preset"]["enum"] == list(PRESETS)
    assert "$ref" not in str(body)  # every reference resolvable within the document


def test_every_refusal_a_route_can_give_is_documented(client: TestClient) -> None:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403"} <= codes, (method, path)
            if "{run_id}" in path:
                assert "404" in codes, (method, path)
            if (
                method in ("post", "patch", "delete")
                and "{run_id}" in path
                and not path.endswith(("/metrics", "/checkpoint"))
            ):
                assert "409" in codes, (method, path)
    assert {"413", "422", "429"} <= set(doc["paths"]["/api/runs"]["post"]["responses"])
