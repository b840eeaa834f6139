"""Benchmark 5: DCGAN on real MNIST digits, gan_core's Trainer against bare loops.

Three loops alternate in rounds in one process, on the same images and batch:
- gan_core's Trainer with the ``mnist`` preset, every event on;
- a bare loop over the very same G and D modules (``gan_core.models``);
- a bare loop over the pytorch/examples DCGAN architecture cut to 28x28, at the
  preset's widths (ngf, ndf), BCELoss on a Sigmoid, fake reused for the G step.

MNIST is read from ``--mnist-dir`` (a folder holding ``MNIST/raw``; default
``../shared/data``) copied into a temporary data dir; ``--dataset digits`` uses
scikit-learn's bundled 8x8 digits instead (the smoke run).

    python -m bench.images [--steps 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from gan_core.config import RunConfig
from gan_core.data import make_sampler
from gan_core.events import MetricsEvent
from gan_core.models import build_discriminator, build_generator
from gan_core.presets import preset_config
from gan_core.trainer import Trainer

SMOKE = ["--dataset", "digits", "--steps", "3", "--rounds", "1"]


def examples_dcgan(nz: int, ngf: int, ndf: int) -> tuple[nn.Module, nn.Module]:
    """pytorch/examples' DCGAN, its 64x64 stacks cut to 28x28."""
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False),
        nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        # (B, 4ngf, 7, 7)
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        # (B, 2ngf, 14, 14)
        nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False),
        nn.Tanh(),  # (B, 1, 28, 28)
    )
    d = nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, inplace=True),  # (B, ndf, 14, 14)
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),  # (B, 2ndf, 7, 7)
        nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False),
        nn.Sigmoid(),  # (B, 1, 1, 1)
    )
    return g, d


def bare_loop(
    g: nn.Module, d: nn.Module, config: RunConfig, images: torch.Tensor, sigmoid_in_d: bool
) -> float:
    """The dcgan example's loop: D on real, D on fake.detach(), then G on the same fake."""
    steps, batch, nz = config.steps, config.batch_size, config.latent_dim
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr_g, betas=(config.beta1, config.beta2))
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr_d, betas=(config.beta1, config.beta2))
    criterion = nn.BCELoss() if sigmoid_in_d else nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    noise_shape = (batch, nz, 1, 1) if sigmoid_in_d else (batch, nz)
    start = time.perf_counter()
    for _ in range(steps):
        real = images[torch.randint(0, len(images), (batch,))]
        fake = g(torch.randn(noise_shape))
        opt_d.zero_grad()
        loss_d = criterion(d(real).view(-1), ones) + criterion(d(fake.detach()).view(-1), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = criterion(d(fake).view(-1), ones)
        loss_g.backward()
        opt_g.step()
        loss_d.item(), loss_g.item()
    return steps / (time.perf_counter() - start)


def trainer_loop(config: RunConfig) -> float:
    """Steps/s up to the last metrics frame (the closing quality check is not training)."""
    trainer = Trainer(config)
    start = time.perf_counter()
    for event in trainer.events():
        if isinstance(event, MetricsEvent) and event.step == config.steps:
            break
    return config.steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["mnist", "digits"], default="mnist")
    parser.add_argument("--mnist-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        overrides: dict[str, object] = {"steps": args.steps, "device": "cpu"}
        if args.dataset == "mnist":
            shutil.copytree(args.mnist_dir / "MNIST" / "raw", Path(tmp) / "MNIST" / "raw")
            overrides["data_dir"] = tmp
        # Quality (the classifier) is measured elsewhere; here the cost of training + frames.
        overrides["quality_every"] = 100_000
        config = preset_config(args.dataset, overrides)
        images = make_sampler(config.parts().data).labelled()[0]
        shape = tuple(images.shape[1:])
        rates: dict[str, list[float]] = {
            "gan_core": [],
            "bare, same nets": [],
            "examples dcgan": [],
        }
        for _ in range(args.rounds):
            rates["gan_core"].append(trainer_loop(config))
            torch.manual_seed(0)
            g = build_generator(config.parts().generator, config.latent_dim, shape)
            d = build_discriminator(config.parts().discriminator, shape)
            rates["bare, same nets"].append(bare_loop(g, d, config, images, sigmoid_in_d=False))
            if shape == (1, 28, 28):
                g2, d2 = examples_dcgan(config.latent_dim, config.g_hidden, config.d_hidden)
                rates["examples dcgan"].append(bare_loop(g2, d2, config, images, sigmoid_in_d=True))
    print(
        f"bench images: {args.dataset} {shape} batch={config.batch_size} steps={args.steps} "
        f"rounds={args.rounds} threads={args.threads}"
    )
    best = {name: max(r) for name, r in rates.items() if r}
    for name, rate in best.items():
        print(f"  {name:16s} {rate:8.1f} steps/s")
    print(f"ratio gan_core/bare-same-nets = {best['gan_core'] / best['bare, same nets']:.2f}x")
    if "examples dcgan" in best:
        print(f"ratio gan_core/examples-dcgan = {best['gan_core'] / best['examples dcgan']:.2f}x")


if __name__ == "__main__":
    main()
