"""run_job, in this process: checkpoint files, cadence and order, and when none is written."""

from __future__ import annotations

import json
import math
import queue
from pathlib import Path
from typing import Any

import pytest
import torch
from jobs_helpers import Frame, on_disk, only, tiny

from app.checkpoints import checkpoint_path
from app.intake import prepare
from app.jobs.base import Job
from app.jobs.runner import run_job
from gan_core.checkpoint import load_checkpoint
from gan_core.events import Command
from gan_core.presets import preset_config

# Plain SGD at the top learning rate: the losses become NaN within the first 20 steps.
DIVERGING = {"optimizer": "sgd", "lr_g": 1.0, "lr_d": 1.0, "momentum": 0.99}


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


def run(
    config: dict[str, Any], run_dir: Path, inbox: Inbox, *, resume_from: Path | None = None
) -> list[Frame]:
    emitted: list[Frame] = []
    job = Job("r1", config, str(run_dir), None if resume_from is None else str(resume_from))
    try:
        run_job(job, cache_dir=run_dir.parent, emit=emitted.append, receive=inbox)
    finally:
        inbox.close()  # ends the command thread
    return emitted


def milestones(frames: list[Frame]) -> list[tuple[str, str | None, int]]:
    return [
        (f["type"], f.get("status"), f["step"])
        for f in frames
        if f["type"] in ("status", "checkpoint")
    ]


def test_numbered_checkpoints_every_n_steps_pruned_to_the_newest_two(run_dir: Path) -> None:
    frames = run(tiny(steps=50, checkpoint_every=20), run_dir, Inbox())
    assert milestones(frames) == [
        ("status", "running", 0),
        ("checkpoint", None, 20),
        ("checkpoint", None, 40),
        ("checkpoint", None, 50),
        ("status", "completed", 50),
    ]
    assert [f["path"] for f in only(frames, "checkpoint")] == [
        str(checkpoint_path(run_dir, step)) for step in (20, 40, 50)
    ]
    assert on_disk(run_dir) == [40, 50]
    assert sorted(p.name for p in run_dir.iterdir()) == [
        checkpoint_path(run_dir, step).name for step in (40, 50)
    ]  # no temporary file left behind
    assert load_checkpoint(checkpoint_path(run_dir, 50))["step"] == 50


def test_checkpoint_every_zero_writes_only_the_final_one(run_dir: Path) -> None:
    frames = run(tiny(steps=30), run_dir, Inbox())
    assert milestones(frames)[1:] == [("checkpoint", None, 30), ("status", "completed", 30)]
    assert on_disk(run_dir) == [30]


def test_a_failed_write_leaves_neither_a_torn_file_nor_a_temporary_one(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = torch.save
    calls = []

    def flaky_save(state: Any, file: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            file.write(b"half a checkpoint")
            raise OSError("No space left on device")
        save(state, file)

    monkeypatch.setattr(torch, "save", flaky_save)
    frames = run(tiny(steps=50, checkpoint_every=20), run_dir, Inbox())
    assert frames[-1]["status"] == "failed" and frames[-1]["step"] == 40
    assert frames[-1]["reason"] == "OSError: No space left on device"
    assert [f["step"] for f in only(frames, "checkpoint")] == [20]
    assert [p.name for p in run_dir.iterdir()] == [checkpoint_path(run_dir, 20).name]


def test_a_vanished_server_stops_the_run_without_a_checkpoint(run_dir: Path) -> None:
    inbox = Inbox()
    inbox.close()  # receive() raises EOFError at once, as when the server's pipe end closes
    frames = run(tiny(steps=1_000_000, checkpoint_every=10), run_dir, inbox)
    assert frames[-1]["status"] == "stopped"
    assert only(frames, "checkpoint") == [] and on_disk(run_dir) == []


def test_a_diverged_run_keeps_its_last_good_checkpoint(run_dir: Path) -> None:
    frames = run(tiny(steps=200, checkpoint_every=10, **DIVERGING), run_dir, Inbox())
    failed = frames[-1]
    assert failed["status"] == "failed" and failed["reason"].startswith("diverged: ")
    written = [f["step"] for f in only(frames, "checkpoint")]
    assert written and max(written) < failed["step"]
    assert on_disk(run_dir) == written[-2:]
    state = load_checkpoint(checkpoint_path(run_dir, written[-1]))
    assert all(math.isfinite(v) for t in state["g"].values() for v in t.flatten().tolist())


def test_a_diverged_runs_frames_reach_viewers_as_strict_json(run_dir: Path) -> None:
    """The worker sends the trainer's NaN as they are; the server's intake makes them null."""
    frames = run(tiny(steps=200, **DIVERGING), run_dir, Inbox())
    texts = [prepare("r1", frame).text for frame in frames]
    refuse = {"parse_constant": lambda name: pytest.fail(f"{name} in a frame")}
    parsed = [json.loads(text, **refuse) for text in texts]  # type: ignore[arg-type]
    losses = [v for f in parsed if f["type"] == "metrics" for v in f["loss_d"]]
    assert None in losses and all(v is None or math.isfinite(v) for v in losses)


def test_resume_from_a_given_checkpoint_continues_from_its_step(run_dir: Path) -> None:
    run(tiny(steps=20, checkpoint_every=10), run_dir, Inbox())
    assert on_disk(run_dir) == [10, 20]
    frames = run(tiny(steps=40), run_dir, Inbox(), resume_from=checkpoint_path(run_dir, 10))
    assert milestones(frames)[0] == ("status", "running", 10)  # the server relies on it
    assert [f["step"] for f in only(frames, "metrics")] == [20, 30, 40]
    assert on_disk(run_dir) == [20, 40]


def test_missing_dataset_files_fail_the_run_with_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    config = preset_config("mnist", {"data_dir": str(empty)}).model_dump()
    frames = run(config, tmp_path / "run", Inbox())
    assert len(frames) == 1
    assert frames[0]["type"] == "status" and frames[0]["status"] == "failed"
    assert frames[0]["step"] == 0
    assert frames[0]["reason"].startswith("DatasetMissing: mnist: ")
    assert not (tmp_path / "run").exists()


def test_an_exception_becomes_a_failed_frame_with_a_one_line_reason(run_dir: Path) -> None:
    frames = run(tiny(steps=20), run_dir, Inbox(), resume_from=run_dir / "missing.pt")
    assert [f["status"] for f in frames] == ["failed"]
    assert frames[0]["reason"].startswith("FileNotFoundError: no checkpoint at ")
    invalid = run({**tiny(), "steps": -1}, run_dir, Inbox())
    assert invalid[0]["reason"].startswith("ValidationError: 1 validation error for RunConfig")
    assert "\n" not in invalid[0]["reason"]  # pydantic's message has many lines
