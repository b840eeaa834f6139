"""Plugins through entry points: found, validated, built and checked, trained like the built-ins."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest
import torch
from pydantic import ValidationError

from gan_core.config import RunConfig
from gan_core.data import make_sampler
from gan_core.events import QualityEvent, SamplesEvent
from gan_core.models import count_parameters
from gan_core.plugins import (
    DatasetPlugin,
    ModelPlugin,
    PluginError,
    build_model,
    build_sampler,
    dataset_entries,
    dataset_plugins,
    model_plugins,
)
from gan_core.trainer import Trainer


def test_the_example_plugin_is_found_with_its_parameters() -> None:
    models, datasets = model_plugins(), dataset_plugins()
    assert isinstance(models["residual-mlp"], ModelPlugin)
    assert isinstance(datasets["two-moons"], DatasetPlugin)
    moons = next(e for e in dataset_entries() if e["name"] == "two-moons")
    assert moons["kind"] == "2d" and moons["sample_shape"] == [2] and moons["plugin"]
    assert moons["params_schema"]["properties"]["noise"]["maximum"] == 0.5


def test_its_parameter_count_is_torchs_own() -> None:
    plugin = model_plugins()["residual-mlp"]
    for values in ({}, {"width": 24, "blocks": 3, "spectral_norm": False}):
        g, d = build_model("residual-mlp", values, 3, (2,))
        params = plugin.params.model_validate(values)
        assert plugin.parameters is not None
        assert plugin.parameters(params, 3, (2,)) == (count_parameters(g), count_parameters(d))


def test_bad_parameters_and_missing_plugins_are_refused() -> None:
    with pytest.raises(ValidationError, match="width"):
        build_model("residual-mlp", {"width": 2}, 2, (2,))
    with pytest.raises(ValidationError, match="extra|noise"):
        build_sampler("two-moons", {"noise": -1})
    with pytest.raises(PluginError, match="no model plugin named 'nope'"):
        build_model("nope", {}, 2, (2,))


def test_a_pair_of_the_wrong_shape_is_refused_at_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from gan_core import plugins

    good = model_plugins()["residual-mlp"]

    def wrong(params: Any, latent: int, shape: tuple[int, ...]) -> tuple[Any, Any]:
        return good.build(params, latent, (3,))

    broken = ModelPlugin("a broken one", good.params, wrong)
    monkeypatch.setattr(plugins, "model_plugins", lambda: {"broken": broken})
    with pytest.raises(PluginError, match=r"G returned \(2, 3\) for 2 noise vectors, expected"):
        build_model("broken", {}, 2, (2,))


def test_a_run_trains_the_plugin_model_on_the_plugin_dataset() -> None:
    config = RunConfig(
        dataset="two-moons",
        dataset_params={"noise": 0.1},
        model="residual-mlp",
        model_params={"width": 32, "blocks": 1},
        steps=40,
        batch_size=64,
        samples_per_second=0,
        samples_every=20,
        quality_every=20,
        n_samples=64,
        checkpoint_every=0,
    )
    trainer = Trainer(config)
    events = list(islice(trainer.events(), 500))
    frames = [e for e in events if isinstance(e, SamplesEvent)]
    assert frames and frames[-1].points is not None and len(frames[-1].points) == 64
    quality = [e for e in events if isinstance(e, QualityEvent)]
    assert quality[-1].step == 40 and quality[-1].distance is not None
    assert type(trainer.nets.g).__name__ == "ResidualGenerator"
    real = make_sampler(config.parts().data).sample(2000, torch.Generator().manual_seed(0))
    assert real.std(0).min() > 0.3 and real[:, 0].min() < -0.5  # two moons, noise 0.1


def test_params_belong_to_plugins_only() -> None:
    with pytest.raises(ValidationError, match="model_params"):
        RunConfig(model="mlp", model_params={"width": 3})
    with pytest.raises(ValidationError, match="dataset_params"):
        RunConfig(dataset="ring-8", dataset_params={"noise": 3})
    with pytest.raises(ValidationError, match="bytes of parameters"):
        RunConfig(model="residual-mlp", model_params={"x": "y" * 5000})
