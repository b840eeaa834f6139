"""A viewer that never reads, over a real socket, slows neither the run nor other viewers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from app_helpers import TIMEOUT, make_settings, tiny
from websockets.sync.client import ClientConnection, connect

from app.main import create_app

BIG_SAMPLES = {
    "steps": 500,
    "samples_per_second": 0,
    "samples_every": 10,
    "heatmap_size": 160,
    "n_samples": 4000,
}


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """The app on a real uvicorn server on a free local port; its address."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # big frames on purpose, over the default stream limit: the point is to swamp a viewer
    settings = make_settings(root, max_stream_bytes_per_second=2e7)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(TIMEOUT)


def timed_run(http: httpx.Client) -> tuple[str, float]:
    """Launch a run with big sample frames; (its id, seconds from launch to completed)."""
    started = time.monotonic()
    rid = http.post("/api/runs", json=tiny(**BIG_SAMPLES)).json()["id"]
    while (run := http.get(f"/api/runs/{rid}").json())["status"] != "completed":
        assert run["status"] in ("queued", "running"), run
        assert time.monotonic() - started < TIMEOUT
        time.sleep(0.05)
    return rid, time.monotonic() - started


def open_raw(address: str, path: str) -> socket.socket:
    """A websocket handshake on a plain socket with a small receive buffer, nothing read after."""
    host, port = address.split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: sets the window
    sock.settimeout(TIMEOUT)
    sock.connect((host, int(port)))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def read_raw(sock: socket.socket) -> list[dict[str, Any]]:
    """Parse the server's (unmasked) text messages until the final status; skip pings."""
    buffer = bytearray()

    def take(n: int) -> bytes:
        while len(buffer) < n:
            chunk = sock.recv(1 << 20)
            assert chunk, "connection closed"
            buffer.extend(chunk)
        out = bytes(buffer[:n])
        del buffer[:n]
        return out

    while b"\r\n\r\n" not in buffer:
        buffer.extend(sock.recv(4096))
    del buffer[: buffer.index(b"\r\n\r\n") + 4]
    frames: list[dict[str, Any]] = []
    message = bytearray()
    while not (frames and frames[-1]["type"] == "status" and frames[-1]["status"] == "completed"):
        head, length = take(2)
        length &= 0x7F
        if length >= 126:
            length = int.from_bytes(take(2 if length == 126 else 8), "big")
        payload = take(length)
        if head & 0x0F in (0x0, 0x1):  # text, or its continuation
            message.extend(payload)
            if head & 0x80:  # FIN
                frames.append(json.loads(message))
                message.clear()
    return frames


def read_all(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every frame until the run's final status (each wait bounded)."""
    frames: list[dict[str, Any]] = []
    while not (frames and frames[-1]["type"] == "status" and frames[-1]["status"] == "completed"):
        frames.append(json.loads(ws.recv(timeout=TIMEOUT)))
    return frames


def test_a_slow_viewer_does_not_slow_the_run_or_a_fast_viewer(tmp_path: Path) -> None:
    with serving(tmp_path) as address, httpx.Client(base_url=f"http://{address}") as http:
        timed_run(http)  # warm-up: later runs both start from a warm worker
        _, alone = timed_run(http)
        started = time.monotonic()
        rid = http.post("/api/runs", json=tiny(**BIG_SAMPLES)).json()["id"]
        url = f"ws://{address}/ws/runs/{rid}"
        slow = open_raw(address, f"/ws/runs/{rid}")
        try:
            with connect(url, max_size=None) as fast:
                frames = read_all(fast)
                watched = time.monotonic() - started
            slow_frames = read_raw(slow)
        finally:
            slow.close()
    history = frames[0]["history"]["metrics"]["steps"]
    steps = [s for f in frames if f["type"] == "metrics" for s in f["steps"]]
    assert history + steps == list(range(1, 501))  # the fast viewer missed nothing
    samples = [f for f in frames if f["type"] == "samples"]
    slow_samples = [f for f in slow_frames if f["type"] == "samples"]
    assert len(slow_samples) < len(samples)  # the slow viewer's backlog was coalesced
    slow_steps = [s for f in slow_frames if f["type"] == "metrics" for s in f["steps"]]
    assert slow_steps[-1] == 500  # merged metrics frames still end at the last step
    assert watched < 2 * alone + 2, (watched, alone)  # loosely: the run was not slowed down
