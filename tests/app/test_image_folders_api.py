"""Image folders over REST, trained by the real local executor: listed, launched, refused."""

from __future__ import annotations

import io
from pathlib import Path

from app_helpers import launch, wait_run
from fastapi.testclient import TestClient
from PIL import Image

from gan_core.config import BUILTIN_DATASETS


def folder_run(dataset: str, **overrides: object) -> dict[str, object]:
    return {
        "dataset": dataset,
        "model": "dcgan",
        "image_size": 32,
        "latent_dim": 8,
        "g_hidden": 8,
        "d_hidden": 8,
        "batch_size": 8,
        "steps": 40,
        "samples_every": 40,
        "quality_every": 40,
        "checkpoint_every": 0,
        **overrides,
    }


def test_an_image_folder_is_listed_and_trains_a_dcgan_run(
    client: TestClient, make_image_folder
) -> None:
    data_dir: Path = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    make_image_folder(data_dir, "swatches", classes=1, per_class=12)
    listed = client.get("/api/datasets").json()["data"]
    names = [d["name"] for d in listed]
    assert names[: len(BUILTIN_DATASETS)] == list(BUILTIN_DATASETS)
    entry = listed[names.index("swatches")]
    assert entry["kind"] == "image" and entry["count"] == 12 and entry["channels"] == "rgb"
    run = launch(client, folder_run("swatches"))
    assert run["config"]["data_dir"] == str(data_dir.resolve())  # workers look where we do
    done = wait_run(client, run["id"], lambda r: r["status"] == "completed")
    assert done["step"] == 40 and done["latest_quality"]["distance"] > 0
    png = client.get(f"/api/runs/{run['id']}/samples/latest", params={"format": "png"})
    assert png.status_code == 200
    assert Image.open(io.BytesIO(png.content)).mode == "RGB"


def test_folder_runs_are_refused_clearly(client: TestClient, make_image_folder) -> None:
    data_dir: Path = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    make_image_folder(data_dir, "tiles", classes=2, per_class=3)
    missing = client.post("/api/runs", json=folder_run("no-such-folder"))
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "dataset"]
    bad_size = client.post("/api/runs", json=folder_run("tiles", image_size=48))
    assert bad_size.status_code == 422
    assert bad_size.json()["detail"][0]["loc"] == ["body", "image_size"]
    uploaded = client.post(
        "/api/datasets", data={"name": "dots"}, files={"file": ("d.csv", b"0,0\n1,1\n2,2\n")}
    )
    assert uploaded.status_code == 201
    points = client.post("/api/runs", json=folder_run("dots"))
    assert points.status_code == 422
    assert points.json()["detail"][0]["loc"] == ["body", "model"]
    assert "holds points" in points.json()["detail"][0]["msg"]
    taken = client.post(
        "/api/datasets", data={"name": "tiles"}, files={"file": ("d.csv", b"0,0\n1,1\n")}
    )
    assert taken.status_code == 409 and "image folder" in taken.json()["detail"]
    huge = client.post(
        "/api/runs", json=folder_run("tiles", image_size=64, g_hidden=1024, d_hidden=1024)
    )
    assert huge.status_code == 422  # counted on the 3 x 64 x 64 images the run would build
    assert any(e["ctx"]["limit"] == "params_x_batch" for e in huge.json()["detail"])
