"""The image classifier and the image-set quality figures it gives, on the digits set."""

import json
from pathlib import Path

import pytest
import torch
from real_mnist import TrainedClassifier, needs_real_mnist
from test_data import write_set
from torch import nn

from gan_core import classifier as classifier_module
from gan_core.classifier import (
    ImageClassifier,
    cache_path,
    cached_accuracy,
    frechet_distance,
    image_quality,
    load_or_train_classifier,
    real_figures,
)
from gan_core.cli import main as cli_main
from gan_core.config import DataConfig
from gan_core.data import ImageSampler, Sampler, make_sampler

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def digits() -> Sampler:
    return make_sampler(DataConfig("digits"))


@pytest.fixture(scope="module")
def trained(digits: Sampler) -> ImageClassifier:
    return load_or_train_classifier(digits, None, CPU, max_seconds=60)


def accuracy(model: nn.Module, sampler: Sampler) -> float:
    images, labels = sampler.labelled()
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).double().mean().item()


def test_training_stops_at_max_seconds(digits: Sampler, trained: ImageClassifier) -> None:
    # With no time at all it takes a single step, far from the fully trained classifier.
    assert accuracy(load_or_train_classifier(digits, None, CPU, max_seconds=0), digits) < 0.5
    assert accuracy(trained, digits) > 0.98


def test_real_digits_cover_all_ten_classes_and_score_above_8(
    digits: Sampler, trained: ImageClassifier
) -> None:
    images, labels = digits.labelled()
    q = image_quality(trained, images, images)
    assert q.classes_covered == 10 and q.score > 8
    assert sum(q.class_coverage) == pytest.approx(1.0)
    expected = torch.bincount(labels).double() / len(labels)
    assert q.class_coverage == pytest.approx(expected.tolist(), abs=0.01)
    assert q.frechet == pytest.approx(0.0, abs=1e-6)


def test_one_repeated_digit_covers_one_class_and_scores_1(
    digits: Sampler, trained: ImageClassifier
) -> None:
    images, labels = digits.labelled()
    sevens = images[labels == 7][:1].repeat(300, 1, 1, 1)
    q = image_quality(trained, sevens, images)
    assert q.classes_covered == 1 and q.class_coverage[7] == 1.0
    assert q.score == pytest.approx(1.0, abs=1e-6)
    halves = image_quality(trained, images[::2], images[1::2])
    assert q.frechet > 10 * halves.frechet


def test_noise_gets_low_confidence_and_covers_nothing(
    digits: Sampler, trained: ImageClassifier, rng: torch.Generator
) -> None:
    images, _ = digits.labelled()
    noise = torch.rand(300, 1, 8, 8, generator=rng) * 2 - 1
    with torch.no_grad():
        top = torch.softmax(trained(noise), dim=1).max(dim=1).values  # (300,)
    assert top.mean() < 0.5
    q = image_quality(trained, noise, images)
    assert q.classes_covered == 0 and q.score < 2
    assert image_quality(trained, torch.full_like(noise, torch.nan), images).frechet == float("inf")


def test_frechet_distance_known_answer(rng: torch.Generator) -> None:
    a = torch.randn(2000, 3, generator=rng)
    shift = torch.tensor([1.0, 2.0, 0.0])
    b = 2 * a + shift
    # C_b = 4 C_a, so Tr(C_a + C_b - 2 (C_a C_b)^1/2) = Tr C_a; mean_b - mean_a = mean_a + shift.
    expected = (b.mean(0) - a.mean(0)).pow(2).sum() + torch.cov(a.T.double()).trace()
    assert frechet_distance(a, b) == pytest.approx(float(expected), rel=1e-6)


def test_image_quality_needs_the_image_classifier(digits: Sampler) -> None:
    images, _ = digits.labelled()
    with pytest.raises(TypeError):
        image_quality(nn.Linear(64, 10), images, images)


def test_classifier_is_cached_per_set_and_shape_and_reloaded_without_training(
    digits: Sampler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = digits.labelled()
    small = ImageSampler("digits", images[:64], labels[:64])
    first = load_or_train_classifier(small, tmp_path, CPU, max_seconds=0.2)
    path = cache_path(small, tmp_path)
    assert path.name == "classifier-v2-digits-1x8x8.pt" and path.is_file()
    assert sorted(tmp_path.iterdir()) == [path.with_suffix(".json"), path]
    assert cached_accuracy(small, tmp_path) is None  # digits has no test split

    def no_training(*args: object) -> None:
        raise AssertionError("trained again despite the cache")

    monkeypatch.setattr(classifier_module, "_train", no_training)
    again = load_or_train_classifier(small, tmp_path, CPU)
    assert not again.training
    for key, value in first.state_dict().items():
        assert torch.equal(value, again.state_dict()[key])


def test_training_leaves_the_global_rng_alone(digits: Sampler) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_or_train_classifier(digits, None, CPU, max_seconds=0.1)
    assert torch.equal(torch.rand(3), expected)


@needs_real_mnist
def test_the_mnist_classifier_reaches_99_percent_and_real_images_score_9_7(
    mnist_classifier: TrainedClassifier,
) -> None:
    assert cached_accuracy(mnist_classifier.sampler, mnist_classifier.cache_dir) is not None
    assert cached_accuracy(mnist_classifier.sampler, mnist_classifier.cache_dir) >= 0.99
    figures = real_figures(mnist_classifier.model, mnist_classifier.sampler)
    assert figures["real_score"] >= 9.7
    assert figures["real_frechet"] < 2.0
    assert mnist_classifier.seconds < 240


def test_the_classifier_command_prints_one_json_line_and_caches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_set(tmp_path / "data", "MNIST", ".gz", n=40)
    argv = ["classifier", "--dataset", "mnist", "--data-dir", str(tmp_path / "data")]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--max-seconds", "0.5"]
    assert cli_main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert set(first) == {
        "dataset", "cached", "test_accuracy", "real_score", "real_frechet", "seconds"
    }  # fmt: skip
    assert first["dataset"] == "mnist" and first["cached"] is False
    assert 0.0 <= first["test_accuracy"] <= 1.0 and first["real_score"] >= 1.0
    assert cli_main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] is True and again["test_accuracy"] == first["test_accuracy"]


def test_the_classifier_command_names_missing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["classifier", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path)]
    assert cli_main(argv + ["--cache-dir", str(tmp_path / "cache")]) == 2
    assert "FashionMNIST/raw" in capsys.readouterr().err
