"""LocalExecutor: real tiny runs in worker processes, live commands, crashes, warm workers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from jobs_helpers import TIMEOUT, Frames, new_run_id, on_disk, only, statuses, tiny

from app.jobs.local import LocalExecutor
from gan_core.events import Command

LONG = 1_000_000  # steps: runs that only end when told to


def test_a_dead_warm_worker_is_replaced(
    executor: LocalExecutor, frames: Frames, run_dir: Path
) -> None:
    assert executor.wait_ready(TIMEOUT)
    dead = executor.warm_pid()
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while executor.warm_pid() in (None, dead) and time.monotonic() < deadline:
        time.sleep(0.05)
    replacement = executor.warm_pid()
    assert replacement not in (None, dead)
    assert executor.wait_ready(TIMEOUT)
    run = new_run_id()
    executor.launch(run, tiny(steps=20), run_dir)
    assert executor.pid(run) == replacement
    assert frames.final(run)[-1]["status"] == "completed"


def test_no_worker_warms_up_while_every_slot_trains(tmp_path: Path) -> None:
    frames = Frames()
    executor = LocalExecutor(frames, slots=1, cache_dir=tmp_path, stop_timeout=20.0)
    executor.start()
    try:
        assert executor.wait_ready(TIMEOUT)
        first = executor.warm_pid()
        run = new_run_id()
        executor.launch(run, tiny(steps=LONG), tmp_path / "run")
        frames.metrics(run, 3)
        assert executor.pid(run) == first and executor.warm_pid() is None
        executor.command(run, Command("stop"))
        assert frames.final(run)[-1]["status"] == "stopped"
        assert executor.wait_ready(TIMEOUT)  # the freed slot gets a warm worker again
        assert executor.warm_pid() not in (None, first)
    finally:
        executor.shutdown()


def test_a_run_whose_server_vanished_stops_without_a_new_checkpoint(
    executor: LocalExecutor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    executor.launch(run, tiny(steps=LONG, checkpoint_every=50), run_dir)
    frames.wait_for(run, lambda fs: len(only(fs, "checkpoint")) >= 2)
    # Paused, the trainer writes nothing until the pipe's EOF reaches it.
    executor.command(run, Command("pause"))
    seen = len(frames.wait_for(run, lambda fs: "paused" in statuses(fs)))
    kept = on_disk(run_dir)
    executor.disconnect(run)  # what the death of the server does to the command pipe
    got = frames.final(run)
    assert got[-1]["status"] == "stopped"
    assert only(got[seen:], "checkpoint") == []
    assert on_disk(run_dir) == kept
