"""The residual MLP generator and discriminator."""

from __future__ import annotations

import math

from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


class _Block(nn.Module):
    """x + Linear(ReLU(Linear(x)))."""

    def __init__(self, width: int, wrap: bool) -> None:
        super().__init__()
        first, second = nn.Linear(width, width), nn.Linear(width, width)
        if wrap:
            first, second = spectral_norm(first), spectral_norm(second)
        self.f = nn.Sequential(first, nn.LeakyReLU(0.2), second)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(x + self.f(x))


class ResidualGenerator(nn.Module):
    """z (B, latent) -> samples (B, *shape)."""

    def __init__(self, latent_dim: int, shape: tuple[int, ...], width: int, blocks: int) -> None:
        super().__init__()
        self.shape = shape
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width),
            nn.LeakyReLU(0.2),
            *[_Block(width, wrap=False) for _ in range(blocks)],
            nn.Linear(width, math.prod(shape)),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.shape)


class ResidualDiscriminator(nn.Module):
    """samples (B, *shape) -> logits (B,)."""

    def __init__(self, shape: tuple[int, ...], width: int, blocks: int, wrap: bool) -> None:
        super().__init__()
        first, last = nn.Linear(math.prod(shape), width), nn.Linear(width, 1)
        if wrap:
            first, last = spectral_norm(first), spectral_norm(last)
        self.net = nn.Sequential(
            first, nn.LeakyReLU(0.2), *[_Block(width, wrap) for _ in range(blocks)], last
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.reshape(x.shape[0], -1)).squeeze(1)
