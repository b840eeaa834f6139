"""The shared real MNIST files, when this machine has them, and the classifier trained on them."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from gan_core.classifier import ImageClassifier
from gan_core.data import Sampler

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_real_mnist = pytest.mark.skipif(
    not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason="no real MNIST files in ../shared/data"
)


@dataclass(frozen=True)
class TrainedClassifier:
    """The MNIST classifier trained once for the session: where it is cached and how long
    training took."""

    sampler: Sampler
    model: ImageClassifier
    cache_dir: Path
    seconds: float
