"""Real-data samplers: the toy distributions of the lecture and the benchmarks, and image sets.

Geometry of each set (data space; the trainer divides by ``scale``):

- ``gaussian-1d``: vectors of ``dim`` entries, each ~ N(mean, std) (the lecture's first example);
  ``scale`` is |mean| + 3 std, so the scaled data lies almost entirely in [-1, 1].
- ``line-2d``: points uniform on the segment from (-1, -0.5) to (1, 0.5), plus N(0, 0.02) noise.
- ``blobs-2d``: ``n_blobs`` equally weighted Gaussians, centres evenly on a circle of radius 1.5
  starting at (1.5, 0) (a single blob sits at the origin), std ``mixture_std`` (default 0.1).
- ``ring-8``: 8 Gaussians at (cos 2*pi*i/8, sin 2*pi*i/8), radius 1, std 0.01 (PacGAN's geometry).
- ``grid-25``: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05 (PacGAN's geometry).
- ``spiral-2d``: one arm r = theta / (2*pi), theta ~ U(0.5*pi, 4*pi), plus N(0, 0.04) noise.
- an uploaded or drawn point set (:mod:`gan_core.pointsets`): uniform draws from its N points,
  1-D or 2-D; ``scale`` is the largest |coordinate|, the view's bounds its extent plus a margin.
- an image folder ``DATA_DIR/NAME/<class>/*.png`` (:mod:`gan_core.catalog`): every image read
  with torchvision's ``ImageFolder``, resized (shorter side) and centre-cropped to
  ``image_size``, scaled to [-1, 1]; RGB, or one gray channel for ``image_channels`` 'gray'
  and for 'auto' when every image has equal red, green and blue. Labels are the class folders.
- ``digits``: scikit-learn's bundled 1 797 8x8 handwritten digits, scaled to [-1, 1].
- ``mnist`` / ``fashion-mnist``: the 60 000 training images, 28x28, scaled to [-1, 1], read from
  the standard IDX files (plain or .gz) in torchvision's layout, ``DATA_DIR/MNIST/raw`` or
  ``DATA_DIR/FashionMNIST/raw``. ``DATA_DIR`` is the config's ``data_dir``, else
  ``$GANWATCH_DATA_DIR``, else ``./data``. Nothing is ever downloaded. The files are parsed here
  rather than by ``torchvision.datasets.MNIST``, which reads only uncompressed files.

Mixture sets take ``mixture_std`` instead of their standard std when it is set. Image sets are
held as one float tensor, so sampling a batch is a single indexing operation.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from gan_core.catalog import (
    IDX_FILES,
    TEST_FILES,
    TORCHVISION_FOLDER,
    TRAIN_FILES,
    find_idx,
    has_image_folder,
    raw_dir,
    resolve_data_dir,
)
from gan_core.config import DataConfig
from gan_core.plugins import build_sampler, dataset_plugins

_IDX_UBYTE = 0x08
STANDARD_STD = {"ring-8": 0.01, "grid-25": 0.05, "blobs-2d": 0.1}


class DatasetMissing(FileNotFoundError):
    """An image set's files are not where they should be; the message says where."""


class Sampler:
    """Draws real samples; see the module docstring for each set's geometry."""

    name: str
    sample_shape: tuple[int, ...]
    scale: float = 1.0
    centres: Tensor | None = None
    sigma: float | None = None
    bounds: tuple[tuple[float, float], ...] | None = None  # the view's (lo, hi) per axis
    n_classes: int | None = None
    source: str = ""  # the folder an image set was read from ("" for bundled or synthetic data)

    @property
    def is_image(self) -> bool:
        """Whether samples are (C, H, W) images."""
        return len(self.sample_shape) == 3

    def to(self, device: torch.device) -> Sampler:
        """Move the sampler's tensors to ``device``."""
        for key, value in vars(self).items():
            if isinstance(value, Tensor):
                setattr(self, key, value.to(device))
        return self

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, *sample_shape) float32 real samples in data space, on generator.device."""
        raise NotImplementedError

    def labelled(self) -> tuple[Tensor, Tensor]:
        """Image sets: all images (N, 1, H, W) in [-1, 1] and their labels (N,)."""
        raise TypeError(f"{self.name} has no labelled images")

    def test_split(self) -> tuple[Tensor, Tensor] | None:
        """Image sets: the held-out test images and labels, when the files are there."""
        return None


class GaussianSampler(Sampler):
    """gaussian-1d: independent N(mean, std) entries."""

    def __init__(self, cfg: DataConfig) -> None:
        self.name, self.sample_shape = cfg.name, (cfg.dim,)
        self.mean, self.std = cfg.mean, cfg.std
        self.scale = abs(cfg.mean) + 3 * cfg.std

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        z = torch.randn(n, *self.sample_shape, generator=generator, device=generator.device)
        return z * self.std + self.mean


class MixtureSampler(Sampler):
    """Equally weighted isotropic Gaussians at ``centres`` (K, 2)."""

    def __init__(self, name: str, centres: Tensor, sigma: float) -> None:
        self.name, self.sample_shape = name, (2,)
        self.centres, self.sigma = centres.float(), sigma
        self.scale = float(centres.abs().max()) or 1.0
        self.bounds = _bounds(self.centres, 3 * sigma)

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        assert self.centres is not None and self.sigma is not None
        idx = torch.randint(
            0, self.centres.shape[0], (n,), generator=generator, device=generator.device
        )
        noise = torch.randn(n, 2, generator=generator, device=generator.device)
        return self.centres.to(generator.device)[idx] + self.sigma * noise


class LineSampler(Sampler):
    """line-2d: a noisy segment."""

    def __init__(self, cfg: DataConfig) -> None:
        self.name, self.sample_shape = cfg.name, (2,)
        self.start, self.end = torch.tensor([-1.0, -0.5]), torch.tensor([1.0, 0.5])
        self.scale = 1.0
        self.bounds = ((-1.5, 1.5), (-1.0, 1.0))

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        dev = generator.device
        t = torch.rand(n, 1, generator=generator, device=dev)
        noise = torch.randn(n, 2, generator=generator, device=dev)
        return self.start.to(dev) + t * (self.end - self.start).to(dev) + 0.02 * noise


class SpiralSampler(Sampler):
    """spiral-2d: one noisy arm of an Archimedean spiral."""

    def __init__(self, cfg: DataConfig) -> None:
        self.name, self.sample_shape = cfg.name, (2,)
        self.scale = 2.0
        self.bounds = ((-2.5, 2.5), (-2.5, 2.5))

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        dev = generator.device
        theta = math.pi * (0.5 + 3.5 * torch.rand(n, generator=generator, device=dev))
        r = theta / (2 * math.pi)
        points = torch.stack([r * theta.cos(), r * theta.sin()], dim=1)  # (n, 2)
        return points + 0.04 * torch.randn(n, 2, generator=generator, device=dev)


class PointsSampler(Sampler):
    """A point set someone brought: uniform draws from its (N, dim) points, dim 1 or 2."""

    def __init__(self, name: str, points: Tensor) -> None:
        self.name, self.sample_shape = name, (int(points.shape[1]),)
        self.points = points.float()
        self.scale = float(self.points.abs().max()) or 1.0
        lo, hi = self.points.min(dim=0).values, self.points.max(dim=0).values
        pad = torch.clamp(0.15 * (hi - lo), min=0.05 * self.scale)
        self.bounds = tuple((float(a), float(b)) for a, b in zip(lo - pad, hi + pad, strict=True))

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        idx = torch.randint(
            0, self.points.shape[0], (n,), generator=generator, device=generator.device
        )
        return self.points[idx.to(self.points.device)].to(generator.device)


class ImageSampler(Sampler):
    """Uniform draws from a fixed set of labelled images held as one tensor."""

    def __init__(self, name: str, images: Tensor, labels: Tensor, source: str = "") -> None:
        self.name, self.sample_shape = name, tuple(images.shape[1:])
        self.images, self.labels = images, labels  # (N, 1, H, W) in [-1, 1], (N,)
        self.n_classes: int | None = 10
        self.source = source  # where the files came from: two folders, two classifiers
        self.test: tuple[Tensor, Tensor] | None = None  # held-out images and labels, if any

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        idx = torch.randint(
            0, self.images.shape[0], (n,), generator=generator, device=generator.device
        )
        # Gather where the images live and move only the batch, never the whole set.
        return self.images[idx.to(self.images.device)].to(generator.device)

    def labelled(self) -> tuple[Tensor, Tensor]:
        return self.images, self.labels

    def test_split(self) -> tuple[Tensor, Tensor] | None:
        return self.test


def _bounds(centres: Tensor, margin: float) -> tuple[tuple[float, float], ...]:
    lo, hi = centres.min(dim=0).values, centres.max(dim=0).values
    pad = max(float((hi - lo).max()) * 0.25, 0.5) + margin
    return (float(lo[0]) - pad, float(hi[0]) + pad), (float(lo[1]) - pad, float(hi[1]) + pad)


def ring_centres(k: int = 8, radius: float = 1.0) -> Tensor:
    """k centres on a circle: angles 2*pi*i/k (not linspace(0, 2*pi, k), which repeats one)."""
    angles = torch.arange(k) * 2 * math.pi / k
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (k, 2)


def grid_centres() -> Tensor:
    """The 25 centres {-4, -2, 0, 2, 4}^2."""
    axis = torch.arange(-4.0, 5.0, 2.0)
    return torch.cartesian_prod(axis, axis)  # (25, 2)


def read_idx(path: Path, ndim: int) -> Tensor:
    """An IDX file of unsigned bytes (plain or gzip) as a uint8 tensor of its declared shape."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
        raw = f.read()
    zero, kind, dims_count = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != _IDX_UBYTE or dims_count != ndim:
        raise ValueError(f"{path.name} is not an IDX file of {ndim}-d unsigned bytes")
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if len(raw) - header != math.prod(dims):
        raise ValueError(f"{path.name} is truncated: header says {dims}")
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8, offset=header).view(*dims)


