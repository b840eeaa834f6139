"""Shutdown: a run stops gracefully with its checkpoint, and no worker outlives it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from jobs_helpers import Frames, gone, new_run_id, resume_process, statuses, tiny

from app.jobs import CUT_OFF, UNRESPONSIVE
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
        executor.launch(run, tiny(steps=1_000_000), tmp_path / "run")
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
    assert load_checkpoint(got[-2]["path"])["step"] == got[-1]["step"]
    assert executor.active() == set() and executor.warm_pid() is None
    assert not {p.pid for p in multiprocessing.active_children()} & set(pids)
    assert all(gone(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        executor.launch(new_run_id(), tiny(), tmp_path / "late")
    with pytest.raises(KeyError):
        executor.command(run, Command("stop"))
    executor.shutdown()  # a second call is harmless


def test_an_ignored_stop_fails_the_run_and_shutdown_cuts_off_the_others(tmp_path: Path) -> None:
    frames = Frames()
    executor = LocalExecutor(frames, slots=2, cache_dir=tmp_path, warm=False, stop_timeout=1.0)
    executor.start()
    ignored, cut = new_run_id(), new_run_id()
    pids: list[int] = []
    try:
        executor.launch(ignored, tiny(steps=1_000_000), tmp_path / "ignored")
        executor.launch(cut, tiny(steps=1_000_000), tmp_path / "cut")
        frames.metrics(ignored, 1)
        frames.metrics(cut, 1)
        pids = [executor.pid(ignored), executor.pid(cut)]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        executor.command(ignored, Command("stop"))
        got = frames.final(ignored, timeout=10.0)
        assert got[-1]["status"] == "failed" and got[-1]["reason"] == UNRESPONSIVE
        assert time.monotonic() - started < 10.0  # the stop's deadline, not the 30 s watchdog
        executor.shutdown()
        assert frames.of(cut)[-1]["status"] == "failed"
        assert frames.of(cut)[-1]["reason"] == CUT_OFF
        assert all(gone(pid) for pid in pids)
    finally:
        for pid in pids:
            resume_process(pid)
        executor.shutdown()
