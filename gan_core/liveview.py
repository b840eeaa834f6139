"""The live view of a 1-D or 2-D run: what the page draws, as reference and samples events.

GAN Lab's layers on real PyTorch: the real batch, the *training* generator on a fixed
noise batch (what D is trained against), D's decision map, the direction G's loss moves
each generated point (-grad_x L_G at x = G(z)) and the generator manifold (G on a regular
grid of the latent space, or a 2-D slice of it through two chosen latent dimensions).
What never changes in a run goes once into the reference event; samples events carry
only what moves.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gan_core.config import RunConfig
from gan_core.data import Sampler
from gan_core.events import (
    CURVE_POINTS,
    GRID_SIDE,
    MAP_POINTS_1D,
    Phase,
    ReferenceEvent,
    SamplesEvent,
)
from gan_core.losses import g_loss

PROBABILITY_LOSSES = ("minimax", "non-saturating")
MAP_LABELS = {
    "minimax": "D(x): probability that x is real",
    "non-saturating": "D(x): probability that x is real",
    "wgan-gp": "critic output D(x) (unbounded; higher = more real)",
    "hinge": "D output (raw logit; hinge margin at -1 and +1)",
    "lsgan": "D output (least squares: 1 = real, 0 = fake)",
}


def _rounded(t: Tensor, digits: int = 4) -> Any:
    """A tensor as (nested) lists rounded for compact JSON frames.

    Rounded in float64 by torch, then k / 10**digits: the nearest double to a short
    decimal, which JSON writes short, without a Python call per value.
    """
    scale = 10.0**digits
    return (t.detach().double() * scale).round_().div_(scale).tolist()


def _significant(t: Tensor, digits: int = 3) -> Any:
    """A tensor as (nested) lists of ``digits`` significant digits: small gradients stay
    visible. k * 10**e for e >= 0 and k / 10**-e otherwise are exact or correctly rounded,
    so each value is the nearest double to a short decimal."""
    x = t.detach().double()
    exponent = torch.floor(torch.log10(x.abs().clamp_min(1e-300))) - (digits - 1)
    up = torch.pow(10.0, exponent.clamp_min(0))
    down = torch.pow(10.0, (-exponent).clamp_min(0))
    return torch.where(exponent >= 0, (x / up).round_() * up, (x * down).round_() / down).tolist()


def latent_range(prior: str) -> tuple[float, float]:
    """The span of each latent dimension on the grid: most of the prior's mass."""
    return (-1.0, 1.0) if prior == "uniform" else (-2.5, 2.5)


