"""Generator and discriminator families: the lecture's MLP pair and a DCGAN pair.

Discriminators return logits, shape (B,): the sigmoid of the lecture's "ELU +
sigmoid" D is applied by the losses, where it is numerically stable.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from gan_core.config import NetConfig

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
IMAGE_SIZES = (8, 28)


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

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.reshape(x.shape[0], -1)).squeeze(1)


def _image_size(sample_shape: tuple[int, ...]) -> int:
    if (
        len(sample_shape) != 3
        or sample_shape[1] != sample_shape[2]
        or sample_shape[1] not in IMAGE_SIZES
    ):
        raise ValueError(
            f"DCGAN handles (C, H, W) images with H = W in {IMAGE_SIZES}, got {sample_shape}"
        )
    return sample_shape[1]


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al.): transposed convs + batch norm + ReLU, tanh output."""

    def __init__(self, cfg: NetConfig, latent_dim: int, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        size, channels, ngf = _image_size(sample_shape), sample_shape[0], cfg.hidden
        start = 7 if size == 28 else 2
        self.project = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, ngf * 4, start, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
        )  # (B, 4ngf, start, start): 7x7 for 28x28, 2x2 for 8x8
        self.up = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),  # (B, 2ngf, 2*start, 2*start)
            nn.ConvTranspose2d(ngf * 2, channels, 4, 2, 1, bias=False),
            nn.Tanh(),  # (B, C, 4*start, 4*start) = (B, C, H, W)
        )
        self.apply(_dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.project(z[:, :, None, None]))  # (B, latent, 1, 1) -> (B, C, H, W)


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: strided convs + LeakyReLU(0.2), batch norm inside, logits out."""

    def __init__(self, cfg: NetConfig, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        size, channels, ndf = _image_size(sample_shape), sample_shape[0], cfg.hidden
        last = 7 if size == 28 else 2
        self.net = nn.Sequential(
            nn.Conv2d(channels, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),  # (B, ndf, H/2, W/2)
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),  # (B, 2ndf, H/4, W/4): 7x7 or 2x2
            nn.Conv2d(ndf * 2, 1, last, 1, 0, bias=False),  # (B, 1, 1, 1)
        )
        self.apply(_dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)


def _dcgan_init(m: nn.Module) -> None:
    """Weights from N(0, 0.02), batch-norm scales from N(1, 0.02), as in the DCGAN paper."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


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


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
