"""A real `ganwatch serve` with GANWATCH_EXECUTOR=ray and no address: the server starts a
local Ray for its lifetime (every socket of it listening on 127.0.0.1 only), a run whose
actor process is SIGKILLed ends failed with Ray's reason, the next run completes, and the
server's exit leaves none of Ray's processes."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx

from bench.raycluster import descendants, end_tree, listening
from bench.serverlib import create_run, running_server, wait_completed, wait_final

RUN = {"g_hidden": 32, "d_hidden": 32, "batch_size": 64, "quality_every": 1000}
TIMEOUT = 120.0


def actor_pid(root: int, timeout: float = TIMEOUT) -> int:
    """The process of the one RunActor below ``root``, once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in descendants(root):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::RunActor"):
                    return pid
        time.sleep(0.2)
    raise AssertionError(f"no RunActor process below {root} within {timeout}s")


def training(url: str, run_id: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{url}/api/runs/{run_id}", timeout=10).json()
        assert run["status"] in ("queued", "running"), run
        if run["status"] == "running" and run["step"] > 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} not training within {timeout}s")


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_killed_actor_fails_its_run_with_rays_reason_and_the_next_run_completes() -> None:
    tree: set[int] = set()
    with running_server(executor="ray", warm_worker="false") as server:
        try:
            health = httpx.get(f"{server.url}/api/health", timeout=10).json()
            assert health["executor"]["kind"] == "ray"
            assert health["executor"]["state"] == "ok", health
            assert health["executor"]["slots_from"] == "cluster"

            victim = create_run(server.url, "ring-8", {**RUN, "steps": 200_000})["id"]
            training(server.url, victim)
            sockets = listening(server.process.pid)
            assert len(sockets) > 3, sockets  # the server's port and Ray's servers
            assert {address for address, _ in sockets} == {"127.0.0.1"}, sockets
            os.kill(actor_pid(server.process.pid), signal.SIGKILL)
            failed = wait_final(server.url, victim, timeout=TIMEOUT)
            assert failed["status"] == "failed"
            assert failed["reason"].startswith("ActorDiedError: The actor is dead"), failed

            later = create_run(server.url, "ring-8", {**RUN, "steps": 300})["id"]
            assert wait_completed(server.url, later)["step"] == 300
            tree = descendants(server.process.pid)
            assert tree, "the local Ray runs below the server"
        except BaseException:
            end_tree(server.process)  # Ray's processes too, by the ids recorded from the server
            raise
    time.sleep(2)
    left = [pid for pid in tree if alive(pid)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], "the server's exit left Ray processes behind"


def test_an_unreachable_cluster_leaves_the_server_up_and_says_so() -> None:
    with running_server(executor="ray", ray_address="127.0.0.1:9", warm_worker="false") as server:
        try:
            health = httpx.get(f"{server.url}/api/health", timeout=10).json()
            assert health["status"] == "degraded"
            assert health["executor"]["kind"] == "ray"
            assert health["executor"]["state"] in ("connecting", "unavailable")
            run = create_run(server.url, "ring-8", {**RUN, "steps": 300})["id"]
            deadline = time.monotonic() + TIMEOUT
            while (got := httpx.get(f"{server.url}/api/runs/{run}").json())["status"] != "queued":
                assert time.monotonic() < deadline, got
                time.sleep(0.2)
            assert got["reason"] == "waiting for 127.0.0.1:9 to connect"
            log = (server.folder / "server.log").read_text()
            assert "ganwatch: 1 run slot(s)" in log  # started without Ray
        except BaseException:
            end_tree(server.process)
            raise
