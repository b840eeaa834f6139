"""Real-data samplers: geometry, determinism, image sets from IDX files, the catalog."""

import gzip
import math
import shutil
import struct
from pathlib import Path

import pytest
import torch
from real_mnist import SHARED_DATA, needs_real_mnist

from gan_core.catalog import IDX_FILES, dataset_catalog
from gan_core.config import BUILTIN_DATASETS, DataConfig
from gan_core.data import (
    DatasetMissing,
    make_sampler,
    read_idx,
)

TOY = ["gaussian-1d", "line-2d", "blobs-2d", "ring-8", "grid-25", "spiral-2d"]


def draw(cfg: DataConfig, n: int = 2000) -> torch.Tensor:
    return make_sampler(cfg).sample(n, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", TOY + ["digits"])
def test_samples_have_the_declared_shape_dtype_and_are_reproducible(name: str) -> None:
    sampler = make_sampler(DataConfig(name, dim=3))
    a = sampler.sample(64, torch.Generator().manual_seed(1))
    b = sampler.sample(64, torch.Generator().manual_seed(1))
    c = sampler.sample(64, torch.Generator().manual_seed(2))
    assert a.shape == (64, *sampler.sample_shape) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_ring_8_has_eight_distinct_modes_on_the_unit_circle_with_sigma_001() -> None:
    sampler = make_sampler(DataConfig("ring-8"))
    centres = sampler.centres
    assert centres is not None and centres.shape == (8, 2)
    assert torch.allclose(centres.norm(dim=1), torch.ones(8))
    assert torch.allclose(centres[0], torch.tensor([1.0, 0.0]))
    # 45 degrees between neighbours: no mode repeated, as linspace(0, 2*pi, 8) would.
    assert torch.cdist(centres, centres).add(torch.eye(8) * 9).min() == pytest.approx(
        2 * math.sin(math.pi / 8), abs=1e-6
    )
    assert sampler.sigma == 0.01 and sampler.scale == pytest.approx(1.0)
    x = sampler.sample(4000, torch.Generator().manual_seed(0))
    dist, nearest = torch.cdist(x, centres).min(dim=1)
    assert dist.max() < 6 * 0.01 and nearest.unique().numel() == 8
    assert x.sub(centres[nearest]).std().item() == pytest.approx(0.01, rel=0.1)


def test_grid_25_means_sigma_scale_and_mixture_std_override() -> None:
    sampler = make_sampler(DataConfig("grid-25"))
    assert sampler.centres is not None
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(int(v) for v in c) for c in sampler.centres} == expected
    assert sampler.sigma == 0.05 and sampler.scale == 4.0
    wide = make_sampler(DataConfig("grid-25", mixture_std=0.3))
    assert wide.sigma == 0.3
    x = wide.sample(5000, torch.Generator().manual_seed(0))
    assert x.sub(x.div(2).round().mul(2)).std().item() == pytest.approx(0.3, rel=0.05)


def test_blobs_sit_on_a_circle_of_radius_1_5_and_a_single_blob_at_the_origin() -> None:
    five = make_sampler(DataConfig("blobs-2d", n_blobs=5))
    assert five.centres is not None and five.centres.shape == (5, 2)
    assert torch.allclose(five.centres.norm(dim=1), torch.full((5,), 1.5))
    assert five.sigma == 0.1 and five.scale == pytest.approx(1.5)
    one = make_sampler(DataConfig("blobs-2d", n_blobs=1))
    assert one.centres is not None and torch.equal(one.centres, torch.zeros(1, 2))
    assert one.scale == 1.0
    assert draw(DataConfig("blobs-2d", n_blobs=1)).mean(0).abs().max() < 0.01


def test_gaussian_1d_matches_mean_std_and_scale_brings_it_to_unit_range() -> None:
    sampler = make_sampler(DataConfig("gaussian-1d", dim=4, mean=-3.0, std=0.5))
    x = sampler.sample(20000, torch.Generator().manual_seed(0))
    assert x.shape == (20000, 4)
    assert x.mean().item() == pytest.approx(-3.0, abs=0.01)
    assert x.std().item() == pytest.approx(0.5, rel=0.02)
    assert (x / sampler.scale).abs().quantile(0.99) < 1.0
    assert sampler.centres is None and sampler.bounds is None


def test_line_2d_points_lie_near_the_documented_segment() -> None:
    x = draw(DataConfig("line-2d"))
    # Segment from (-1, -0.5) to (1, 0.5): y = x / 2.
    assert (x[:, 1] - x[:, 0] / 2).abs().max() < 0.15
    assert x[:, 0].min() < -0.9 and x[:, 0].max() > 0.9 and x[:, 0].abs().max() < 1.1


def test_spiral_radius_grows_with_the_angle() -> None:
    x = draw(DataConfig("spiral-2d"), n=4000)
    r = x.norm(dim=1)
    assert r.min() < 0.35 and 1.8 < r.max() < 2.2
    assert torch.corrcoef(torch.stack([r, x[:, 0].abs() + x[:, 1].abs()]))[0, 1] > 0.9


