"""Image-set quality from a small classifier trained on the real images.

- ``class_coverage``: the fraction of generated images whose most likely class is c, per class.
- ``classes_covered``: classes that at least ``COVERED_FRACTION`` (1%) of the generated images
  fall to *confidently*, i.e. with the classifier's top probability >= ``CONFIDENT`` (0.5).
  Noise and blurry blends that the classifier cannot name cover nothing.
- ``score``: the classifier-based inception score exp(E_x KL(p(y|x) || p(y))), from 1 (one class,
  or no confident prediction) to n_classes (confident and balanced).
- ``frechet``: the Frechet distance between Gaussians fitted to the classifier's penultimate
  features of generated and real images (FID with this classifier instead of Inception).

The classifier trains on first use for a bounded time (three epochs of MNIST, about 1.5
minutes on 2 CPU cores) and is cached in the caller's directory, with its accuracy on the
set's test split when the set has one (a JSON file beside the weights).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_core.data import Sampler

COVERED_FRACTION = 0.01
CONFIDENT = 0.5
MIN_TRAIN_IMAGES = 30_000  # small sets are repeated up to this many draws
EPOCHS = 3  # over a large set: 99.4 % on MNIST's test split
BATCH = 128
MAX_LR = 3e-3  # the peak of the one-cycle schedule
MAX_SECONDS = 240.0  # training stops here whatever it reached (a slow machine)
REAL_SCORE_IMAGES = 10_000  # the real data's score is over this many test images
_VERSION = 2  # part of the cache file name: bump when the architecture changes


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


class ImageClassifier(nn.Module):
    """Three conv blocks with batch norm and max pooling, and a small head, for (C, H, W)
    images with H, W >= 8."""

    def __init__(self, n_classes: int = 10, n_features: int = 128, in_channels: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_block(in_channels, 16),
            nn.MaxPool2d(2),  # (B, 16, H/2, W/2)
            *_block(16, 32),
            nn.MaxPool2d(2),  # (B, 32, H/4, W/4)
            *_block(32, 64),
            nn.AdaptiveMaxPool2d(2),
            nn.Flatten(),  # (B, 256)
            nn.Linear(256, n_features),
            nn.ReLU(),  # (B, n_features)
        )
        self.head = nn.Linear(n_features, n_classes)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features (B, n_features) of images (B, C, H, W)."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))  # (B, n_classes) logits


def cache_path(sampler: Sampler, cache_dir: Path) -> Path:
    """Where the classifier for ``sampler``'s images is cached."""
    shape = "x".join(str(s) for s in sampler.sample_shape)
    source = sampler.source
    tag = f"-{hashlib.sha256(source.encode()).hexdigest()[:12]}" if source else ""
    return Path(cache_dir) / f"classifier-v{_VERSION}-{sampler.name}-{shape}{tag}.pt"


def cached_accuracy(sampler: Sampler, cache_dir: Path) -> float | None:
    """The cached classifier's accuracy on the set's test split (None: not known)."""
    report = cache_path(sampler, cache_dir).with_suffix(".json")
    if not report.is_file():
        return None
    value = json.loads(report.read_text()).get("test_accuracy")
    return None if value is None else float(value)


@torch.no_grad()
def accuracy(model: nn.Module, images: Tensor, labels: Tensor) -> float:
    """Fraction of ``images`` (N, C, H, W) whose most likely class is their label."""
    device = next(model.parameters()).device
    hits = sum(
        int((model(x.to(device)).argmax(1) == y.to(device)).sum())
        for x, y in zip(images.split(1000), labels.split(1000), strict=True)
    )
    return hits / len(labels)


def load_or_train_classifier(
    sampler: Sampler,
    cache_dir: Path | None,
    device: torch.device,
    *,
    seed: int = 0,
    max_seconds: float = MAX_SECONDS,
) -> ImageClassifier:
    """The classifier for ``sampler``'s images (in eval mode, on ``device``).

    Loaded from ``cache_dir`` when cached there, else trained with Adam on a one-cycle
    schedule for ``EPOCHS`` epochs or ``MIN_TRAIN_IMAGES`` draws, whichever is more,
    stopped early after ``max_seconds``, then cached (whatever was reached, so that later
    runs start at once) with its test accuracy when the sampler has a test split.
    """
    n_classes = sampler.n_classes or 10
    path = cache_path(sampler, cache_dir) if cache_dir is not None else None
    # The global RNG is forked so that training here never shifts the caller's random stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ImageClassifier(n_classes, in_channels=sampler.sample_shape[0])
    if path is not None and path.is_file():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.to(device).eval()
    model.to(device)
    _train(model, sampler, device, seed, max_seconds)
    model.eval()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: concurrent runs may train the same classifier at the same time.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
        test = sampler.test_split()
        score = None if test is None else accuracy(model, *test)
        path.with_suffix(".json").write_text(json.dumps({"test_accuracy": score}))
    return model


