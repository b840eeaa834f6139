"""Fixtures shared by the gan_core tests."""

import os
import time
from collections.abc import Iterator

import pytest
import torch
from real_mnist import SHARED_DATA, TrainedClassifier

from gan_core.classifier import load_or_train_classifier
from gan_core.config import DataConfig
from gan_core.data import make_sampler


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread: the test machines are small and shared."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def rng() -> torch.Generator:
    """A CPU generator with a fixed seed."""
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def mnist_classifier(tmp_path_factory: pytest.TempPathFactory) -> TrainedClassifier:
    """The classifier of the shared real MNIST files, trained on every core as `ganwatch
    classifier` trains it; its cache serves the runs that score generated digits."""
    cache_dir = tmp_path_factory.mktemp("mnist-classifier")
    sampler = make_sampler(DataConfig("mnist", data_dir=str(SHARED_DATA)))
    torch.set_num_threads(os.cpu_count() or 1)
    start = time.monotonic()
    model = load_or_train_classifier(sampler, cache_dir, torch.device("cpu"))
    seconds = time.monotonic() - start
    torch.set_num_threads(1)
    return TrainedClassifier(sampler, model, cache_dir, seconds)