class LiveView:
    """Builds the reference and the points samples events of one 1-D or 2-D run.

    ``noise`` (N, latent_dim) is the fixed batch, ``real`` (N, dim) the real batch in
    data space, both drawn by the caller from its evaluation RNG.
    """

    def __init__(
        self, config: RunConfig, sampler: Sampler, noise: Tensor, real: Tensor, loss: str
    ) -> None:
        self.config = config
        self.scale = sampler.scale
        self.noise = noise
        self.real = real
        self.loss = loss
        self.dim = int(real.shape[1])
        device = noise.device
        self.axes: list[Tensor] = []  # the map's x (and y) in data space
        if self.dim == 2 and sampler.bounds is not None:
            n = config.heatmap_size
            self.axes = [torch.linspace(lo, hi, n, device=device) for lo, hi in sampler.bounds]
            ys, xs = torch.meshgrid(self.axes[1], self.axes[0], indexing="ij")  # row i is y[i]
            self.map_points = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (n*n, 2)
        elif self.dim == 1:
            mean, std = config.data_mean, config.data_std
            lo, hi = sampler.bounds[0] if sampler.bounds else (mean - 4 * std, mean + 4 * std)
            self.axes = [torch.linspace(lo, hi, MAP_POINTS_1D, device=device)]
            self.map_points = self.axes[0].reshape(-1, 1)
        # The grid spans the first noise dimensions, after a latent code's one-hot entries.
        want = 2 if config.latent_dim >= 2 and self.dim == 2 else 1
        self.dims = [(config.latent_classes + i) % config.latent_dim for i in range(want)]

    @property
    def shows_latent(self) -> bool:
        """Whether a manifold can be drawn: points on an axis or in the plane."""
        return self.dim <= 2

    def set_dims(self, dims: list[int]) -> None:
        """Span the manifold's grid over latent dimensions ``dims`` (distinct, < latent_dim)."""
        want = 2 if self.dim == 2 and self.config.latent_dim >= 2 else 1
        if len(dims) < want or len(set(dims[:want])) != want:
            raise ValueError(f"the manifold needs {want} distinct latent dimensions")
        if any(not 0 <= i < self.config.latent_dim for i in dims[:want]):
            raise ValueError(f"latent dimensions lie in 0..{self.config.latent_dim - 1}")
        self.dims = [int(i) for i in dims[:want]]

    def _shape(self) -> list[int]:
        return [GRID_SIDE, GRID_SIDE] if len(self.dims) == 2 else [1, CURVE_POINTS]

    def _grid(self) -> Tensor:
        """The latent grid (rows * cols, latent_dim): row-major, the other dimensions 0 (a
        latent code's at its first category)."""
        lo, hi = latent_range(self.config.prior)
        rows, cols = self._shape()
        device = self.noise.device
        z = torch.zeros(rows * cols, self.config.latent_dim, device=device)
        if self.config.latent_classes:
            z[:, 0] = 1.0
        across = torch.linspace(lo, hi, cols, device=device)
        if rows == 1:
            z[:, self.dims[0]] = across
            return z
        down = torch.linspace(lo, hi, rows, device=device)
        yy, xx = torch.meshgrid(down, across, indexing="ij")
        z[:, self.dims[0]] = xx.reshape(-1)
        z[:, self.dims[1]] = yy.reshape(-1)
        return z

    def reference(self, step: int) -> ReferenceEvent:
        """The run's constant parts: real batch, map axes and label, latent grid, noise."""
        map_ = None
        if self.axes:
            map_ = {
                "x": _rounded(self.axes[0]),
                "label": MAP_LABELS[self.loss],
                "probability": self.loss in PROBABILITY_LOSSES,
            }
            if len(self.axes) == 2:
                map_["y"] = _rounded(self.axes[1])
        latent = None
        if self.shows_latent:
            latent = {
                "dim": self.config.latent_dim,
                "dims": self.dims,
                "shape": self._shape(),
                "range": list(latent_range(self.config.prior)),
                "noise": _rounded(self.noise[:, self.dims], 3),
            }
        return ReferenceEvent(
            step=step,
            kind="points",
            dim=self.dim,
            real=_rounded(self.real),
            map=map_,
            latent=latent,
            loss=self.loss,
        )

    @torch.no_grad()
    def _map(self, d: nn.Module) -> dict[str, object]:
        values = d(self.map_points / self.scale).float()  # (n*n,) logits
        if self.loss in PROBABILITY_LOSSES:
            values = torch.sigmoid(values)
        if len(self.axes) == 1:
            return {"z": _rounded(values, 3)}
        side = self.axes[0].shape[0]
        return {"z": _rounded(values.reshape(-1, side), 3)}

    def _gradients(self, d: nn.Module, fake: Tensor) -> Tensor:
        """-d L_G / d x at each generated point x (data space), L_G summed over the batch
        so each point's arrow is its own loss's gradient."""
        x = (fake / self.scale).detach().requires_grad_(True)
        with torch.enable_grad():
            loss = g_loss(self.loss, d(x).float()) * x.shape[0]
            (grad,) = torch.autograd.grad(loss, x)
        return -grad / self.scale

    def samples(
        self,
        step: int,
        g: nn.Module,
        d: nn.Module,
        *,
        with_map: bool,
        g_ema: nn.Module | None = None,
        phase: Phase | None = None,
    ) -> SamplesEvent:
        """A points samples event of ``g`` (the training generator) against ``d``."""
        nets = [g, d] if g_ema is None else [g, d, g_ema]
        modes = [net.training for net in nets]
        for net in nets:
            net.eval()
        try:
            with torch.no_grad():
                fake = g(self.noise) * self.scale  # (N, dim)
                manifold = g(self._grid()) * self.scale if self.shows_latent else None
                ema = g_ema(self.noise) * self.scale if g_ema is not None and with_map else None
            gradients = self._gradients(d, fake) if self.shows_latent else None
            heatmap = self._map(d) if with_map and self.axes else None
        finally:
            for net, mode in zip(nets, modes, strict=True):
                net.train(mode)
        return SamplesEvent(
            step=step,
            kind="points",
            points=_rounded(fake),
            gradients=None if gradients is None else _significant(gradients),
            manifold=None
            if manifold is None
            else {"shape": self._shape(), "dims": self.dims, "points": _rounded(manifold)},
            heatmap=heatmap,
            ema_points=None if ema is None else _rounded(ema),
            phase=phase,
        )
