"""The executor contract, run against each executor: the local one and Ray on a local cluster,
joined directly and through Ray Client (``ray://``).

Tiny real runs: frames and checkpoints, live commands, stop and resume from a checkpoint,
a killed worker process that fails its run only.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from jobs_helpers import (
    TIMEOUT,
    Frame,
    Frames,
    new_run_id,
    on_disk,
    only,
    statuses,
    stop_left_behind,
    tiny,
)

from app.checkpoints import checkpoint_path
from app.jobs.base import Executor
from app.jobs.local import LocalExecutor
from app.jobs.ray_executor import NOT_STARTED, RayExecutor
from bench.raycluster import Cluster, listening
from gan_core.checkpoint import load_checkpoint
from gan_core.events import PROTOCOL_VERSION, Command
from gan_core.pointsets import to_npy

LONG = 1_000_000  # steps: runs that only end when told to
KILLED_REASON = {
    "local": "worker process died (exit code -9 / SIGKILL)",
    "ray": "ActorDiedError: The actor is dead because its worker process has died. "
    "Worker exit type: SYSTEM_ERROR",
}


@pytest.fixture(scope="module", params=["local", "ray", "ray-client"])
def contract(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Executor, Frames]]:
    frames = Frames()
    cache = tmp_path_factory.mktemp("cache")
    executor: Executor
    if request.param == "local":
        executor = LocalExecutor(frames, slots=2, cache_dir=cache, stop_timeout=20.0)
    else:
        cluster = request.getfixturevalue("ray_cluster")
        address = cluster.address if request.param == "ray" else cluster.client
        executor = RayExecutor(frames, slots=2, cache_dir=cache, address=address, stop_timeout=20.0)
    executor.start()
    if request.param == "ray-client":
        import ray

        # start() waits 10 s for Ray, then goes on; a busy machine may take longer.
        deadline = time.monotonic() + TIMEOUT
        while not ray.util.client.ray.is_connected() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ray.util.client.ray.is_connected(), "the executor went through Ray Client"
    yield executor, frames
    executor.shutdown()


def test_the_tests_ray_cluster_listens_on_loopback_only(ray_cluster: Cluster) -> None:
    sockets = listening(ray_cluster.pid)
    assert any(port == int(ray_cluster.address.rsplit(":", 1)[1]) for _, port in sockets)
    assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets


@pytest.fixture
def executor(contract: tuple[Executor, Frames]) -> Iterator[Executor]:
    """The module's executor, with every run a test left behind stopped afterwards."""
    executor, frames = contract
    yield executor
    stop_left_behind(executor, frames)


@pytest.fixture
def frames(contract: tuple[Executor, Frames]) -> Frames:
    return contract[1]


def after_last(frames: list[Frame], status: str) -> list[Frame]:
    """The frames that follow the last status frame with ``status``."""
    marks = [i for i, f in enumerate(frames) if f["type"] == "status" and f["status"] == status]
    return frames[marks[-1] + 1 :] if marks else []


def test_a_run_streams_its_frames_and_completes_with_checkpoints(
    executor: Executor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    executor.launch(run, tiny(steps=60, checkpoint_every=20), run_dir)
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


def test_a_run_on_uploaded_points_trains_on_them(
    executor: Executor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    points = np.array([[5.0, 5.0], [5.5, 5.0], [5.0, 5.5]], dtype=np.float32)
    config = tiny(steps=20, dataset="three-points", samples_every=10, samples_per_second=0)
    executor.launch(run, config, run_dir, points=to_npy(points))
    got = frames.final(run)
    assert got[-1]["status"] == "completed", got[-1]
    real = np.array(only(got, "reference")[0]["real"])
    assert {tuple(p) for p in real.tolist()} <= {tuple(p) for p in points.tolist()}
    first = only(got, "samples")[0]  # encoded once, in the worker: the frame's JSON text
    assert json.loads(first["json"])["heatmap"] is not None


def test_a_plugin_model_trains_on_a_plugin_dataset(
    executor: Executor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()  # the example plugin, installed for the session (tests/conftest.py)
    config = tiny(steps=20, dataset="two-moons", model="residual-mlp")
    config.update(dataset_params={"noise": 0.1}, model_params={"width": 16, "blocks": 1})
    executor.launch(run, config, run_dir)
    got = frames.final(run)
    assert got[-1]["status"] == "completed", got[-1]
    assert got[0]["config"]["model"] == "residual-mlp"
    assert [f["step"] for f in only(got, "metrics")] == [10, 20]


def test_pause_resume_set_lr_and_freeze_reach_the_running_trainer(
    executor: Executor, frames: Frames, run_dir: Path
) -> None:
    run = new_run_id()
    config = tiny(steps=LONG)
    executor.launch(run, config, run_dir)
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
    assert all(m["lr_g"] == config["lr_g"] for m in before)
    assert all(m["lr_g"] == 1e-4 and m["lr_d"] == config["lr_d"] for m in resumed)
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
    executor: Executor, frames: Frames, run_dir: Path
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
    executor: Executor, frames: Frames, tmp_path: Path
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
    assert got[-1]["reason"] == KILLED_REASON[executor.kind]
    assert got[-1]["step"] == only(got, "metrics")[-1]["step"]
    assert executor.active() == {survivor}
    with pytest.raises(KeyError):
        executor.command(victim, Command("stop"))

    count = len(only(frames.of(survivor), "metrics"))
    frames.metrics(survivor, count + 2)  # still training
    executor.command(survivor, Command("stop"))
    assert frames.final(survivor)[-1]["status"] == "stopped"

    later = new_run_id()
    executor.launch(later, tiny(steps=30), tmp_path / "later")
    assert frames.final(later)[-1]["status"] == "completed"


def test_a_run_the_cluster_cannot_place_waits_queued_and_a_stop_cancels_it(
    executor: Executor, frames: Frames, run_dir: Path
) -> None:
    if executor.kind != "ray":
        pytest.skip("only a cluster's scheduler makes a launched run wait")
    run = new_run_id()
    executor.launch(run, tiny(steps=LONG, device="cuda"), run_dir)  # no GPU in this cluster
    got = frames.wait_for(run, lambda fs: "queued" in statuses(fs))
    assert got[-1]["reason"] == "waiting for cluster resources (1 CPU, 1 GPU)"
    assert run in executor.active()
    executor.command(run, Command("stop"))
    final = frames.final(run)[-1]
    assert final["status"] == "stopped" and final["reason"] == NOT_STARTED
    assert run not in executor.active()
