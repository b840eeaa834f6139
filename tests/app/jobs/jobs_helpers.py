"""Helpers for the executor tests: tiny configs and a sink that records frames."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import checkpoints
from app.jobs.base import Executor, is_final
from gan_core.events import Command
from gan_core.presets import preset_config

Frame = dict[str, Any]
TIMEOUT = 90.0  # generous: the machine is shared, but every wait ends


def tiny(steps: int = 60, **overrides: Any) -> dict[str, Any]:
    """A ring-8 run that trains in well under a second."""
    config = preset_config(
        "ring-8",
        {
            "steps": steps,
            "g_hidden": 32,
            "d_hidden": 32,
            "batch_size": 64,
            "metrics_every": 10,
            "metrics_per_second": 0,  # every 10 steps exactly: tests name the steps
            "samples_every": 100_000,
            "quality_every": 100_000,
            "heatmap_size": 8,
            "checkpoint_every": 0,
            **overrides,
        },
    )
    return config.model_dump()


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


class Frames:
    """The executor's sink: records frames per run and lets a test wait for some."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frames: dict[str, list[Frame]] = {}

    def __call__(self, run_id: str, frame: Frame) -> None:
        with self._cond:
            self._frames.setdefault(run_id, []).append(frame)
            self._cond.notify_all()

    def of(self, run_id: str) -> list[Frame]:
        with self._cond:
            return list(self._frames.get(run_id, []))

    def wait_for(
        self, run_id: str, done: Callable[[list[Frame]], bool], timeout: float = TIMEOUT
    ) -> list[Frame]:
        """The run's frames once ``done`` holds for them; fails after ``timeout`` seconds, or
        at once if the run has ended without it."""

        def settled() -> bool:
            frames = self._frames.get(run_id, [])
            return done(frames) or any(is_final(f) for f in frames)

        with self._cond:
            self._cond.wait_for(settled, timeout)
            frames = list(self._frames.get(run_id, []))
        if not done(frames):
            seen = [(f["type"], f.get("status"), f.get("step")) for f in frames]
            raise AssertionError(f"run {run_id}: not seen within {timeout}s; frames {seen}")
        return frames

    def final(self, run_id: str, timeout: float = TIMEOUT) -> list[Frame]:
        """All frames of the run once its final status has arrived."""
        return self.wait_for(run_id, lambda frames: any(is_final(f) for f in frames), timeout)

    def metrics(self, run_id: str, count: int = 1) -> list[Frame]:
        """The run's metrics frames once there are at least ``count``."""
        frames = self.wait_for(run_id, lambda fs: len(only(fs, "metrics")) >= count)
        return only(frames, "metrics")


def stop_left_behind(executor: Executor, frames: Frames) -> None:
    """Stop every run a test left active and wait for their final frames."""
    left = executor.active()
    for run_id in left:
        with contextlib.suppress(KeyError):  # it may have ended by itself meanwhile
            executor.command(run_id, Command("stop"))
    for run_id in left:
        frames.final(run_id)


def only(frames: list[Frame], kind: str) -> list[Frame]:
    return [f for f in frames if f["type"] == kind]


def statuses(frames: list[Frame]) -> list[str]:
    return [f["status"] for f in only(frames, "status")]


def on_disk(run_dir: Path) -> list[int]:
    """Steps of the run's checkpoint files, oldest first."""
    return [step for step, _ in checkpoints.checkpoints(run_dir)]


def gone(pid: int) -> bool:
    """Whether the process has exited and been reaped (not even a zombie left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def resume_process(pid: int) -> None:
    """SIGCONT a process a test stopped, if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)
