"""Image folders: listed without torch, read with torchvision, trained by the DCGAN pair."""

from __future__ import annotations

import base64
import io
from itertools import islice
from pathlib import Path

import pytest
import torch
from PIL import Image

from gan_core.catalog import has_image_folder, image_folders
from gan_core.config import DataConfig, RunConfig
from gan_core.data import make_sampler
from gan_core.events import QualityEvent, SamplesEvent
from gan_core.trainer import Trainer


def test_folders_are_listed_by_name_and_other_folders_are_not(
    tmp_path: Path, make_image_folder
) -> None:
    make_image_folder(tmp_path, "photos", classes=3, per_class=5)
    make_image_folder(tmp_path, "scans", classes=1, per_class=4, mode="L")
    make_image_folder(tmp_path, "MNIST", classes=1, per_class=2)  # torchvision's, not a slug
    make_image_folder(tmp_path, "ring-8", classes=1, per_class=2)  # a built-in set's name
    (tmp_path / "empty" / "class-0").mkdir(parents=True)
    (tmp_path / "notes" / "a").mkdir(parents=True)
    (tmp_path / "notes" / "a" / "readme.txt").write_text("not an image")
    listed = {entry["name"]: entry for entry in image_folders(str(tmp_path))}
    assert sorted(listed) == ["photos", "scans"]
    photos, scans = listed["photos"], listed["scans"]
    assert (photos["kind"], photos["count"], photos["classes"]) == (
        "image",
        15,
        ["class-0", "class-1", "class-2"],
    )
    assert photos["channels"] == "rgb" and photos["sample_shape"] == [3, 32, 32]
    assert scans["channels"] == "gray" and scans["sample_shape"] == [1, 32, 32]
    assert has_image_folder("photos", tmp_path) and not has_image_folder("empty", tmp_path)
    assert not has_image_folder("../photos", tmp_path)


@pytest.mark.parametrize(
    ("mode", "channels", "size", "expected"),
    [
        ("RGB", "auto", 32, 3),
        ("RGB", "gray", 28, 1),
        ("L", "auto", 64, 1),
        ("L", "rgb", 32, 3),
    ],
)
def test_a_folder_is_read_resized_and_labelled(
    tmp_path: Path, make_image_folder, mode: str, channels: str, size: int, expected: int
) -> None:
    make_image_folder(tmp_path, "set", classes=2, per_class=6, mode=mode)
    cfg = DataConfig("set", data_dir=str(tmp_path), image_size=size, image_channels=channels)
    sampler = make_sampler(cfg)
    images, labels = sampler.labelled()
    assert sampler.sample_shape == (expected, size, size) and sampler.n_classes == 2
    assert images.shape == (12, expected, size, size)
    assert labels.tolist() == [0] * 6 + [1] * 6
    assert -1 <= images.min() < images.max() <= 1
    if mode == "RGB" and expected == 3:  # class 0 is red, class 1 blue
        red, blue = images[labels == 0].mean((0, 2, 3)), images[labels == 1].mean((0, 2, 3))
        assert red[0] > red[2] and blue[2] > blue[0]


def test_an_unknown_name_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no image folder of that name"):
        make_sampler(DataConfig("nowhere", data_dir=str(tmp_path)))


def test_a_dcgan_trains_on_an_rgb_folder_with_classifier_figures(
    tmp_path: Path, make_image_folder
) -> None:
    make_image_folder(tmp_path / "data", "colours", classes=2, per_class=20)
    config = RunConfig(
        dataset="colours",
        data_dir=str(tmp_path / "data"),
        model="dcgan",
        latent_dim=16,
        g_hidden=8,
        d_hidden=8,
        batch_size=16,
        steps=30,
        samples_every=30,
        quality_every=30,
        checkpoint_every=0,
    )
    trainer = Trainer(config, cache_dir=tmp_path / "cache")
    events = list(islice(trainer.events(), 500))
    grids = [e for e in events if isinstance(e, SamplesEvent) and e.image_png]
    picture = Image.open(io.BytesIO(base64.b64decode(grids[-1].image_png or "")))
    side = 2 * (8 * (32 + 2) + 2)  # 8 x 8 images of 32 pixels, padded by 2, drawn at 2x
    assert picture.mode == "RGB" and picture.size == (side, side)
    quality = [e for e in events if isinstance(e, QualityEvent)][-1]
    assert quality.step == 30 and quality.distance is not None and quality.distance > 0
    assert quality.class_coverage is not None and len(quality.class_coverage) == 2
    assert quality.score is not None and 1 <= quality.score <= 2
    assert quality.real_score is not None and quality.real_score > 1.5  # two classes, sure
    assert quality.real_distance is not None and quality.real_distance < quality.distance
    assert torch.isfinite(trainer.nets.g(torch.randn(2, 16))).all()


def test_a_one_class_folder_gets_a_distance_and_no_classifier(
    tmp_path: Path, make_image_folder
) -> None:
    make_image_folder(tmp_path, "faces", classes=1, per_class=10)
    config = RunConfig(
        dataset="faces",
        data_dir=str(tmp_path),
        model="dcgan",
        image_size=28,
        latent_dim=8,
        g_hidden=8,
        d_hidden=8,
        batch_size=8,
        steps=5,
        quality_every=5,
        checkpoint_every=0,
    )
    events = list(islice(Trainer(config, cache_dir=tmp_path / "cache").events(), 200))
    quality = [e for e in events if isinstance(e, QualityEvent)][-1]
    assert quality.distance is not None and quality.distance > 0
    assert quality.score is None and quality.class_coverage is None
    assert not list((tmp_path / "cache").glob("classifier-*"))
