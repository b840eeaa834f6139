"""Where a run's checkpoints live, and which one a resume starts from (no torch needed).

A run keeps its latest ``KEEP`` checkpoints as ``RUNS_DIR/<id>/checkpoint-<step>.pt``,
each written to a temporary name and renamed, so a file under its final name is whole.
The step is in the name: the server picks a checkpoint without loading it. A resume
starts from the newest checkpoint whose step the store has committed history for, so
that the resumed curve joins the stored one with no step missing or repeated.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

KEEP = 2
_NAME = re.compile(r"checkpoint-(\d+)\.pt")


def checkpoint_path(run_dir: Path, step: int) -> Path:
    """The file a checkpoint of ``step`` goes to."""
    return run_dir / f"checkpoint-{step:09d}.pt"


def checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """The run's checkpoints as (step, path), oldest first."""
    if not run_dir.is_dir():
        return []
    found = []
    for path in run_dir.iterdir():
        match = _NAME.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest(run_dir: Path) -> tuple[int, Path] | None:
    """The newest checkpoint, if any."""
    found = checkpoints(run_dir)
    return found[-1] if found else None


def resume_point(run_dir: Path, stored_step: int) -> tuple[int, Path] | None:
    """The newest checkpoint at or before ``stored_step`` (the last step the store holds)."""
    usable = [(step, path) for step, path in checkpoints(run_dir) if step <= stored_step]
    return usable[-1] if usable else None


def prune(run_dir: Path, keep: int = KEEP) -> None:
    """Delete all but the newest ``keep`` checkpoints."""
    for _, path in checkpoints(run_dir)[:-keep]:
        path.unlink(missing_ok=True)


def write(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Write a checkpoint file atomically and durably; ``fill`` writes its bytes.

    A temporary file in the same folder, fsynced, then renamed: a file under a checkpoint
    name is always whole, and still there after a power cut once older ones are pruned.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            fill(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # makes the rename itself durable
    finally:
        os.close(folder)
