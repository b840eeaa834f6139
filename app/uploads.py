"""Point sets people upload or draw, kept as files that outlive the server process.

Each set is two files in the folder given (``RUNS_DIR/.datasets``): ``NAME.npy``, its
(N, dim) float32 points as :func:`gan_core.pointsets.to_npy` writes them, and
``NAME.json``, what the catalogue lists of it. Both are written to a temporary name and
renamed, the ``.json`` last, so a set is either whole or absent after a crash; a set is
listed only once its ``.json`` is there. The server checks a file's contents with
:mod:`gan_core.pointsets` (numpy, no torch) and stores nothing of a refused file.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from gan_core.config import BUILTIN_DATASETS
from gan_core.pointsets import NAME_PATTERN, check_name, parse_points, to_npy


class NameTaken(ValueError):
    """A set of that name exists already (or the name is a built-in set's)."""


class UploadedSets:
    """The uploaded point sets in ``folder``; safe to call from several threads."""

    def __init__(self, folder: Path, max_points: int) -> None:
        self.folder = Path(folder)
        self.max_points = max_points
        self._lock = threading.Lock()

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.npy", self.folder / f"{name}.json"

    def list(self) -> list[dict[str, Any]]:
        """Every whole set's entry, oldest first."""
        if not self.folder.is_dir():
            return []
        entries = []
        for meta in self.folder.glob("*.json"):
            entry = self.get(meta.stem)
            if entry is not None:
                entries.append(entry)
        return sorted(entries, key=lambda e: (e["created_at"], e["name"]))

    def get(self, name: str) -> dict[str, Any] | None:
        """The entry of set ``name``, or None."""
        if not re.fullmatch(NAME_PATTERN, name):
            return None  # never a path outside the folder
        points, meta = self._paths(name)
        try:
            entry: dict[str, Any] = json.loads(meta.read_text())
        except (OSError, ValueError):
            return None
        return entry if points.is_file() else None

    def points(self, name: str) -> bytes | None:
        """The ``.npy`` bytes of set ``name``, or None when there is no such set."""
        if self.get(name) is None:
            return None
        try:
            return self._paths(name)[0].read_bytes()
        except OSError:
            return None

    def add(self, name: str, data: bytes, filename: str) -> dict[str, Any]:
        """Check ``data`` (a CSV or .npy file's bytes) and keep it as set ``name``.

        PointsRefused for a bad name or file, NameTaken for a name in use.
        """
        check_name(name)
        if name in BUILTIN_DATASETS:
            raise NameTaken(f"{name!r} is a built-in dataset's name")
        points = parse_points(data, self.max_points)
        entry = {
            "name": name,
            "kind": f"{points.shape[1]}d",
            "dim": int(points.shape[1]),
            "count": int(points.shape[0]),
            "sample_shape": [int(points.shape[1])],
            "filename": Path(filename).name[:200],
            "created_at": time.time(),
            "uploaded": True,
            "available": True,
            "description": f"{points.shape[0]} points uploaded from {Path(filename).name[:200]}",
        }
        with self._lock:
            if self.get(name) is not None:
                raise NameTaken(f"a dataset named {name!r} exists already")
            self.folder.mkdir(parents=True, exist_ok=True)
            points_path, meta_path = self._paths(name)
            _write_atomic(points_path, to_npy(points))
            _write_atomic(meta_path, json.dumps(entry).encode())
        return entry

    def delete(self, name: str) -> bool:
        """Remove set ``name``; False when there was none."""
        with self._lock:
            if self.get(name) is None:
                return False
            points_path, meta_path = self._paths(name)
            meta_path.unlink(missing_ok=True)  # first: a half-deleted set is not listed
            points_path.unlink(missing_ok=True)
            return True


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
