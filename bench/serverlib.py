"""Shared pieces of the server benchmarks: a real server in a subprocess, and viewers.

The server runs as ``ganwatch serve`` (``python -m app.cli serve``) on a free loopback
port with its database, runs and data directories in a temporary folder, exactly as a
user would run it (its log goes to ``server.log`` there, printed if something fails);
the benchmarks talk to it over HTTP and websockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright never downloads its own here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    ws_url: str
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "ganwatch.db"


@contextlib.contextmanager
def running_server(folder: Path | None = None, **settings: str) -> Iterator[Server]:
    """A dashboard server in a subprocess; ``settings`` become GANWATCH_* variables.

    Its database and runs live in ``folder`` (a temporary one by default): a second
    server on the same folder finds what the first one left.
    """
    with tempfile.TemporaryDirectory(prefix="ganwatch-bench-") as tmp:
        folder = folder or Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "GANWATCH_DB": str(folder / "ganwatch.db"),
            "GANWATCH_RUNS_DIR": str(folder / "runs"),
            "GANWATCH_DATA_DIR": str(folder / "data"),
            **{f"GANWATCH_{k.upper()}": v for k, v in settings.items()},
        }
        log = (folder / "server.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its group holds what it starts (a local Ray's daemons)
        )
        server = Server(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", process, folder)
        try:
            wait_healthy(server.url)
            yield server
        except Exception:
            tail = (folder / "server.log").read_text(errors="replace")[-3000:]
            print(f"--- server log ({folder / 'server.log'}), last lines:\n{tail}", file=sys.stderr)
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not become healthy in {timeout} s")


def create_run(url: str, preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/runs", json={"preset": preset, "overrides": overrides}, timeout=30)
    r.raise_for_status()
    run: dict[str, Any] = r.json()
    return run


def wait_final(url: str, run_id: str, timeout: float = 1800.0) -> dict[str, Any]:
    """Poll until the run has a final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] in ("completed", "stopped", "failed", "interrupted"):
            return run
        time.sleep(0.2)
    raise RuntimeError(f"run {run_id} did not finish in {timeout} s")


def wait_completed(url: str, run_id: str) -> dict[str, Any]:
    """The run once final; RuntimeError with its status and reason unless it completed."""
    final = wait_final(url, run_id)
    if final["status"] != "completed":
        raise RuntimeError(f"run ended {final['status']}: {final.get('reason')}")
    return final


@dataclass
class Viewer:
    """What one websocket viewer saw."""

    frames: int = 0
    metrics_latencies: list[float] = field(default_factory=list)
    first_metrics_at: float | None = None
    last_metrics: dict[str, Any] | None = None


async def watch(ws_url: str, run_id: str, viewer: Viewer, *, slow: float = 0.0) -> None:
    """Follow one run until its final status frame; ``slow`` sleeps after each frame."""
    async with websockets.connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        async for raw in ws:
            received = time.time()
            frame = json.loads(raw)
            viewer.frames += 1
            if frame.get("type") == "metrics":
                if viewer.first_metrics_at is None:
                    viewer.first_metrics_at = received
                if "wall" in frame:
                    viewer.metrics_latencies.append(received - frame["wall"])
                viewer.last_metrics = frame
            if frame.get("type") == "status" and frame.get("status") in (
                "completed",
                "stopped",
                "failed",
            ):
                return
            if frame.get("type") == "snapshot" and frame["run"]["status"] in (
                "completed",
                "stopped",
                "failed",
            ):
                return
            if slow:
                await asyncio.sleep(slow)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
