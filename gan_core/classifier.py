"""Image-set quality from a small classifier trained on the real images.

Per-class coverage (which digits G draws), a classifier-based inception score
exp(E_x KL(p(y|x) || p(y))) in [1, n_classes], and a Frechet distance between
the classifier's penultimate features of generated and real images. The
classifier is trained on first use and cached in the caller's ``cache_dir``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_core.data import Sampler

COVERED_FRACTION = 0.01  # a class is covered when >= 1% of the samples are predicted as it


class DigitClassifier(nn.Module):
    """Two conv blocks and a small head, for (1, H, W) images of any size >= 8."""

    def __init__(self, n_classes: int = 10, features: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 32, H/2, W/2)
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),  # (B, 64, 2, 2)
            nn.Flatten(),
            nn.Linear(256, features),
            nn.ReLU(),  # (B, features)
        )
        self.head = nn.Linear(features, n_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


def load_or_train_classifier(
    sampler: Sampler,
    cache_dir: Path | None,
    device: torch.device,
    *,
    seed: int = 0,
    max_seconds: float = 60.0,
    epochs: int = 3,
) -> DigitClassifier:
    """The classifier for ``sampler``'s images, from the cache or trained now (bounded time)."""
    images, labels = sampler.labelled()
    n_classes = sampler.n_classes or int(labels.max()) + 1
    model = DigitClassifier(n_classes)
    path = None
    if cache_dir is not None:
        size = "x".join(str(s) for s in images.shape[1:])
        path = Path(cache_dir) / f"classifier-{sampler.name}-{size}.pt"
        if path.is_file():
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            return model.to(device).eval()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    deadline = time.monotonic() + max_seconds
    images, labels = images.to(device), labels.to(device)
    with torch.enable_grad():  # callers may evaluate under no_grad
        for _ in range(epochs):
            order = torch.randperm(images.shape[0], generator=gen).to(device)
            for batch in order.split(128):
                loss = F.cross_entropy(model(images[batch]), labels[batch])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if time.monotonic() > deadline:
                    break
    model.eval()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
    return model


@dataclass
class ImageQuality:
    class_coverage: list[float]
    classes_covered: int
    score: float
    frechet: float


def _frechet(a: Tensor, b: Tensor) -> float:
    """Frechet distance between Gaussians fitted to feature sets a (N, f) and b (M, f)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr sqrt(cov_a cov_b) from the eigenvalues of the product (real and >= 0 in theory).
    eig = torch.linalg.eigvals(cov_a @ cov_b).real.clamp(min=0)
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * eig.sqrt().sum())


@torch.no_grad()
def image_quality(classifier: nn.Module, fake: Tensor, real: Tensor) -> ImageQuality:
    """Coverage per class, inception-style score and Frechet distance of ``fake`` vs ``real``."""
    assert isinstance(classifier, DigitClassifier)
    device = next(classifier.parameters()).device
    fake, real = fake.to(device).float(), real.to(device).float()
    feats_fake = classifier.features(fake)  # (N, f)
    probs = F.softmax(classifier.head(feats_fake), dim=1).double()  # (N, C)
    coverage = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).double() / probs.shape[0]
    marginal = probs.mean(0, keepdim=True)
    kl = (probs * ((probs + 1e-12).log() - (marginal + 1e-12).log())).sum(1).mean()
    return ImageQuality(
        class_coverage=[round(float(c), 4) for c in coverage],
        classes_covered=int((coverage >= COVERED_FRACTION).sum()),
        score=float(kl.exp()),
        frechet=_frechet(feats_fake.double(), classifier.features(real).double()),
    )
