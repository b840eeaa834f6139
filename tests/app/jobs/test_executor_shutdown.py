"""Shutdown: a run stops gracefully with its checkpoint, and no worker outlives it."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from jobs_helpers import Frames, new_run_id, statuses, tiny

from app.jobs.local import LocalExecutor
from gan_core.checkpoint import load_checkpoint
from gan_core.events import Command


def test_shutdown_stops_runs_gracefully_and_leaves_no_child_process(tmp_path: Path) -> None:
    frames = Frames()
    executor = LocalExecutor(frames, slots=2, cache_dir=tmp_path, stop_timeout=20.0)
    executor.start()
    run = new_run_id()
    pids: list[int] = []
    try:
        executor.launch(run, tiny(steps=1_000_000), tmp_path / "ck.pt")
        frames.metrics(run, 1)
        # Paused: the stop must reach a trainer that is blocked waiting for "resume".
        executor.command(run, Command("pause"))
        frames.wait_for(run, lambda fs: "paused" in statuses(fs))
        pids.append(executor.pid(run))
        warm = executor.warm_pid()  # started once the run trained: idle, or still importing
        assert warm is not None
        pids.append(warm)
    finally:
        executor.shutdown()
    got = frames.of(run)
    assert got[-1]["status"] == "stopped" and got[-2]["type"] == "checkpoint"
    assert load_checkpoint(tmp_path / "ck.pt")["step"] == got[-1]["step"]
    assert executor.active() == set() and executor.warm_pid() is None
    assert not {p.pid for p in multiprocessing.active_children()} & set(pids)
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # exited and reaped: not even a zombie
            os.kill(pid, 0)
    with pytest.raises(RuntimeError):
        executor.launch(new_run_id(), tiny(), tmp_path / "late.pt")
    with pytest.raises(KeyError):
        executor.command(run, Command("stop"))
    executor.shutdown()  # a second call is harmless
