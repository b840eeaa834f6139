"""Access: Host allow-list, cross-site writes, the token before the body, body size, headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_helpers import make_settings, tiny
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path_factory.mktemp("guarded"),
        token="s3cret",
        max_body_bytes=4096,
        warm_worker=False,
        allowed_hosts=["testserver", "localhost", "127.0.0.1", "::1"],
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_foreign_host_header_is_refused(guarded: TestClient) -> None:
    for host in ("evil.example", "rebind.attacker.test:8000", "127.0.0.2"):
        response = guarded.get("/api/health", headers={"Host": host})
        assert response.status_code == 400, host
    assert guarded.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    assert guarded.get("/api/health", headers={"Host": "[::1]:8000"}).status_code == 200


def test_default_hosts_are_loopback_and_the_bind_host() -> None:
    assert set(Settings(host="0.0.0.0").hosts()) >= {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
    assert Settings(allowed_hosts=["gan.example"]).hosts() == ["gan.example"]


def test_the_token_is_checked_before_the_body_is_read(guarded: TestClient) -> None:
    junk = b"{" * 3000  # not JSON: parsed, it would be answered 422
    response = guarded.post("/api/runs", content=junk, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    huge = guarded.post(
        "/api/runs", content=b"{" * 5_000_000, headers={"Content-Type": "application/json"}
    )
    assert huge.status_code in (401, 413)  # refused on its headers alone, never parsed


def test_a_body_over_the_limit_is_refused_with_413(guarded: TestClient) -> None:
    big = {"preset": "ring-8", "overrides": {"seed": 1, "pad": "x" * 8000}}
    assert guarded.post("/api/runs", json=big, headers=AUTH).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it is read
        yield b'{"preset": "ring-8", "overrides": {"pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    response = guarded.post(
        "/api/runs", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_cross_site_writes_are_refused_even_without_a_token(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, warm_worker=False))) as client:
        for headers in (
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "http://evil.example"},
        ):
            response = client.post("/api/runs", json=tiny(), headers=headers)
            assert response.status_code == 403, headers
            assert client.delete("/api/runs/x", headers=headers).status_code == 403
        # reads, and writes from the dashboard's own pages, pass
        assert client.get("/api/runs", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
        own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        assert client.delete("/api/runs/x", headers=own).status_code == 404


def test_every_response_forbids_framing_and_sniffing(guarded: TestClient) -> None:
    for path in ("/", "/runs/abc", "/api/health", "/api/runs", "/static/js/transport.js", "/docs"):
        headers = guarded.get(path).headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
    page = guarded.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in page and "default-src 'self'" in page


def test_an_empty_token_means_no_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, token="", warm_worker=False)
    assert settings.token is None
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/runs").status_code == 200
        with client.websocket_connect("/ws/runs") as ws:
            assert ws.receive_json()["type"] == "runs"


def test_the_openapi_document_names_the_bearer_scheme(guarded: TestClient) -> None:
    doc = guarded.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["token"]["description"],
    }
    create = doc["paths"]["/api/runs"]["post"]
    assert create["security"] == [{"token": []}]
    assert not [p for p in create.get("parameters", []) if p["name"].lower() == "authorization"]
    assert "security" not in doc["paths"]["/api/health"]["get"]