def _load_idx_set(name: str, root: Path) -> ImageSampler:
    raw = raw_dir(name, root)
    images_path, labels_path = (find_idx(raw, stem) for stem in TRAIN_FILES)
    if images_path is None or labels_path is None:
        missing = [stem for stem in TRAIN_FILES if find_idx(raw, stem) is None]
        raise DatasetMissing(
            f"{name}: {', '.join(missing)} not found in the data folder's "
            f"{TORCHVISION_FOLDER[name]}/raw/. Put the standard "
            f"files {', '.join(IDX_FILES)} (plain or .gz) there, or point GANWATCH_DATA_DIR "
            f"or data_dir at the folder holding {TORCHVISION_FOLDER[name]}/raw. "
            "Nothing is downloaded."
        )
    sampler = ImageSampler(name, *_read_pair(name, images_path, labels_path), str(root.resolve()))
    test_images, test_labels = (find_idx(raw, stem) for stem in TEST_FILES)
    if test_images is not None and test_labels is not None:
        sampler.test = _read_pair(name, test_images, test_labels)
    return sampler


def _read_pair(name: str, images_path: Path, labels_path: Path) -> tuple[Tensor, Tensor]:
    images = read_idx(images_path, 3).unsqueeze(1).float() / 127.5 - 1  # (N, 1, 28, 28) in [-1, 1]
    labels = read_idx(labels_path, 1).long()  # (N,)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def _load_digits() -> ImageSampler:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 8 - 1  # (N, 1, 8, 8)
    return ImageSampler("digits", images, torch.tensor(bunch.target, dtype=torch.long))


def _load_image_folder(cfg: DataConfig, root: Path) -> ImageSampler:
    from torchvision import datasets, transforms

    folder = root / cfg.name
    size = cfg.image_size
    loader = datasets.ImageFolder(
        str(folder),
        transform=transforms.Compose(
            [transforms.Resize(size), transforms.CenterCrop(size), transforms.PILToTensor()]
        ),
    )
    if len(loader) == 0:
        raise DatasetMissing(f"{cfg.name}: no images in {folder.name}/'s class folders")
    pixels = torch.stack([image for image, _ in loader])  # (N, 3, S, S) uint8
    gray = cfg.image_channels == "gray" or (
        cfg.image_channels == "auto"
        and bool((pixels[:, 0] == pixels[:, 1]).all() and (pixels[:, 1] == pixels[:, 2]).all())
    )
    if gray:
        pixels = (pixels.float() * torch.tensor([0.299, 0.587, 0.114])[:, None, None]).sum(
            1, keepdim=True
        )  # ITU-R 601 luma, as PIL's convert("L")
    images = pixels.float() / 127.5 - 1
    labels = torch.tensor(loader.targets, dtype=torch.long)
    sampler = ImageSampler(cfg.name, images, labels, str(folder.resolve()))
    sampler.n_classes = len(loader.classes)
    return sampler


def make_sampler(cfg: DataConfig, points: np.ndarray | None = None) -> Sampler:
    """The sampler for ``cfg.name``, or for the (N, dim) ``points`` of a set people brought;
    raises DatasetMissing for absent image files."""
    if points is not None:
        return PointsSampler(cfg.name, torch.from_numpy(np.array(points, dtype=np.float32)))
    std = cfg.mixture_std
    if cfg.name == "gaussian-1d":
        return GaussianSampler(cfg)
    if cfg.name == "ring-8":
        return MixtureSampler(cfg.name, ring_centres(), std or STANDARD_STD["ring-8"])
    if cfg.name == "grid-25":
        return MixtureSampler(cfg.name, grid_centres(), std or STANDARD_STD["grid-25"])
    if cfg.name == "blobs-2d":
        centres = ring_centres(cfg.n_blobs, 1.5) if cfg.n_blobs > 1 else torch.zeros(1, 2)
        return MixtureSampler(cfg.name, centres, std or STANDARD_STD["blobs-2d"])
    if cfg.name == "line-2d":
        return LineSampler(cfg)
    if cfg.name == "spiral-2d":
        return SpiralSampler(cfg)
    if cfg.name == "digits":
        return _load_digits()
    root = resolve_data_dir(cfg.data_dir)
    if cfg.name in TORCHVISION_FOLDER:
        return _load_idx_set(cfg.name, root)
    if has_image_folder(cfg.name, root):
        return _load_image_folder(cfg, root)
    if cfg.name in dataset_plugins():
        sampler: Sampler = build_sampler(cfg.name, cfg.params)
        return sampler
    raise ValueError(
        f"unknown dataset {cfg.name!r}: not built in, no points were given, the data "
        f"folder has no image folder of that name and no dataset plugin has it"
    )
