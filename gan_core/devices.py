"""Where a run trains: the torch device and the CPU threads it takes."""

from __future__ import annotations

import torch

from gan_core.config import IMAGE_DATASETS, RunConfig


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but CUDA is not available here")
    return torch.device(name)


def torch_threads(config: RunConfig, cores: int) -> int:
    """CPU threads for torch: small MLPs lose time to thread hand-offs (and spin badly on a
    busy machine), so they take one; convolutions take the ``cores`` they are given."""
    convolutional = config.model == "dcgan" or config.dataset in IMAGE_DATASETS
    return max(1, cores) if convolutional else 1
