"""Benchmark 1: gan_core's Trainer against the lecture's bare PyTorch loop.

The bare loop is written as a student would: nn.Sequential MLPs (G with SELU,
D with ELU and a final Sigmoid), nn.BCELoss, one D step then one G step, and
the losses read with ``.item()`` every step for a history list. The Trainer runs
the same networks, sizes, batch and optimizer with all its metrics, samples,
heat maps, quality figures and detectors on. The two alternate in rounds in one
process and the script prints the steps/s ratio.

    python -m bench.trainer_vs_bare [--steps 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from gan_core.config import RunConfig
from gan_core.presets import preset_config
from gan_core.trainer import Trainer

HIDDEN, LATENT, BATCH = 128, 8, 256
SMOKE = ["--steps", "20", "--rounds", "1"]


def lecture_config(steps: int) -> RunConfig:
    """The lecture's setting as a RunConfig: what both loops train."""
    return preset_config(
        "ring-8",
        {
            "g_activation": "selu",
            "d_activation": "elu",
            "g_hidden": HIDDEN,
            "d_hidden": HIDDEN,
            "g_layers": 3,
            "d_layers": 2,
            "latent_dim": LATENT,
            "batch_size": BATCH,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "beta1": 0.5,
            "beta2": 0.999,
            "r1_gamma": 0.0,
            "ema": 0.0,
            "steps": steps,
            "device": "cpu",
        },
    )


def bare_loop(steps: int, seed: int = 0) -> float:
    """The student's loop on ring-8; returns steps per second."""
    torch.manual_seed(seed)
    g = nn.Sequential(
        nn.Linear(LATENT, HIDDEN),
        nn.SELU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.SELU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.SELU(),
        nn.Linear(HIDDEN, 2),
    )
    d = nn.Sequential(
        nn.Linear(2, HIDDEN),
        nn.ELU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ELU(),
        nn.Linear(HIDDEN, 1),
        nn.Sigmoid(),
    )
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    criterion = nn.BCELoss()
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)
    angles = torch.arange(8) * 2 * math.pi / 8
    centres = torch.stack([angles.cos(), angles.sin()], dim=1)
    history = []
    start = time.perf_counter()
    for _ in range(steps):
        real = centres[torch.randint(0, 8, (BATCH,))] + 0.01 * torch.randn(BATCH, 2)
        fake = g(torch.randn(BATCH, LATENT))
        opt_d.zero_grad()
        loss_d = criterion(d(real), ones) + criterion(d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = criterion(d(fake), ones)
        loss_g.backward()
        opt_g.step()
        history.append((loss_d.item(), loss_g.item()))
    return steps / (time.perf_counter() - start)


def trainer_loop(steps: int) -> float:
    """gan_core's Trainer on the same setting, consuming every event; steps per second."""
    trainer = Trainer(lecture_config(steps))
    start = time.perf_counter()
    for _ in trainer.events():
        pass
    return steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    bare, ours = [], []
    for _ in range(args.rounds):
        bare.append(bare_loop(args.steps))
        ours.append(trainer_loop(args.steps))
    b, o = max(bare), max(ours)
    print(f"bench trainer_vs_bare: threads={args.threads} steps={args.steps} rounds={args.rounds}")
    print(f"  bare loop      {b:8.1f} steps/s  (rounds: {', '.join(f'{x:.0f}' for x in bare)})")
    print(f"  gan_core       {o:8.1f} steps/s  (rounds: {', '.join(f'{x:.0f}' for x in ours)})")
    print(f"ratio trainer/bare = {o / b:.2f}x")


if __name__ == "__main__":
    main()
