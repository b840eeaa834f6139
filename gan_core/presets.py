"""Named starting points: the lecture's examples, the mixture benchmarks, images.

A preset is a set of RunConfig overrides over the defaults. :data:`PRESETS` is in
the launch form's order: the lecture's examples first, then the benchmarks,
images and the collapse demo, then the rest.
"""

from __future__ import annotations

from typing import Any

from gan_core.config import RunConfig

# The lecture's networks: SELU generator, ELU discriminator (sigmoid is in the loss).
_LECTURE_NETS: dict[str, Any] = {
    "model": "mlp",
    "g_activation": "selu",
    "d_activation": "elu",
    "g_output": "linear",
}

# The image sets: DCGAN with the dcgan example's Adam settings, sized for 28x28.
_DCGAN: dict[str, Any] = {
    "model": "dcgan",
    "latent_dim": 64,
    "g_hidden": 32,
    "d_hidden": 32,
    "batch_size": 64,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "beta1": 0.5,
    "beta2": 0.999,
    "r1_gamma": 0.0,
    "ema": 0.0,
    "steps": 5000,
    "samples_every": 200,
    "quality_every": 1000,
}

# The 28x28 sets' networks (BENCHMARKS.md 13): InfoGAN's MNIST shape, a dense layer at z
# and at D's logit (128 units do as well as its 1 024 at a third of the cost), D width 64.
_DENSE: dict[str, Any] = {"d_hidden": 64, "dense_hidden": 128, "steps": 3000, "quality_every": 500}

# mnist (the recipe below, in PRESETS) and mnist-gpu, which adds a latent code and length.
_MNIST: dict[str, Any] = {
    "dataset": "mnist",
    **_DCGAN,
    **_DENSE,
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "ema": 0.99,
}

# The mixture benchmarks' recipe, found by a search (BENCHMARKS.md): larger batches
# (ring-8 512, grid-25 1024), Adam 3e-3 (0.0 / 0.9), 64-unit nets (2-2.5x the steps a
# second of 128) and rates falling to a tenth over the second half. On seeds 0-4 every
# mode, ring-8 95.8-97.2% high-quality (93.3-96.3% at batch 256, 128 units and 2e-3),
# grid-25 95.6-96.7% (90.2-92.8% at batch 256), 90% reached within 9 s (ring-8) and
# 23 s (grid-25) on one core.
_MIXTURE: dict[str, Any] = {
    "g_hidden": 64,
    "d_hidden": 64,
    "lr_g": 3e-3,
    "lr_d": 3e-3,
    "lr_decay": 0.5,
}