@pytest.mark.parametrize("name", ["line-2d", "blobs-2d", "ring-8", "grid-25", "spiral-2d"])
def test_heat_map_bounds_cover_the_2d_data(name: str) -> None:
    sampler = make_sampler(DataConfig(name))
    assert sampler.bounds is not None
    (x0, x1), (y0, y1) = sampler.bounds
    x = draw(DataConfig(name))
    assert x0 < x[:, 0].min() and x[:, 0].max() < x1
    assert y0 < x[:, 1].min() and x[:, 1].max() < y1


def test_to_moves_the_internal_tensors() -> None:
    sampler = make_sampler(DataConfig("ring-8")).to(torch.device("meta"))
    assert sampler.centres is not None and sampler.centres.device.type == "meta"


def test_digits_are_1797_labelled_8x8_images_in_minus_one_one() -> None:
    sampler = make_sampler(DataConfig("digits"))
    images, labels = sampler.labelled()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.dtype == torch.int64 and set(labels.tolist()) == set(range(10))
    assert sampler.sample_shape == (1, 8, 8) and sampler.n_classes == 10 and sampler.scale == 1.0


def test_toy_sets_have_no_labelled_images() -> None:
    with pytest.raises(TypeError):
        make_sampler(DataConfig("ring-8")).labelled()


def write_idx(path: Path, array: torch.Tensor, magic: int) -> None:
    """An IDX file of unsigned bytes: big-endian magic, dims, then the raw bytes."""
    header = struct.pack(">I", magic) + struct.pack(f">{array.dim()}I", *array.shape)
    payload = header + array.to(torch.uint8).numpy().tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def write_set(
    root: Path, folder: str, suffix: str, n: int = 12
) -> tuple[torch.Tensor, torch.Tensor]:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    images = torch.arange(n * 28 * 28).reshape(n, 28, 28) % 256
    labels = torch.arange(n) % 10
    for split in ("train", "t10k"):
        write_idx(raw / f"{split}-images-idx3-ubyte{suffix}", images, 2051)
        write_idx(raw / f"{split}-labels-idx1-ubyte{suffix}", labels, 2049)
    return images, labels


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_sets_load_from_torchvision_layout(
    tmp_path: Path, name: str, folder: str, suffix: str
) -> None:
    images, labels = write_set(tmp_path, folder, suffix)
    sampler = make_sampler(DataConfig(name, data_dir=str(tmp_path)))
    got, got_labels = sampler.labelled()
    assert got.shape == (12, 1, 28, 28) and sampler.sample_shape == (1, 28, 28)
    assert torch.equal(got_labels, labels) and sampler.n_classes == 10
    assert torch.allclose(got[:, 0], images.float() / 127.5 - 1)
    assert got.min() == -1.0 and got.max() == 1.0
    batch = sampler.sample(5, torch.Generator().manual_seed(0))
    # Every drawn image is one of the set's images.
    assert (torch.cdist(batch.flatten(1), got.flatten(1)).min(dim=1).values == 0).all()


def test_data_dir_comes_from_the_environment_when_the_config_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_set(tmp_path, "MNIST", ".gz")
    monkeypatch.setenv("GANWATCH_DATA_DIR", str(tmp_path))
    assert make_sampler(DataConfig("mnist")).labelled()[0].shape[0] == 12


def test_missing_files_raise_dataset_missing_naming_the_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing) as info:
        make_sampler(DataConfig("fashion-mnist", data_dir=str(tmp_path)))
    message = str(info.value)
    assert "FashionMNIST/raw/" in message and str(tmp_path) not in message
    assert all(name in message for name in IDX_FILES)
    assert isinstance(info.value, FileNotFoundError)


def test_a_file_with_a_wrong_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, torch.arange(4), 2049)
    with pytest.raises(ValueError, match="IDX"):
        read_idx(path, 3)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path, 1)


def test_catalog_lists_every_dataset_and_whether_its_files_are_present(tmp_path: Path) -> None:
    before = {d["name"]: d for d in dataset_catalog(str(tmp_path))}
    assert set(before) == set(BUILTIN_DATASETS)
    assert before["ring-8"]["kind"] == "2d" and before["ring-8"]["available"]
    assert before["gaussian-1d"]["kind"] == "1d"
    assert before["digits"]["kind"] == "image" and before["digits"]["available"]
    assert before["mnist"]["sample_shape"] == [1, 28, 28] and not before["mnist"]["available"]
    assert before["mnist"]["files_dir"] == str((tmp_path / "MNIST" / "raw").resolve())
    assert before["mnist"]["files"] == list(IDX_FILES)
    write_set(tmp_path, "MNIST", "")
    after = {d["name"]: d for d in dataset_catalog(str(tmp_path))}
    assert after["mnist"]["available"] and not after["fashion-mnist"]["available"]


@needs_real_mnist
def test_real_mnist_files_load(tmp_path: Path) -> None:
    shutil.copytree(SHARED_DATA / "MNIST" / "raw", tmp_path / "MNIST" / "raw")
    sampler = make_sampler(DataConfig("mnist", data_dir=str(tmp_path)))
    images, labels = sampler.labelled()
    assert images.shape == (60000, 1, 28, 28)
    assert images.min() == -1.0 and images.max() == 1.0
    assert torch.bincount(labels).tolist()[:2] == [5923, 6742]  # the standard class counts
