"""Fixtures every test folder shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ImageFolderMaker = Callable[..., Path]
CLASS_COLOURS = ((220, 40, 40), (40, 60, 220), (40, 200, 60), (230, 200, 40))


@pytest.fixture
def make_image_folder() -> ImageFolderMaker:
    """Writes ``root/name/<class>/*.png`` in torchvision's ImageFolder layout: each class a
    colour (gray levels for mode 'L') with a bright square at a random place, plus noise."""

    def make(
        root: Path,
        name: str,
        classes: int = 2,
        per_class: int = 24,
        mode: str = "RGB",
        size: tuple[int, int] = (40, 36),
    ) -> Path:
        rng = np.random.default_rng(0)
        folder = root / name
        for c in range(classes):
            (folder / f"class-{c}").mkdir(parents=True)
            for i in range(per_class):
                pixels = np.empty((size[1], size[0], 3))
                pixels[:] = CLASS_COLOURS[c % len(CLASS_COLOURS)]
                x, y = rng.integers(0, size[0] // 2), rng.integers(0, size[1] // 2)
                pixels[y : y + size[1] // 3, x : x + size[0] // 3] = 255
                pixels += rng.normal(0, 12, pixels.shape)
                image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
                (image.convert("L") if mode == "L" else image).save(folder / f"class-{c}/{i}.png")
        return folder

    return make
