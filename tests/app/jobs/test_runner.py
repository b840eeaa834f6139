"""run_job, in this process: checkpoint cadence and order, failures as final status frames."""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

from jobs_helpers import Frame, tiny

from app.jobs.base import Job
from app.jobs.runner import run_job
from gan_core.checkpoint import load_checkpoint
from gan_core.events import Command
from gan_core.presets import preset_config


class Inbox:
    """A ``receive`` for run_job: commands put here, EOFError once closed."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Command | None] = queue.SimpleQueue()

    def put(self, command: Command) -> None:
        self._queue.put(command)

    def close(self) -> None:
        self._queue.put(None)

    def __call__(self) -> Command:
        command = self._queue.get()
        if command is None:
            raise EOFError
        return command


def run(config: dict[str, Any], path: Path, inbox: Inbox, *, resume: bool = False) -> list[Frame]:
    emitted: list[Frame] = []
    try:
        run_job(Job("r1", config, str(path), resume), cache_dir=path.parent, emit=emitted.append,
                receive=inbox)
    finally:
        inbox.close()  # ends the command thread
    return emitted


def milestones(frames: list[Frame]) -> list[tuple[str, str | None, int]]:
    return [(f["type"], f.get("status"), f["step"]) for f in frames
            if f["type"] in ("status", "checkpoint")]


def test_checkpoints_every_n_steps_and_the_last_one_before_the_final_status(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ck.pt"
    frames = run(tiny(steps=50, checkpoint_every=20), path, Inbox())
    assert milestones(frames) == [
        ("status", "running", 0),
        ("checkpoint", None, 20),
        ("checkpoint", None, 40),
        ("checkpoint", None, 50),
        ("status", "completed", 50),
    ]
    assert frames[-2]["path"] == str(path)
    assert load_checkpoint(path)["step"] == 50


def test_checkpoint_every_zero_writes_only_the_final_one(tmp_path: Path) -> None:
    frames = run(tiny(steps=30), tmp_path / "ck.pt", Inbox())
    assert milestones(frames)[1:] == [("checkpoint", None, 30), ("status", "completed", 30)]


def test_a_vanished_server_stops_the_run_and_keeps_its_checkpoint(tmp_path: Path) -> None:
    inbox = Inbox()
    inbox.close()  # receive() raises EOFError at once, as when the server's pipe end closes
    path = tmp_path / "ck.pt"
    frames = run(tiny(steps=1_000_000), path, inbox)
    assert frames[-1]["status"] == "stopped"
    assert frames[-2]["type"] == "checkpoint"
    assert load_checkpoint(path)["step"] == frames[-1]["step"]


def test_resume_starts_from_the_checkpoint_step(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    run(tiny(steps=20), path, Inbox())
    frames = run(tiny(steps=40), path, Inbox(), resume=True)
    assert milestones(frames)[0] == ("status", "running", 20)
    assert [f["step"] for f in frames if f["type"] == "metrics"] == [30, 40]


def test_missing_dataset_files_fail_the_run_with_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    config = preset_config("mnist", {"data_dir": str(empty)}).model_dump()
    frames = run(config, tmp_path / "ck.pt", Inbox())
    assert len(frames) == 1
    assert frames[0]["type"] == "status" and frames[0]["status"] == "failed"
    assert frames[0]["step"] == 0
    assert frames[0]["reason"].startswith("DatasetMissing: ")
    assert str(empty) in frames[0]["reason"]
    assert not (tmp_path / "ck.pt").exists()


def test_an_exception_becomes_a_failed_frame_with_a_one_line_reason(tmp_path: Path) -> None:
    frames = run(tiny(steps=20), tmp_path / "missing.pt", Inbox(), resume=True)
    assert [f["status"] for f in frames] == ["failed"]
    assert frames[0]["reason"].startswith("FileNotFoundError: no checkpoint at ")
    invalid = run({**tiny(), "steps": -1}, tmp_path / "ck.pt", Inbox())
    assert invalid[0]["reason"].startswith("ValidationError: 1 validation error for RunConfig")
    assert "\n" not in invalid[0]["reason"]  # pydantic's message has many lines
