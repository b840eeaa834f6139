"""The watchdog: silent workers are killed, their runs fail as unresponsive; sends never block."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import TIMEOUT, Frames, gone, new_run_id, resume_process, tiny

from app.jobs import UNRESPONSIVE, CommandQueueFull
from app.jobs.local import LocalExecutor
from gan_core.events import Command

WATCHDOG = 2.0
SLACK = 6.0  # the watchdog's tick, its SIGTERM-to-SIGKILL grace, reaping, a busy machine


@pytest.fixture(scope="module")
def executor(frames: Frames, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalExecutor]:
    executor = LocalExecutor(
        frames, slots=1, cache_dir=tmp_path_factory.mktemp("cache"), watchdog_timeout=WATCHDOG
    )
    executor.start()
    yield executor
    executor.shutdown()


def test_a_silent_idle_worker_is_replaced(executor: LocalExecutor) -> None:
    assert executor.wait_ready(TIMEOUT)
    stopped = executor.warm_pid()
    assert stopped is not None
    os.kill(stopped, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + WATCHDOG + SLACK
        while not gone(stopped) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(stopped)
        assert executor.warm_pid() != stopped
    finally:
        resume_process(stopped)
    assert executor.wait_ready(TIMEOUT)


def test_a_silent_worker_is_killed_and_the_next_run_completes(
    executor: LocalExecutor, frames: Frames, tmp_path: Path
) -> None:
    assert executor.wait_ready(TIMEOUT)
    run = new_run_id()
    executor.launch(run, tiny(steps=1_000_000), tmp_path / "hung")
    trained = frames.metrics(run, 1)[-1]["step"]
    pid = executor.pid(run)
    os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    try:
        last = frames.final(run, timeout=WATCHDOG + SLACK)[-1]
    finally:
        resume_process(pid)
    assert time.monotonic() - started < WATCHDOG + SLACK
    assert last["status"] == "failed" and last["reason"] == UNRESPONSIVE
    assert last["step"] >= trained
    assert run not in executor.active()

    assert executor.wait_ready(TIMEOUT)
    later = new_run_id()
    executor.launch(later, tiny(steps=30), tmp_path / "later")
    assert frames.final(later)[-1]["status"] == "completed"


def test_commands_to_a_worker_that_does_not_read_fail_fast_instead_of_blocking(
    executor: LocalExecutor, frames: Frames, tmp_path: Path
) -> None:
    assert executor.wait_ready(TIMEOUT)
    run = new_run_id()
    executor.launch(run, tiny(steps=1_000_000), tmp_path / "deaf")
    frames.metrics(run, 1)
    pid = executor.pid(run)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(CommandQueueFull):
            # Far more than the pipe's buffer and the outbox hold together.
            for _ in range(100_000):
                executor.command(run, Command("set_lr", target="g", value=1e-3))
        assert time.monotonic() - started < 1.5
        assert frames.final(run, timeout=WATCHDOG + SLACK)[-1]["reason"] == UNRESPONSIVE
    finally:
        resume_process(pid)
