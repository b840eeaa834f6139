"""Two interleaving half circles: scikit-learn's make_moons, drawn with torch."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gan_core.data import Sampler


class MoonsSampler(Sampler):
    """The upper moon centred at (0, 0), the lower one at (1, 0.5), radius 1, plus noise."""

    def __init__(self, name: str, noise: float) -> None:
        self.name, self.sample_shape = name, (2,)
        self.noise = noise
        self.scale = 2.0
        self.bounds = ((-1.5, 2.5), (-1.0, 1.5))

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        dev = generator.device
        t = math.pi * torch.rand(n, generator=generator, device=dev)
        lower = torch.rand(n, generator=generator, device=dev) < 0.5
        x = torch.where(lower, 1 - t.cos(), t.cos())
        y = torch.where(lower, 0.5 - t.sin(), t.sin())
        points = torch.stack([x, y], dim=1)  # (n, 2)
        return points + self.noise * torch.randn(n, 2, generator=generator, device=dev)
