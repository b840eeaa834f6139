"""ganwatch plugins: a residual MLP pair and a two-moons dataset.

This module imports no torch (the ganwatch server lists plugins without it); the networks
and the sampler live in modules imported by ``build``.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from gan_core.plugins import DatasetPlugin, ModelPlugin


class ResidualParams(BaseModel):
    """The residual MLP's size."""

    width: int = Field(default=64, ge=8, le=1024, description="Units of every hidden layer.")
    blocks: int = Field(default=2, ge=1, le=8, description="Residual blocks in G and in D.")
    spectral_norm: bool = Field(default=True, description="Spectral norm on D's layers.")


def _build_pair(params: ResidualParams, latent_dim: int, shape: tuple[int, ...]) -> tuple:
    from ganwatch_example_plugin.networks import ResidualDiscriminator, ResidualGenerator

    return (
        ResidualGenerator(latent_dim, shape, params.width, params.blocks),
        ResidualDiscriminator(shape, params.width, params.blocks, params.spectral_norm),
    )


def _count(params: ResidualParams, latent_dim: int, shape: tuple[int, ...]) -> tuple[int, int]:
    w, n = params.width, math.prod(shape)
    blocks = params.blocks * 2 * (w * w + w)
    return (latent_dim * w + w) + blocks + (w * n + n), (n * w + w) + blocks + (w + 1)


class MoonsParams(BaseModel):
    """How noisy the moons are."""

    noise: float = Field(default=0.05, ge=0, le=0.5, description="Std of the Gaussian noise.")


def _build_moons(params: MoonsParams) -> object:
    from ganwatch_example_plugin.moons import MoonsSampler

    return MoonsSampler("two-moons", params.noise)


RESIDUAL_MLP = ModelPlugin(
    description="Residual MLP blocks (x + f(x)) in G and D, spectral norm in D",
    params=ResidualParams,
    build=_build_pair,
    parameters=_count,
)
TWO_MOONS = DatasetPlugin(
    description="Two interleaving half circles, as scikit-learn's make_moons",
    params=MoonsParams,
    sample_shape=lambda params: (2,),
    build=_build_moons,
)
