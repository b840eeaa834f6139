"""Models and datasets from installed packages, found through entry points; imports no torch.

A package registers objects in its metadata (``pyproject.toml``)::

    [project.entry-points."ganwatch.models"]
    resmlp = "my_package:RESIDUAL_MLP"      # a ModelPlugin
    [project.entry-points."ganwatch.datasets"]
    two-moons = "my_package:TWO_MOONS"      # a DatasetPlugin

The entry point's name is what a run names in ``model`` or ``dataset``: a slug that is not
a built-in family's or set's name (others are skipped, with a log line). Each plugin
carries a pydantic model of its parameters: a run's ``model_params`` / ``dataset_params``
are validated against it, and its JSON schema is what the launch form shows. The server
lists plugins without torch, so the module an entry point names must import torch (and
anything heavy) inside ``build`` only. Plugins are code the server's administrator
installed; nothing of a plugin ever comes from a request.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from gan_core.config import BUILTIN_DATASETS, BUILTIN_MODELS
from gan_core.pointsets import NAME_PATTERN

log = logging.getLogger(__name__)

MODELS_GROUP = "ganwatch.models"
DATASETS_GROUP = "ganwatch.datasets"


class PluginError(ValueError):
    """A plugin is missing, or refused its parameters or its output; the message says which."""


@dataclass(frozen=True)
class ModelPlugin:
    """A generator/discriminator pair.

    ``build(params, latent_dim, sample_shape)`` returns (G, D): G maps z (B, latent_dim) to
    samples (B, *sample_shape) in data space scaled to about [-1, 1] (images in [-1, 1]); D
    maps samples to logits (B,). ``parameters(params, latent_dim, sample_shape)``, when
    given, is (G's, D's) parameter counts without torch, for the server's cost limits;
    without it the parameter-based limits do not bound the plugin's runs.
    """

    description: str
    params: type[BaseModel]
    build: Callable[[Any, int, tuple[int, ...]], tuple[Any, Any]]
    parameters: Callable[[Any, int, tuple[int, ...]], tuple[int, int]] | None = None


@dataclass(frozen=True)
class DatasetPlugin:
    """A real-data sampler.

    ``sample_shape(params)`` is one sample's shape without torch: (1,) or (2,) for points,
    (C, H, W) for images. ``build(params)`` returns a :class:`gan_core.data.Sampler` whose
    ``name`` is the entry point's name.
    """

    description: str
    params: type[BaseModel]
    sample_shape: Callable[[Any], tuple[int, ...]]
    build: Callable[[Any], Any]


def _discover(group: str, kind: type, taken: tuple[str, ...]) -> dict[str, Any]:
    importlib.invalidate_caches()  # a package installed since the last look
    found: dict[str, Any] = {}
    for entry in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
        if not re.fullmatch(NAME_PATTERN, entry.name) or entry.name in taken:
            log.warning("plugin %s in %s skipped: its name is not a free slug", entry.name, group)
            continue
        try:
            plugin = entry.load()
        except Exception as exc:  # a broken package must not take the server down
            log.warning("plugin %s in %s skipped: %r", entry.name, group, exc)
            continue
        if not isinstance(plugin, kind):
            log.warning("plugin %s in %s skipped: not a %s", entry.name, group, kind.__name__)
            continue
        found[entry.name] = plugin
    return found


def model_plugins() -> dict[str, ModelPlugin]:
    """The installed model plugins by name."""
    return _discover(MODELS_GROUP, ModelPlugin, BUILTIN_MODELS)


def dataset_plugins() -> dict[str, DatasetPlugin]:
    """The installed dataset plugins by name."""
    return _discover(DATASETS_GROUP, DatasetPlugin, BUILTIN_DATASETS)


@functools.cache
def _strict(params: type[BaseModel]) -> type[BaseModel]:
    """``params`` refusing unknown keys, whatever the plugin's own model says: a misspelt
    parameter must be a 422, not silently ignored."""
    config = ConfigDict(**{**params.model_config, "extra": "forbid"})  # type: ignore[typeddict-item]
    return type(params.__name__, (params,), {"model_config": config})


def check_params(plugin: ModelPlugin | DatasetPlugin, values: dict[str, Any]) -> BaseModel:
    """``values`` validated by the plugin's parameter model, unknown keys refused
    (pydantic's ValidationError)."""
    return _strict(plugin.params).model_validate(values)


def entry(name: str, plugin: ModelPlugin | DatasetPlugin) -> dict[str, Any]:
    """What the catalogue lists of a plugin: name, description and its parameters' schema."""
    return {
        "name": name,
        "description": plugin.description,
        "plugin": True,
        "params_schema": plugin.params.model_json_schema(),
    }


def dataset_entries() -> list[dict[str, Any]]:
    """Catalogue entries of the dataset plugins, with the shape of their default parameters."""
    out = []
    for name, plugin in dataset_plugins().items():
        try:
            shape = list(plugin.sample_shape(plugin.params()))
        except Exception as exc:  # no defaults, or a broken plugin: listed, not available
            log.warning("plugin %s: no default shape: %s", name, exc)
            shape = []
        kind = "image" if len(shape) == 3 else f"{shape[0]}d" if shape else "unknown"
        out.append(
            {**entry(name, plugin), "kind": kind, "sample_shape": shape, "available": bool(shape)}
        )
    return out


def build_model(
    name: str, values: dict[str, Any], latent_dim: int, sample_shape: tuple[int, ...]
) -> tuple[Any, Any]:
    """(G, D) from model plugin ``name``, checked on a batch of two: G's samples must have
    ``sample_shape`` and D must return two logits. PluginError otherwise."""
    import torch

    plugin = model_plugins().get(name)
    if plugin is None:
        raise PluginError(f"no model plugin named {name!r} is installed")
    g, d = plugin.build(check_params(plugin, values), latent_dim, sample_shape)
    g.eval(), d.eval()  # the check must not move batch-norm statistics
    with torch.no_grad():
        fake = g(torch.zeros(2, latent_dim))
        if tuple(fake.shape) != (2, *sample_shape):
            raise PluginError(
                f"model plugin {name!r}: G returned {tuple(fake.shape)} for 2 noise vectors, "
                f"expected {(2, *sample_shape)}"
            )
        logits = d(fake)
        if tuple(logits.shape) != (2,):
            raise PluginError(f"model plugin {name!r}: D returned {tuple(logits.shape)}, not (2,)")
    return g.train(), d.train()


def build_sampler(name: str, values: dict[str, Any]) -> Any:
    """The sampler of dataset plugin ``name``; PluginError when there is none."""
    plugin = dataset_plugins().get(name)
    if plugin is None:
        raise PluginError(f"no dataset plugin named {name!r} is installed")
    params = check_params(plugin, values)
    sampler = plugin.build(params)
    shape = tuple(plugin.sample_shape(params))
    if tuple(sampler.sample_shape) != shape:
        raise PluginError(
            f"dataset plugin {name!r}: its sampler draws {tuple(sampler.sample_shape)}, "
            f"its sample_shape says {shape}"
        )
    return sampler