PRESETS: dict[str, dict[str, Any]] = {
    # The lecture's SELU/ELU nets match the mean but not the spread here (std ~0.3 of 1.25
    # after 3 000 steps); a ReLU MLP does, and at lr 5e-4 it holds both
    # within 4% from step 500 on, where 2e-3 drifts (mean 2.8 on one seed at step 3 000).
    "gaussian-1d": {
        "dataset": "gaussian-1d",
        "data_dim": 1,
        "data_mean": 4.0,
        "data_std": 1.25,
        "lr_g": 5e-4,
        "lr_d": 5e-4,
        "steps": 3000,
    },
    "line-2d": {"dataset": "line-2d", "steps": 3000},
    "blobs-2d": {"dataset": "blobs-2d", "n_blobs": 3, "steps": 3000},
    "ring-8": {"dataset": "ring-8", **_MIXTURE, "batch_size": 512, "steps": 4000},
    "grid-25": {"dataset": "grid-25", **_MIXTURE, "batch_size": 1024, "steps": 8000},
    "digits": {  # 8x8: a smaller latent, shorter
        "dataset": "digits",
        **_DCGAN,
        "latent_dim": 32,
        "steps": 3000,
        "samples_every": 100,
        "quality_every": 500,
    },
    # Adam 1e-3, EMA 0.99 (BENCHMARKS.md 13): on 2 cores seeds 0-4 pass 8.5 by step 1 000-2 000
    # and end at 8.66-8.93 with all 10 classes in 264-285 s. At 2e-3 seeds 1 and 7 on one
    # thread collapsed to one blob (seed 1 for good).
    "mnist": _MNIST,
    # Longer, for a GPU (the default device, auto, picks it), with InfoGAN's categorical code
    # (BENCHMARKS.md 13): seeds 0-4 end at 9.44-9.74 of 9.77, past 9.3 by step 2 000-2 500
    # (the mnist recipe without the code: 8.7-8.9 there); about 8.5 minutes on 2 CPU cores.
    "mnist-gpu": {
        **_MNIST,
        "latent_classes": 10,
        "lr_decay": 0.5,
        "steps": 5000,
        "checkpoint_every": 2500,
    },
    # Goodfellow's saturating minimax with SGD + momentum collapses ring-8
    # (1/8 modes, alert by step 1 000 on seeds 0-2: BENCHMARKS.md).
    "collapse-demo": {
        **_LECTURE_NETS,
        "dataset": "ring-8",
        "latent_dim": 8,
        "loss": "minimax",
        "optimizer": "sgd",
        "momentum": 0.9,
        "lr_g": 0.01,
        "lr_d": 0.01,
        "r1_gamma": 0.0,
        "ema": 0.0,
        "steps": 4000,
        "quality_every": 250,
    },
    # The lecture's own loop on its blobs: SELU G, ELU D (sigmoid in the loss), z = 8,
    # h = 128, SGD + momentum 0.9. lr 2e-3 covered 3/3 blobs at 5 000 steps on seeds 0-2
    # (75-83 % high-quality); 3e-3 dropped a blob on 2 of 3 seeds, 1e-3 stayed blurry.
    "lecture": {
        **_LECTURE_NETS,
        "dataset": "blobs-2d",
        "n_blobs": 3,
        "latent_dim": 8,
        "loss": "non-saturating",
        "optimizer": "sgd",
        "momentum": 0.9,
        "lr_g": 2e-3,
        "lr_d": 2e-3,
        "r1_gamma": 0.0,
        "steps": 5000,
    },
    "spiral-2d": {"dataset": "spiral-2d", "steps": 6000},
    # The mnist networks at Adam 1e-3 (BENCHMARKS.md 13): seeds 0-4 end at 6.86-7.08 of
    # 7.88 for real images (2e-3: 6.79 on seed 0; plain DCGAN: 5.59 at 5 000 steps).
    "fashion-mnist": {
        "dataset": "fashion-mnist",
        **_DCGAN,
        **_DENSE,
        "lr_g": 1e-3,
        "lr_d": 1e-3,
        "ema": 0.99,
    },
}

PRESET_DESCRIPTIONS: dict[str, str] = {
    "gaussian-1d": "The lecture's first example: match N(mean, std) vectors.",
    "line-2d": "Points on a line in the plane.",
    "blobs-2d": "A few Gaussian blobs in the plane.",
    "ring-8": "8 Gaussians on a circle: the standard mode-collapse benchmark.",
    "grid-25": "5x5 grid of Gaussians: the harder mode-collapse benchmark.",
    "spiral-2d": "A noisy spiral arm.",
    "digits": "Handwritten 8x8 digits bundled with scikit-learn (offline).",
    "mnist": "MNIST 28x28 digits from a local folder of IDX files.",
    "mnist-gpu": "MNIST with InfoGAN's 10-way code, longer: for a GPU; ~8.5 min on 2 CPU cores.",
    "fashion-mnist": "Fashion-MNIST 28x28 from a local folder of IDX files.",
    "collapse-demo": "Saturating minimax + SGD on ring-8: collapses, and the alert fires.",
    "lecture": "The lecture's networks and SGD on its blobs; freeze G to watch D win.",
}


def preset_config(name: str, overrides: dict[str, Any] | None = None) -> RunConfig:
    """The RunConfig of preset ``name`` with ``overrides`` (RunConfig field names) applied.

    Raises KeyError for an unknown preset and pydantic.ValidationError for bad overrides.
    """
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return RunConfig.model_validate({**PRESETS[name], **(overrides or {})})
