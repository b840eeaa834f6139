"""Against a real `ganwatch serve`: close codes on the wire, a killed server, health under load."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets.sync.client
from websockets.exceptions import ConnectionClosed

from bench.serverlib import percentile, running_server, wait_final

RUN = {
    "g_hidden": 32,
    "d_hidden": 32,
    "batch_size": 64,
    "samples_every": 100,
    "quality_every": 500,
    "heatmap_size": 8,
    "n_samples": 64,
}


def close_code(url: str, **kwargs: Any) -> int:
    """The code a server closes this websocket with (after the handshake succeeded)."""
    with websockets.sync.client.connect(url, open_timeout=10, **kwargs) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_refusals_arrive_as_close_codes_over_a_real_server() -> None:
    with running_server(warm_worker="false", max_viewers="1") as server:
        assert close_code(f"{server.ws_url}/ws/runs", origin="http://evil.example") == 1008
        assert close_code(f"{server.ws_url}/ws/runs/nope") == 4404
        with websockets.sync.client.connect(f"{server.ws_url}/ws/runs") as first:
            assert json.loads(first.recv(timeout=10))["type"] == "runs"
            assert close_code(f"{server.ws_url}/ws/runs") == 1013
    with running_server(warm_worker="false", token="s3cret") as server:
        assert close_code(f"{server.ws_url}/ws/runs") == 1008
        assert close_code(f"{server.ws_url}/ws/runs?token=s3cret") == 1008
        ticket = httpx.post(
            f"{server.url}/api/tickets", headers={"Authorization": "Bearer s3cret"}
        ).json()["ticket"]
        with websockets.sync.client.connect(f"{server.ws_url}/ws/runs?ticket={ticket}") as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "runs"
        log = (server.folder / "server.log").read_text()
        assert "s3cret" not in log.replace("token=s3cret", "")  # only the refused try shows it


def follow(url: str, stop: threading.Event, seen: list[int]) -> None:
    """A viewer that reads until the server goes away or the test is done.

    A quiet second (the worker still starting) is waited through, not taken for the end.
    """
    try:
        with websockets.sync.client.connect(url, max_size=None) as ws:
            while not stop.is_set():
                try:
                    frame = json.loads(ws.recv(timeout=1))
                except TimeoutError:
                    continue
                if frame["type"] == "metrics":
                    seen.append(frame["step"])
    except (ConnectionClosed, OSError):
        return


def test_a_server_killed_mid_run_loses_no_step(tmp_path: Path) -> None:
    overrides = {**RUN, "steps": 3000, "checkpoint_every": 500, "seed": 1}
    stop = threading.Event()
    with running_server(tmp_path) as server:
        run = httpx.post(
            f"{server.url}/api/runs", json={"preset": "ring-8", "overrides": overrides}
        ).json()
        rid = run["id"]
        seen: list[int] = []
        viewers = [
            threading.Thread(target=follow, args=(f"{server.ws_url}/ws/runs/{rid}", stop, seen))
            for _ in range(3)
        ]
        for viewer in viewers:
            viewer.start()
        deadline = time.monotonic() + 120
        while httpx.get(f"{server.url}/api/runs/{rid}").json()["step"] < 1300:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        stop.set()
        for viewer in viewers:
            viewer.join(10)
    assert seen, "the viewers saw the run train"
    with running_server(tmp_path) as server:
        before = httpx.get(f"{server.url}/api/runs/{rid}").json()
        assert before["status"] == "interrupted"
        resumed = httpx.post(f"{server.url}/api/runs/{rid}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["step"] % 500 == 0  # a periodic checkpoint the history reaches
        final = wait_final(server.url, rid, timeout=300)
        assert final["status"] == "completed", final
        steps = httpx.get(f"{server.url}/api/runs/{rid}/metrics").json()["steps"]
    assert steps == list(range(1, 3001))  # every step exactly once


def test_health_stays_fast_under_the_costliest_launch_the_server_accepts() -> None:
    # Samples frames near the 2 MB frame limit, as often as the stream limit allows.
    worst = {
        "steps": 200_000,
        "data_dim": 1024,
        "n_samples": 80,
        "samples_every": 1000,
        "samples_per_second": 0,  # by step count, so the frame rate is the one named here
        "metrics_every": 9,
        "metrics_per_second": 0,  # every 9 steps however fast, as the limit reckons
        "quality_every": 100,
        "batch_size": 256,
    }
    with running_server() as server:
        response = httpx.post(
            f"{server.url}/api/runs", json={"preset": "gaussian-1d", "overrides": worst}
        )
        assert response.status_code == 201, response.text
        rid = response.json()["id"]
        tighter = {**worst, "samples_every": 500}
        refused = httpx.post(
            f"{server.url}/api/runs", json={"preset": "gaussian-1d", "overrides": tighter}
        )
        assert refused.status_code == 422  # the next step up is over a cost limit
        stop = threading.Event()
        seen: list[int] = []
        viewers = [
            threading.Thread(target=follow, args=(f"{server.ws_url}/ws/runs/{rid}", stop, seen))
            for _ in range(5)
        ]
        for viewer in viewers:
            viewer.start()
        while (before := httpx.get(f"{server.url}/api/runs/{rid}").json()["step"]) < 1000:
            time.sleep(0.1)
        latencies = []
        with httpx.Client() as client:
            for _ in range(200):
                started = time.perf_counter()
                assert client.get(f"{server.url}/api/health").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)
        step = httpx.get(f"{server.url}/api/runs/{rid}").json()["step"]
        httpx.post(f"{server.url}/api/runs/{rid}/stop")
        stop.set()
        for viewer in viewers:
            viewer.join(10)
    assert step > before + 100, "the run trained while health was polled"
    assert percentile(latencies, 0.99) < 0.25, sorted(latencies)[-5:]
