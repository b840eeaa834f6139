"""The datasets ganwatch knows, and where image sets' files live; imports no torch.

The server lists datasets (``GET /api/datasets``) from here without paying for torch;
the samplers themselves are in :mod:`gan_core.data`.

Image folders: a folder ``DATA_DIR/NAME/`` in torchvision's ``ImageFolder`` layout (one
subfolder per class, image files inside) is the dataset ``NAME`` when NAME is a slug that
is not a built-in set's (so torchvision's ``MNIST/`` and ``FashionMNIST/`` are not
folders). Listing one counts its files and opens at most ``PEEK_IMAGES`` of them to tell
gray from colour; the pixels are read only by a run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from gan_core.config import BUILTIN_DATASETS
from gan_core.pointsets import NAME_PATTERN

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
TRAIN_FILES = IDX_FILES[:2]  # what training needs
TEST_FILES = IDX_FILES[2:]  # optional: the classifier's held-out accuracy
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
"""What torchvision's ImageFolder reads (``torchvision.datasets.folder.IMG_EXTENSIONS``)."""
PEEK_IMAGES = 8
GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})
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


def folder_classes(folder: Path) -> dict[str, int]:
    """Image files per class subfolder of ``folder`` (classes without images left out)."""
    counts: dict[str, int] = {}
    try:
        subdirs = [entry for entry in os.scandir(folder) if entry.is_dir()]
    except OSError:
        return counts
    for sub in sorted(subdirs, key=lambda e: e.name):
        n = sum(
            1
            for f in os.scandir(sub.path)
            if f.is_file() and f.name.lower().endswith(IMAGE_EXTENSIONS)
        )
        if n:
            counts[sub.name] = n
    return counts


def _looks_gray(folder: Path, classes: list[str]) -> bool:
    from PIL import Image

    seen = 0
    for name in classes:
        for path in sorted((folder / name).iterdir()):
            if not path.name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            try:
                with Image.open(path) as image:
                    if image.mode not in GRAY_MODES:
                        return False
            except OSError:
                continue
            seen += 1
            if seen >= PEEK_IMAGES // max(1, len(classes)) + 1:
                break
    return True


def has_image_folder(name: str, root: Path) -> bool:
    """Whether ``root/name`` is an image folder (a slug, not a built-in name, with images)."""
    ok = re.fullmatch(NAME_PATTERN, name) is not None and name not in BUILTIN_DATASETS
    return ok and bool(folder_classes(root / name))


def image_folder(name: str, root: Path) -> dict[str, Any] | None:
    """The catalogue entry of image folder ``name`` under ``root``, or None when there is none.

    ``channels`` is what a few files suggest ('gray' or 'rgb'; a run with image_channels
    'auto' decides on all of them), ``sample_shape`` is at the default size 32.
    """
    if not re.fullmatch(NAME_PATTERN, name) or name in BUILTIN_DATASETS:
        return None
    folder = root / name
    counts = folder_classes(folder)
    if not counts:
        return None
    classes = list(counts)
    channels = "gray" if _looks_gray(folder, classes) else "rgb"
    total = sum(counts.values())
    return {
        "name": name,
        "kind": "image",
        "sample_shape": [1 if channels == "gray" else 3, 32, 32],
        "description": f"{total} images in {len(classes)} class folders under {name}/",
        "available": True,
        "folder": True,
        "channels": channels,
        "classes": classes,
        "count": total,
    }


def image_folders(data_dir: str | None = None) -> list[dict[str, Any]]:
    """Every image folder under the data folder, by name."""
    root = resolve_data_dir(data_dir)
    try:
        names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    except OSError:
        return []
    return [entry for name in names if (entry := image_folder(name, root)) is not None]