def _train(
    model: ImageClassifier, sampler: Sampler, device: torch.device, seed: int, max_seconds: float
) -> None:
    images, labels = sampler.labelled()
    images, labels = images.to(device), labels.to(device)  # (N, C, H, W), (N,)
    n = images.shape[0]
    epochs = max(EPOCHS, math.ceil(MIN_TRAIN_IMAGES / n))
    gen = torch.Generator(device=device).manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=MAX_LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=MAX_LR, total_steps=epochs * math.ceil(n / BATCH)
    )
    deadline = time.monotonic() + max_seconds
    model.train()
    with torch.enable_grad():  # callers may evaluate under no_grad
        for _ in range(epochs):
            for batch in torch.randperm(n, generator=gen, device=device).split(BATCH):
                x = images[batch]  # (B, C, H, W)
                noise_shape = (max(1, len(x) // 4), *x.shape[1:])
                noise = torch.rand(noise_shape, generator=gen, device=device) * 2 - 1
                logits = model(torch.cat([x, noise]))  # (B + B/4, C)
                # Outlier exposure: noise is pushed to a uniform prediction, so that images
                # the classifier cannot name get low confidence instead of an arbitrary class.
                loss = F.cross_entropy(logits[: len(x)], labels[batch])
                loss = loss - F.log_softmax(logits[len(x) :], dim=1).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                schedule.step()
                if time.monotonic() > deadline:
                    return


@dataclass
class ImageQuality:
    class_coverage: list[float]
    classes_covered: int
    score: float
    frechet: float


def frechet_distance(a: Tensor, b: Tensor) -> float:
    """Frechet distance between Gaussians fitted to feature sets a (N, f) and b (M, f).

    ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)), where Tr (C_a C_b)^(1/2) is the sum
    of the square roots of the eigenvalues of the symmetric C_a^(1/2) C_b C_a^(1/2).
    """
    a, b = a.double(), b.double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)  # (f, f)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    mean_term = (a.mean(0) - b.mean(0)).pow(2).sum()
    # Rounding can leave a tiny negative value for identical sets.
    return max(0.0, float(mean_term + cov_a.trace() + cov_b.trace() - 2 * cross))


@torch.no_grad()
def image_quality(classifier: nn.Module, fake: Tensor, real: Tensor) -> ImageQuality:
    """Per-class coverage, inception-style score and Frechet distance of ``fake`` vs ``real``.

    ``fake`` (N, C, H, W) and ``real`` (M, C, H, W) are in [-1, 1]; see the module docstring.
    """
    classifier = _checked(classifier)
    device = next(classifier.parameters()).device
    fake, real = fake.to(device, torch.float32), real.to(device, torch.float32)
    if not torch.isfinite(fake).all():
        n_classes = classifier.head.out_features
        return ImageQuality([0.0] * n_classes, 0, 1.0, math.inf)
    feats_fake = _features(classifier, fake)  # (N, f)
    log_p = F.log_softmax(classifier.head(feats_fake).double(), dim=1)  # (N, C)
    p = log_p.exp()
    top_p, top = p.max(dim=1)
    n_classes = p.shape[1]
    coverage = torch.bincount(top, minlength=n_classes).double() / p.shape[0]
    confident = torch.bincount(top[top_p >= CONFIDENT], minlength=n_classes).double() / p.shape[0]
    return ImageQuality(
        class_coverage=[float(c) for c in coverage],
        classes_covered=int((confident >= COVERED_FRACTION).sum()),
        score=_score(log_p),
        frechet=frechet_distance(feats_fake, _features(classifier, real)),
    )


@torch.no_grad()
def class_score(classifier: nn.Module, images: Tensor) -> float:
    """The inception-style score of ``images`` (N, C, H, W) alone, without a Frechet distance."""
    classifier = _checked(classifier)
    images = images.to(next(classifier.parameters()).device, torch.float32)
    return _score(F.log_softmax(classifier.head(_features(classifier, images)).double(), dim=1))


def _checked(classifier: nn.Module) -> ImageClassifier:
    if not isinstance(classifier, ImageClassifier):
        raise TypeError("image quality needs the classifier from load_or_train_classifier")
    return classifier


def _score(log_p: Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))) of log-probabilities (N, C)."""
    p = log_p.exp()
    log_marginal = p.mean(0).clamp(min=1e-30).log()  # (C,)
    return float((p * (log_p - log_marginal)).sum(dim=1).mean().exp())


def _features(classifier: ImageClassifier, images: Tensor) -> Tensor:
    """The classifier's features of ``images``, a thousand at a time (bounded memory)."""
    return torch.cat([classifier.features(chunk) for chunk in images.split(1000)])


def held_out_images(sampler: Sampler, n: int = REAL_SCORE_IMAGES) -> Tensor:
    """The real images a set's own score is taken over: the first ``n`` of its test split,
    or of its training images when it has no test split."""
    test = sampler.test_split()
    return (test[0] if test is not None else sampler.labelled()[0])[:n]


def real_figures(
    classifier: ImageClassifier, sampler: Sampler, n: int = REAL_SCORE_IMAGES
) -> dict[str, float]:
    """The real data's own figures, the ceiling a generator is measured against: the score
    of ``n`` held-out images (:func:`held_out_images`) and their Frechet distance to ``n``
    training images."""
    images, _ = sampler.labelled()
    gen = torch.Generator().manual_seed(0)
    train = images[torch.randperm(images.shape[0], generator=gen)[:n]]
    quality = image_quality(classifier, held_out_images(sampler, n), train)
    return {"real_score": quality.score, "real_frechet": quality.frechet}
