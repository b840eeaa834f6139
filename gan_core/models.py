"""Generator and discriminator families: the lecture's MLP pair and a DCGAN pair.

Discriminators return logits, shape (B,): the sigmoid of the lecture's "ELU +
sigmoid" D is applied by the losses, where it is numerically stable.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_core.config import BUILTIN_MODELS, NetConfig
from gan_core.dcgan_plan import dcgan_plan
from gan_core.plugins import build_model

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def _activation(name: str, inplace: bool = False) -> nn.Module:
    """A fresh activation module; ``inplace`` saves an allocation after a Linear."""
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2, inplace=inplace)
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(_ACTIVATIONS)}")
    if name in ("relu", "selu", "elu"):
        return _ACTIVATIONS[name](inplace=inplace)  # type: ignore[call-arg]
    return _ACTIVATIONS[name]()


def _mlp(n_in: int, n_out: int, cfg: NetConfig) -> list[nn.Module]:
    # In place is safe here: each activation overwrites a Linear's fresh output.
    layers: list[nn.Module] = [nn.Linear(n_in, cfg.hidden), _activation(cfg.activation, True)]
    for _ in range(cfg.layers - 1):
        layers += [nn.Linear(cfg.hidden, cfg.hidden), _activation(cfg.activation, True)]
    layers.append(nn.Linear(cfg.hidden, n_out))
    return layers


class MLPGenerator(nn.Module):
    """z (B, latent) -> samples (B, *sample_shape)."""

    def __init__(self, cfg: NetConfig, latent_dim: int, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.sample_shape = sample_shape
        layers = _mlp(latent_dim, math.prod(sample_shape), cfg)
        if cfg.output != "linear":
            layers.append(_activation(cfg.output))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.sample_shape)


class MLPDiscriminator(nn.Module):
    """samples (B, *sample_shape) -> logits (B,)."""

    def __init__(self, cfg: NetConfig, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.net = nn.Sequential(*_mlp(math.prod(sample_shape), 1, cfg))
        self.code_head = nn.Linear(cfg.hidden, cfg.codes) if cfg.codes else None

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.reshape(x.shape[0], -1)).squeeze(1)

    def forward_with_code(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Logits (B,) and the latent code's logits (B, codes), from one pass of the body."""
        h = self.net[:-1](x.reshape(x.shape[0], -1))  # (B, hidden)
        return self.net[-1](h).squeeze(1), _code_head(self.code_head)(h)


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al.): transposed convs + batch norm + ReLU, tanh output;
    the maps follow :func:`gan_core.dcgan_plan.dcgan_plan`."""

    def __init__(self, cfg: NetConfig, latent_dim: int, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        plan = dcgan_plan(sample_shape, cfg.hidden, cfg.hidden)
        chans = plan.g_channels
        dense: list[nn.Module] = []
        if cfg.dense:  # z -> (B, dense, 1, 1) before the projection (InfoGAN's MNIST G)
            dense = [nn.Conv2d(latent_dim, cfg.dense, 1, bias=False), nn.BatchNorm2d(cfg.dense)]
            dense.append(nn.ReLU(True))
        self.project = nn.Sequential(
            *dense,
            nn.ConvTranspose2d(cfg.dense or latent_dim, chans[0], plan.start, 1, 0, bias=False),
            nn.BatchNorm2d(chans[0]),
            nn.ReLU(True),
        )  # (B, chans[0], start, start): 7x7 for 28x28, 2x2 for 8x8, 4x4 for 32 and 64
        up: list[nn.Module] = []
        for c_in, c_out in zip(chans[:-2], chans[1:-1], strict=True):
            up += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)]
            up += [nn.BatchNorm2d(c_out), nn.ReLU(True)]  # each step doubles the side
        up += [nn.ConvTranspose2d(chans[-2], chans[-1], 4, 2, 1, bias=False), nn.Tanh()]
        self.up = nn.Sequential(*up)  # -> (B, C, H, W)
        self.apply(_dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.project(z[:, :, None, None]))  # (B, latent, 1, 1) -> (B, C, H, W)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: strided convs + LeakyReLU(0.2), batch norm inside, logits out."""

    def __init__(self, cfg: NetConfig, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        plan = dcgan_plan(sample_shape, cfg.hidden, cfg.hidden)
        chans = plan.d_channels
        layers: list[nn.Module] = [
            nn.Conv2d(chans[0], chans[1], 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),  # (B, ndf, H/2, W/2)
        ]
        for c_in, c_out in zip(chans[1:-1], chans[2:], strict=True):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out)]
            layers += [nn.LeakyReLU(0.2, inplace=True)]  # each step halves the side
        if cfg.dense:  # the last map -> (B, dense, 1, 1) -> logit (InfoGAN's MNIST D)
            layers += [nn.Conv2d(chans[-1], cfg.dense, plan.start, 1, 0, bias=False)]
            layers += [nn.BatchNorm2d(cfg.dense), nn.LeakyReLU(0.2, inplace=True)]
            last = (cfg.dense, 1)  # the logit's input channels and kernel
        else:
            last = (chans[-1], plan.start)
        layers.append(nn.Conv2d(last[0], 1, last[1], 1, 0, bias=False))  # (B, 1, 1, 1)
        self.net = nn.Sequential(*layers)
        # The code's logits read the same input as the logit: (B, codes, 1, 1).
        self.code_head = nn.Conv2d(last[0], cfg.codes, last[1]) if cfg.codes else None
        self.apply(_dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)

    def forward_with_code(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Logits (B,) and the latent code's logits (B, codes), from one pass of the body."""
        h = self.net[:-1](x)
        return self.net[-1](h).view(-1), _code_head(self.code_head)(h).flatten(1)


def logits_with_code(d: nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """A built-in D's logits (B,) and its reading of the latent code (B, codes)."""
    if not isinstance(d, MLPDiscriminator | DCGANDiscriminator):
        raise TypeError("only the built-in discriminators (mlp, dcgan) read a latent code")
    return d.forward_with_code(x)


def _code_head(head: nn.Module | None) -> nn.Module:
    if head is None:
        raise RuntimeError("this discriminator was built without a latent code (codes = 0)")
    return head


def _dcgan_init(m: nn.Module) -> None:
    """Weights from N(0, 0.02), batch-norm scales from N(1, 0.02), as in the DCGAN paper."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def sample_latent(
    prior: str, n: int, dim: int, gen: torch.Generator, device: torch.device, classes: int = 0
) -> Tensor:
    """n latent vectors z, (n, dim): uniform on [-1, 1] for ``prior`` 'uniform', else N(0, 1);
    with ``classes``, the first ``classes`` entries are a one-hot code of a uniform category."""
    if prior == "uniform":
        z = torch.rand((n, dim), generator=gen, device=device) * 2 - 1
    else:
        z = torch.randn((n, dim), generator=gen, device=device)
    if classes:
        pick = torch.randint(0, classes, (n,), generator=gen, device=device)
        z[:, :classes] = F.one_hot(pick, classes).to(z.dtype)
    return z


def latent_codes(z: Tensor, classes: int) -> Tensor | None:
    """The categories (n,) that :func:`sample_latent` coded into z, or None without a code."""
    return z[:, :classes].argmax(1) if classes else None


def build_generator(cfg: NetConfig, latent_dim: int, sample_shape: tuple[int, ...]) -> nn.Module:
    """G for the family in ``cfg``: forward(z (B, latent_dim)) -> (B, *sample_shape)."""
    if cfg.family == "dcgan":
        return DCGANGenerator(cfg, latent_dim, sample_shape)
    return MLPGenerator(cfg, latent_dim, sample_shape)


def build_discriminator(cfg: NetConfig, sample_shape: tuple[int, ...]) -> nn.Module:
    """D for the family in ``cfg``: forward(x (B, *sample_shape)) -> logits (B,)."""
    if cfg.family == "dcgan":
        return DCGANDiscriminator(cfg, sample_shape)
    return MLPDiscriminator(cfg, sample_shape)


def build_pair(
    g_cfg: NetConfig,
    d_cfg: NetConfig,
    latent_dim: int,
    sample_shape: tuple[int, ...],
    plugin_params: dict[str, Any],
) -> tuple[nn.Module, nn.Module]:
    """(G, D): a built-in family's pair, or a model plugin's (:mod:`gan_core.plugins`) when
    the family is a plugin's name."""
    if g_cfg.family in BUILTIN_MODELS:
        return build_generator(g_cfg, latent_dim, sample_shape), build_discriminator(
            d_cfg, sample_shape
        )
    g, d = build_model(g_cfg.family, plugin_params, latent_dim, sample_shape)
    return g, d


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
