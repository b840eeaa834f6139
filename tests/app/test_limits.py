"""What a run costs: the estimates match what gan_core builds and sends; costly launches get 422."""

from __future__ import annotations

import json
from itertools import islice

import pytest
from fastapi.testclient import TestClient

from app import limits
from app.schemas import confine_data_dir
from app.settings import Settings
from gan_core.config import RunConfig
from gan_core.events import SamplesEvent, to_frame
from gan_core.models import build_discriminator, build_generator, count_parameters
from gan_core.presets import PRESETS, preset_config
from gan_core.trainer import Trainer


@pytest.mark.parametrize("name", list(PRESETS))
def test_parameter_counts_are_torchs_own(name: str) -> None:
    variants = ({}, {"g_hidden": 48, "d_hidden": 24}, {"dense_hidden": 40}, {"latent_classes": 1})
    for overrides in variants:
        config = preset_config(name, overrides)
        parts = config.parts()
        shape = limits.sample_shape(config)
        g = count_parameters(build_generator(parts.generator, config.latent_dim, shape))
        d = count_parameters(build_discriminator(parts.discriminator, shape))
        assert limits.parameters(config, shape) == (g, d)


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("ring-8", {}),
        ("gaussian-1d", {"data_dim": 64, "n_samples": 200}),
        ("digits", {}),
    ],
)
def test_the_frame_estimate_bounds_a_real_frame_closely(
    preset: str, overrides: dict[str, object]
) -> None:
    config = preset_config(
        preset, {"samples_every": 5, "steps": 5, "quality_every": 1000, **overrides}
    )
    events = Trainer(config).events()
    frame = next(e for e in islice(events, 200) if isinstance(e, SamplesEvent))
    real = len(json.dumps(to_frame(frame)))
    shape = limits.sample_shape(config)
    estimate = limits.frame_bytes(config, shape)
    assert real <= estimate < (3 if len(shape) == 3 else 2) * real


def test_every_preset_fits_the_default_limits() -> None:
    settings = Settings()
    bounds = {lim.setting: getattr(settings, lim.setting) for lim in limits.LIMITS.values()}
    for name in PRESETS:
        config = preset_config(name)
        shape = limits.sample_shape(config)
        assert limits.over_limits(config, shape, bounds, settings.peak_steps_per_second) == [], name


@pytest.mark.parametrize(
    ("preset", "overrides", "figure"),
    [
        ("gaussian-1d", {"data_dim": 1024, "n_samples": 2500, "samples_every": 1}, "frame_bytes"),
        ("ring-8", {"n_samples": 5000, "samples_every": 1}, "stream_bytes_per_second"),
        ("ring-8", {"metrics_every": 1, "metrics_per_second": 0}, "frames_per_second"),
        ("mnist", {"g_hidden": 1024, "d_hidden": 1024}, "params_x_batch"),
        ("ring-8", {"checkpoint_every": 1}, "checkpoint_bytes_per_second"),
        ("ring-8", {"quality_every": 1}, "quality_per_second"),
    ],
)
def test_a_costly_launch_is_refused_naming_fields_and_limit(
    client: TestClient, preset: str, overrides: dict[str, int], figure: str
) -> None:
    response = client.post("/api/runs", json={"preset": preset, "overrides": overrides})
    assert response.status_code == 422, response.text
    errors = [e for e in response.json()["detail"] if e["type"] == "cost_limit"]
    mine = next(e for e in errors if e["ctx"]["limit"] == figure)
    limit = limits.LIMITS[figure]
    assert mine["loc"] == ["body", "overrides", limit.fields[0]]
    assert f"GANWATCH_{limit.setting.upper()}" in mine["msg"]
    assert all(name in mine["msg"] for name in limit.fields)
    assert mine["ctx"]["cost"] > mine["ctx"]["bound"]


def test_data_dir_stays_inside_the_data_folder(client: TestClient) -> None:
    for outside in ("/etc", "../..", "MNIST/../../.."):
        response = client.post(
            "/api/runs", json={"preset": "mnist", "overrides": {"data_dir": outside}}
        )
        assert response.status_code == 422, outside
        error = response.json()["detail"][0]
        assert error["loc"][-1] == "data_dir" and "/" not in error["msg"].replace("/raw", "")
    settings = client.app.state.settings  # type: ignore[attr-defined]
    inside = confine_data_dir(preset_config("mnist", {"data_dir": "mine"}), settings, ())
    assert inside.data_dir == str(settings.data_dir.resolve() / "mine")


def test_a_slow_motion_pace_is_bounded_by_what_its_frames_cost(client: TestClient) -> None:
    body = {"preset": "ring-8", "overrides": {"n_samples": 2500}, "start_paused": True}
    run = client.post("/api/runs", json=body)
    assert run.status_code == 201, run.text
    rid = run.json()["id"]
    config = preset_config("ring-8", {"n_samples": 2500})
    top = limits.max_pace(config, (2,), limits.bounds_of(Settings()))
    assert 1 < top < 50  # ~250 kB frames: 50 a second would pass the 4 MB/s stream bound
    refused = client.patch(f"/api/runs/{rid}/controls", json={"pace": 50})
    assert refused.status_code == 422
    assert f"at most {int(top)} steps/s" in refused.json()["detail"]
    assert client.get(f"/api/runs/{rid}").json()["controls"].get("pace") in (None, 0)
    allowed = client.patch(f"/api/runs/{rid}/controls", json={"pace": int(top)})
    assert allowed.status_code == 200 and allowed.json()["controls"]["pace"] == int(top)
    assert client.post(f"/api/runs/{rid}/stop").status_code == 200


@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 32, 32), (3, 64, 64), (3, 28, 28)])
def test_parameter_counts_of_image_folder_shapes_are_torchs_own(shape: tuple[int, ...]) -> None:
    for model in ("dcgan", "mlp"):
        config = RunConfig(dataset="my-photos", model=model, g_hidden=16, d_hidden=8)
        parts = config.parts()
        g = count_parameters(build_generator(parts.generator, config.latent_dim, shape))
        d = count_parameters(build_discriminator(parts.discriminator, shape))
        assert limits.parameters(config, shape) == (g, d), model
