"""Fixtures for the executor tests: a recording sink and started executors, always shut down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from jobs_helpers import Frames, stop_left_behind

from app.jobs.local import LocalExecutor
from bench.raycluster import Cluster, local_cluster


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def frames() -> Frames:
    return Frames()


@pytest.fixture(scope="module")
def shared_executor(
    frames: Frames,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalExecutor]:
    executor = LocalExecutor(
        frames, slots=2, cache_dir=tmp_path_factory.mktemp("cache"), stop_timeout=20.0
    )
    executor.start()
    yield executor
    executor.shutdown()


@pytest.fixture
def executor(shared_executor: LocalExecutor, frames: Frames) -> Iterator[LocalExecutor]:
    """The module's executor, with every run a test left behind stopped afterwards."""
    yield shared_executor
    stop_left_behind(shared_executor, frames)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Where a test's run writes its checkpoints (created by the worker)."""
    return tmp_path / "run"


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    """One local Ray head for the session's Ray executor tests (started on first use),
    joined directly and through Ray Client."""
    with local_cluster(client=True) as cluster:
        yield cluster
