"""LocalExecutor: real tiny runs in worker processes, live commands, crashes, warm workers."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from jobs_helpers import TIMEOUT, Frame, Frames, new_run_id, on_disk, only, statuses, tiny

from app.checkpoints import checkpoint_path
from app.jobs.local import LocalExecutor
from gan_core.checkpoint import load_checkpoint
from gan_core.events import PROTOCOL_VERSION, Command

LONG = 1_000_000  # steps: runs that only end when told to


def after_last(frames: list[Frame], status: str) -> list[Frame]:
    """The frames that follow the last status frame with ``status``."""
    marks = [i for i, f in enumerate(frames) if f["type"] == "status" and f["status"] == status]
    return frames[marks[-1] + 1 :] if marks else []


def test_a_run_streams_its_frames_and_completes_with_checkpoints(
    executor: LocalExecutor, frames: Frames, run_dir: Path
) -> None:
    assert executor.wait_ready(TIMEOUT)
    warm = executor.warm_pid()
    run = new_run_id()
    executor.launch(run, tiny(steps=60, checkpoint_every=20), run_dir)
    assert executor.pid(run) == warm  # the warm worker took the run
    got = frames.final(run)
    first, last = got[0], got[-1]
    assert first["type"] == "status" and first["status"] == "running" and first["step"] == 0
    assert first["config"]["steps"] == 60 and first["config"]["dataset"] == "ring-8"
    assert [f["step"] for f in only(got, "metrics")] == [10, 20, 30, 40, 50, 60]
    assert [f["step"] for f in only(got, "checkpoint")] == [20, 40, 60]
    final = checkpoint_path(run_dir, 60)
    assert got[-2] == {"type": "checkpoint", "v": PROTOCOL_VERSION, "step": 60, "path": str(final)}
    assert last["type"] == "status" and last["status"] == "completed" and last["step"] == 60
    assert load_checkpoint(final)["step"] == 60
    assert on_disk(run_dir) == [40, 60]
    assert all(json.loads(json.dumps(f)) == f for f in got)
    assert run not in executor.active()


def test_pause_resume_set_lr_and_freeze_reach_the_running_trainer(
    executor: LocalExecutor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    executor.launch(run, tiny(steps=LONG), run_dir)
    before = frames.metrics(run, 2)
    executor.command(run, Command("pause"))
    got = frames.wait_for(run, lambda fs: "paused" in statuses(fs))
    paused_at = next(f["step"] for f in only(got, "status") if f["status"] == "paused")
    executor.command(run, Command("set_lr", target="g", value=1e-4))
    executor.command(run, Command("freeze", target="d", value=True))
    seen = len(frames.of(run))
    time.sleep(0.3)
    assert len(frames.of(run)) == seen  # a paused run trains (and reports) nothing
    executor.command(run, Command("resume"))
    got = frames.wait_for(run, lambda fs: len(only(after_last(fs, "paused"), "metrics")) >= 2)
    resumed = only(after_last(got, "paused"), "metrics")
    assert statuses(got) == ["running", "paused", "running"]
    assert all(m["lr_g"] == 2e-3 for m in before)
    assert all(m["lr_g"] == 1e-4 and m["lr_d"] == 2e-3 for m in resumed)
    # A metrics frame may straddle the pause: only the steps after it ran with D frozen.
    after = [
        (s, gd, gg)
        for m in resumed
        for s, gd, gg in zip(m["steps"], m["grad_d"], m["grad_g"], strict=True)
        if s > paused_at
    ]
    assert len(after) >= 10
    assert all(gd == 0 and gg > 0 for _, gd, gg in after)
    executor.command(run, Command("stop"))
    got = frames.final(run)
    assert got[-1]["status"] == "stopped" and got[-2]["type"] == "checkpoint"


def test_stop_keeps_a_checkpoint_and_resume_continues_from_its_step(
    executor: LocalExecutor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    executor.launch(run, tiny(steps=LONG), run_dir)
    frames.metrics(run, 2)
    executor.command(run, Command("stop"))
    got = frames.final(run)
    stopped = got[-1]
    assert stopped["status"] == "stopped" and stopped["step"] >= 20
    step = stopped["step"]
    stop_file = checkpoint_path(run_dir, step)
    assert got[-2] == {
        "type": "checkpoint",
        "v": PROTOCOL_VERSION,
        "step": step,
        "path": str(stop_file),
    }
    assert load_checkpoint(stop_file)["step"] == step

    resumed = new_run_id()
    executor.launch(resumed, tiny(steps=step + 30), run_dir, resume_from=stop_file)
    got = frames.final(resumed)
    assert got[0]["status"] == "running" and got[0]["step"] == step  # the server relies on it
    assert only(got, "metrics")[0]["steps"][0] == step + 1
    assert got[-1]["status"] == "completed" and got[-1]["step"] == step + 30
    assert load_checkpoint(checkpoint_path(run_dir, step + 30))["step"] == step + 30
    assert on_disk(run_dir) == [step, step + 30]


def test_a_killed_worker_fails_only_its_run_and_the_executor_carries_on(
    executor: LocalExecutor, frames: Frames, tmp_path: Path
) -> None:
    victim, survivor = new_run_id(), new_run_id()
    executor.launch(victim, tiny(steps=LONG), tmp_path / "victim")
    executor.launch(survivor, tiny(steps=LONG), tmp_path / "survivor")
    with pytest.raises(RuntimeError, match="slots"):
        executor.launch(new_run_id(), tiny(), tmp_path / "third")
    with pytest.raises(RuntimeError, match="already active"):
        executor.launch(victim, tiny(), tmp_path / "again")
    frames.metrics(victim, 1)
    frames.metrics(survivor, 1)

    os.kill(executor.pid(victim), signal.SIGKILL)
    got = frames.final(victim)
    assert got[-1]["status"] == "failed"
    assert got[-1]["reason"] == "worker process died (exit code -9 / SIGKILL)"
    assert got[-1]["step"] == only(got, "metrics")[-1]["step"]
    assert executor.active() == {survivor}
    with pytest.raises(KeyError):
        executor.command(victim, Command("stop"))

    # Ctrl+C in the server's terminal also reaches the workers; the server decides their fate.
    os.kill(executor.pid(survivor), signal.SIGINT)
    count = len(only(frames.of(survivor), "metrics"))
    frames.metrics(survivor, count + 2)  # still training
    executor.command(survivor, Command("stop"))
    assert frames.final(survivor)[-1]["status"] == "stopped"

    later = new_run_id()
    executor.launch(later, tiny(steps=30), tmp_path / "later")
    assert frames.final(later)[-1]["status"] == "completed"


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
