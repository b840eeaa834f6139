"""Image grids and quality events: what the generator produces, and how good it is.

Both draw on fixed evaluation batches (noise and real data) from their own RNG, so
successive frames are comparable (as pytorch/examples' dcgan does with ``fixed_noise``).
The live view of 1-D and 2-D runs (gan_core.liveview) shares those batches.
"""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor, nn

from gan_core.classifier import (
    ImageQuality,
    class_score,
    held_out_images,
    image_quality,
    load_or_train_classifier,
)
from gan_core.config import RunConfig
from gan_core.data import Sampler
from gan_core.events import QualityEvent, ReferenceEvent, SamplesEvent
from gan_core.metrics import mode_stats, sliced_wasserstein, spread_ratio
from gan_core.models import latent_codes, sample_latent

QUALITY_SAMPLES = 2500  # VEEGAN / PacGAN draw 2 500 samples for mode coverage
IMAGE_QUALITY_SAMPLES = 1000
GRID_IMAGES = 64


def png_grid(images: Tensor) -> str:
    """Base64 PNG of a grid of (N, C, H, W) images in [-1, 1], C = 1 (gray) or 3 (RGB);
    images under 64 pixels a side are drawn at twice their size."""
    # torchvision costs 1.6 s of import: only image runs, which need it, pay it.
    from torchvision.utils import make_grid

    grid = make_grid(images.float().cpu(), nrow=8, normalize=True, value_range=(-1, 1), pad_value=1)
    pixels = (grid * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (H', W', 3)
    picture = Image.fromarray(pixels[:, :, 0] if images.shape[1] == 1 else pixels)
    if images.shape[-1] < 64:
        size = (pixels.shape[1] * 2, pixels.shape[0] * 2)
        picture = picture.resize(size, Image.Resampling.NEAREST)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Snapshots:
    """Builds samples and quality events for one run."""

    def __init__(
        self, config: RunConfig, sampler: Sampler, device: torch.device, cache_dir: Path | None
    ) -> None:
        self.config = config
        self.sampler = sampler
        self.device = device
        self.cache_dir = cache_dir
        self._classifier: nn.Module | None = None
        self._real: ImageQuality | None = None  # held-out real images' figures, the ceiling
        # Evaluation draws from its own generator so that it never shifts the training RNG.
        eval_gen = torch.Generator(device=device).manual_seed(config.seed + 7919)
        n_eval = IMAGE_QUALITY_SAMPLES if sampler.is_image else QUALITY_SAMPLES
        self.eval_noise = sample_latent(
            config.prior, n_eval, config.latent_dim, eval_gen, device, config.latent_classes
        )
        self.real_eval = sampler.sample(n_eval, eval_gen)  # data space
        codes = latent_codes(self.eval_noise[:GRID_IMAGES], config.latent_classes)
        # The grid's images grouped by category when z holds a latent code.
        self._grid_order = None if codes is None else codes.argsort(stable=True)
        self._real_png = png_grid(self.real_eval[:GRID_IMAGES]) if sampler.is_image else None

    @torch.no_grad()
    def generate(self, g: nn.Module, n: int) -> Tensor:
        """G on the first n fixed evaluation noise vectors, in data space."""
        was_training = g.training
        g.eval()
        try:
            out = torch.cat([g(z) for z in self.eval_noise[:n].split(1024)])  # (n, *shape)
        finally:
            g.train(was_training)
        return out if self.sampler.is_image else out * self.sampler.scale

    def image_reference(self, step: int) -> ReferenceEvent:
        """The reference event of an image run: the real image grid."""
        return ReferenceEvent(step=step, kind="images", real_png=self._real_png)

    @torch.no_grad()
    def images(self, step: int, g: nn.Module) -> SamplesEvent:
        """An images samples event: a PNG grid of G on the fixed noise, grouped by category
        when z holds a latent code (as InfoGAN's figures show it)."""
        fake = self.generate(g, GRID_IMAGES)
        if self._grid_order is not None:
            fake = fake[self._grid_order]
        return SamplesEvent(step=step, kind="images", image_png=png_grid(fake))

    @torch.no_grad()
    def quality(self, step: int, g: nn.Module) -> tuple[QualityEvent, float | None]:
        """The quality event at ``step`` and, for low-dimensional data, the spread ratio."""
        n = self.eval_noise.shape[0]
        fake = self.generate(g, n)
        if self.sampler.is_image:
            return self._image_quality(step, fake), None
        real = self.real_eval
        event = QualityEvent(step=step, distance=sliced_wasserstein(fake, real))
        if self.sampler.centres is not None and self.sampler.sigma is not None:
            stats = mode_stats(fake, self.sampler.centres, self.sampler.sigma)
            event.modes_covered = stats.covered
            event.modes_covered_strict = stats.covered_strict
            event.modes_total = stats.total
            event.high_quality = stats.high_quality
            event.kl = stats.kl
        if self.config.dataset == "gaussian-1d":
            event.mean = fake.mean().item()
            event.std = fake.std().item()
            event.target_mean = self.config.data_mean
            event.target_std = self.config.data_std
        return event, spread_ratio(fake, real)

    def _image_quality(self, step: int, fake: Tensor) -> QualityEvent:
        if (self.sampler.n_classes or 0) < 2:  # a folder of one class: nothing to classify
            flat = (fake.flatten(1), self.real_eval.flatten(1))
            return QualityEvent(step=step, distance=sliced_wasserstein(*flat))
        if self._classifier is None:
            self._classifier = load_or_train_classifier(self.sampler, self.cache_dir, self.device)
            self._real = self._real_quality(self._classifier)
        q = image_quality(self._classifier, fake, self.real_eval)
        return QualityEvent(
            step=step,
            distance=q.frechet,
            class_coverage=q.class_coverage,
            classes_covered=q.classes_covered,
            score=q.score,
            real_score=self._real.score if self._real else None,
            real_distance=self._real.frechet if self._real else None,
        )

    def _real_quality(self, classifier: nn.Module) -> ImageQuality:
        """The real data's own figures, shown beside the generator's: the score of its held-out
        images, as ``ganwatch classifier`` gives it (the first 1 000 of MNIST's test images are
        not class-balanced and score 9.63 of its 9.77), and the Frechet distance of a fixed
        draw of as many test images as a quality event scores (the distance depends on the
        sample size). Sets without a test split use other draws from their training images."""
        n = self.real_eval.shape[0]
        test = self.sampler.test_split()
        if test is None or test[0].shape[0] < n:
            gen = torch.Generator(device=self.device).manual_seed(self.config.seed + 104729)
            return image_quality(classifier, self.sampler.sample(n, gen), self.real_eval)
        images = test[0].to(self.device)
        pick = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(0))
        drawn = image_quality(classifier, images[pick[:n].to(self.device)], self.real_eval)
        return replace(drawn, score=class_score(classifier, held_out_images(self.sampler)))
