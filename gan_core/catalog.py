"""The datasets ganwatch knows, and where image sets' files live; imports no torch.

The server lists datasets (``GET /api/datasets``) from here without paying for torch;
the samplers themselves are in :mod:`gan_core.data`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
TRAIN_FILES = IDX_FILES[:2]  # what training needs
TEST_FILES = IDX_FILES[2:]  # optional: the classifier's held-out accuracy
TORCHVISION_FOLDER = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
DESCRIPTIONS = {
    "gaussian-1d": "vectors of data_dim floats, each ~ N(mean, std)",
    "line-2d": "points on a line segment in the plane",
    "blobs-2d": "Gaussian blobs on a circle",
    "ring-8": "8 Gaussians on the unit circle, sigma 0.01",
    "grid-25": "5x5 grid of Gaussians at {-4,-2,0,2,4}^2, sigma 0.05",
    "spiral-2d": "a noisy spiral arm",
    "digits": "scikit-learn's bundled 8x8 handwritten digits (1 797 images)",
    "mnist": "MNIST handwritten digits, 28x28, from local IDX files",
    "fashion-mnist": "Fashion-MNIST clothing images, 28x28, from local IDX files",
}


def resolve_data_dir(configured: str | None) -> Path:
    """Where image sets live: the config's dir, else $GANWATCH_DATA_DIR, else ./data."""
    return Path(configured or os.environ.get("GANWATCH_DATA_DIR") or "data")


def raw_dir(name: str, root: Path) -> Path:
    """The folder of an IDX set's files under ``root``, in torchvision's layout."""
    return root / TORCHVISION_FOLDER[name] / "raw"


def find_idx(raw: Path, stem: str) -> Path | None:
    """``raw/stem``, plain or gzip, if it is there."""
    for path in (raw / stem, raw / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def dataset_catalog(data_dir: str | None = None) -> list[dict[str, Any]]:
    """Every dataset: name, kind ('1d' | '2d' | 'image'), sample_shape, description, available.

    mnist and fashion-mnist also give ``files_dir`` (where their IDX files go) and ``files``.
    """
    root = resolve_data_dir(data_dir)
    out: list[dict[str, Any]] = []
    for name, description in DESCRIPTIONS.items():
        entry: dict[str, Any] = {"name": name, "description": description, "available": True}
        if name == "gaussian-1d":
            entry.update(kind="1d", sample_shape=[1])  # the default; data_dim sets it
        elif name in ("digits", "mnist", "fashion-mnist"):
            size = 8 if name == "digits" else 28
            entry.update(kind="image", sample_shape=[1, size, size])
        else:
            entry.update(kind="2d", sample_shape=[2])
        if name in TORCHVISION_FOLDER:
            raw = raw_dir(name, root)
            entry.update(
                available=all(find_idx(raw, stem) is not None for stem in TRAIN_FILES),
                files_dir=str(raw.resolve()),
                files=list(IDX_FILES),
            )
        out.append(entry)
    return out
