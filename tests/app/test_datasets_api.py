"""Uploaded point sets over REST: upload, list, launch, every refusal, restart, delete."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from app_helpers import make_settings, tiny
from fastapi.testclient import TestClient
from scripted_executor import Harness, settle

from gan_core.config import BUILTIN_DATASETS
from gan_core.pointsets import from_npy

CSV = b"x,y\n0,0\n1,1\n2,0.5\n-1,3\n"


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(make_settings(tmp_path, max_upload_points=50, max_upload_bytes=4096))


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient]:
    with TestClient(harness.app) as client:
        yield client


def upload(client: TestClient, name: str, data: bytes, filename: str = "points.csv") -> object:
    return client.post("/api/datasets", data={"name": name}, files={"file": (filename, data)})


def stored(harness: Harness) -> list[str]:
    folder = harness.settings.datasets_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_an_uploaded_csv_is_listed_and_trains_a_run(client: TestClient, harness: Harness) -> None:
    response = upload(client, "my-points", CSV)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["name"], body["dim"], body["count"], body["kind"]) == ("my-points", 2, 4, "2d")
    listed = client.get("/api/datasets").json()["data"]
    assert [d["name"] for d in listed][: len(BUILTIN_DATASETS)] == list(BUILTIN_DATASETS)
    assert listed[-1]["name"] == "my-points" and listed[-1]["uploaded"]
    run = client.post("/api/runs", json=tiny(dataset="my-points")).json()
    settle(client, run["id"], "running")
    points = harness.ex.points[run["id"]]
    assert points is not None
    assert from_npy(points).tolist() == [[0, 0], [1, 1], [2, 0.5], [-1, 3]]
    builtin = client.post("/api/runs", json=tiny()).json()
    assert harness.ex.points.get(builtin["id"]) is None


def test_a_one_column_npy_is_a_1d_set(client: TestClient) -> None:
    buf = io.BytesIO()
    np.save(buf, np.linspace(-2, 5, 30))
    response = upload(client, "ramp", buf.getvalue(), "ramp.npy")
    assert response.status_code == 201  # type: ignore[attr-defined]
    assert response.json()["dim"] == 1 and response.json()["count"] == 30  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "data", "code", "says"),
    [
        ("nans", b"1,2\nnan,3\n", 422, "finite"),
        ("infs", b"1,2\n3,-inf\n", 422, "finite"),
        ("wide", b"1,2,3\n4,5,6\n", 422, "3 columns"),
        ("words", b"hello there\ngeneral kenobi\n", 422, "not a number"),
        ("binary", bytes(range(256)) * 8, 422, "neither UTF-8"),
        ("empty", b"", 422, "empty"),
        ("many", b"1,2\n" * 51, 422, "limit of 50"),
        ("Not A Slug", CSV, 422, "slug"),
        ("../escape", CSV, 422, "slug"),
        ("ring-8", CSV, 409, "built-in"),
        ("huge", b"1,2\n" * 2000, 413, "Too Large"),
    ],
)
def test_a_refused_upload_says_why_and_keeps_nothing(
    client: TestClient, harness: Harness, name: str, data: bytes, code: int, says: str
) -> None:
    response = upload(client, name, data)
    assert response.status_code == code, response.text  # type: ignore[attr-defined]
    assert says in response.text  # type: ignore[attr-defined]
    assert stored(harness) == []
    assert name not in [d["name"] for d in client.get("/api/datasets").json()["data"][9:]]


def test_a_taken_name_is_409_and_the_first_set_stays(client: TestClient, harness: Harness) -> None:
    assert upload(client, "mine", CSV).status_code == 201  # type: ignore[attr-defined]
    again = upload(client, "mine", b"5,5\n6,6\n")
    assert again.status_code == 409 and "exists" in again.json()["detail"]  # type: ignore[attr-defined]
    assert stored(harness) == ["mine.json", "mine.npy"]
    assert client.get("/api/datasets").json()["data"][-1]["count"] == 4


def test_a_run_on_an_unknown_set_is_422_naming_the_field(client: TestClient) -> None:
    full = client.post("/api/runs", json={"dataset": "nowhere"})
    assert full.status_code == 422
    assert full.json()["detail"][0]["loc"] == ["body", "dataset"]
    preset = client.post("/api/runs", json=tiny(dataset="nowhere"))
    assert preset.json()["detail"][0]["loc"] == ["body", "overrides", "dataset"]
    assert "no dataset named 'nowhere'" in preset.json()["detail"][0]["msg"]


def test_sets_survive_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(Harness(settings).app) as client:
        assert upload(client, "kept", CSV).status_code == 201  # type: ignore[attr-defined]
    again = Harness(settings)
    with TestClient(again.app) as client:
        assert client.get("/api/datasets").json()["data"][-1]["name"] == "kept"
        run = client.post("/api/runs", json=tiny(dataset="kept")).json()
        settle(client, run["id"], "running")
        assert again.ex.points[run["id"]] is not None


def test_delete_is_409_while_a_run_uses_the_set_then_204(
    client: TestClient, harness: Harness
) -> None:
    upload(client, "busy", CSV)
    running = client.post("/api/runs", json=tiny(dataset="busy")).json()
    queued = client.post("/api/runs", json=tiny(dataset="busy")).json()
    settle(client, running["id"], "running")
    refused = client.delete("/api/datasets/busy")
    assert refused.status_code == 409
    assert running["id"] in refused.json()["detail"] and queued["id"] in refused.json()["detail"]
    client.post(f"/api/runs/{queued['id']}/stop")
    harness.ex.finish(running["id"], "stopped")
    settle(client, running["id"], "stopped")
    assert client.delete("/api/datasets/busy").status_code == 204
    assert stored(harness) == []
    assert client.delete("/api/datasets/busy").status_code == 404
    assert client.post("/api/runs", json=tiny(dataset="busy")).status_code == 422
    resumed = client.post(f"/api/runs/{running['id']}/resume")
    assert resumed.status_code == 409 and "was deleted" in resumed.json()["detail"]


def test_a_cross_site_page_cannot_upload(client: TestClient, harness: Harness) -> None:
    refused = client.post(
        "/api/datasets",
        data={"name": "sneaky"},
        files={"file": ("p.csv", CSV)},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert stored(harness) == []
