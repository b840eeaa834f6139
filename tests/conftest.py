"""Fixtures every test folder shares, and the example plugin installed for the session."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bench.raycluster  # noqa: F401  (before any ray import: Ray on loopback only)

ImageFolderMaker = Callable[..., Path]
EXAMPLE_PLUGIN = Path(__file__).parents[1] / "examples" / "ganwatch-example-plugin"
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


@pytest.fixture(autouse=True, scope="session")
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """examples/ganwatch-example-plugin installed (pip, from a copy) into a folder on
    sys.path and PYTHONPATH, so this process, spawned workers and a Ray cluster the
    session starts all find its entry points; every test sees the same plugins."""
    root = tmp_path_factory.mktemp("plugin")
    source, target = root / "source", root / "site"
    shutil.copytree(EXAMPLE_PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    previous = os.environ.get("PYTHONPATH")
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), previous]))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    if previous is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous
