"""Helpers for the server tests: tiny launch bodies, settings on tmp paths, bounded waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app import lifecycle
from app.settings import Settings

TIMEOUT = 90.0  # seconds: generous for a shared machine, but every wait ends
FINAL = tuple(lifecycle.TERMINAL)
LONG = 1_000_000  # steps: a run that only ends when told to (under max_steps set below)


def tiny(steps: int = 200, **overrides: Any) -> dict[str, Any]:
    """A ring-8 launch body that trains in about a second."""
    return {
        "preset": "ring-8",
        "overrides": {
            "steps": steps,
            "g_hidden": 32,
            "d_hidden": 32,
            "batch_size": 64,
            "samples_every": 100,
            "quality_every": 100,
            "heatmap_size": 8,
            "n_samples": 64,
            "checkpoint_every": 0,
            **overrides,
        },
    }


def make_settings(root: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db": root / "ganwatch.db",
        "runs_dir": root / "runs",
        "data_dir": root / "data",
        "max_concurrent_runs": 2,
        "max_steps": LONG,
        "stop_timeout": 20.0,
        "allowed_hosts": ["testserver", "127.0.0.1", "localhost"],
        # the rate tiny runs train at here, so the cost limits admit their dense reporting
        "peak_steps_per_second": 300.0,
        **overrides,
    }
    return Settings(**values)


def wait_run(
    client: TestClient,
    run_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """Poll the run until ``done`` holds for it; fails after ``timeout`` or when it ends."""
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if done(run):
            return run
        if run["status"] in FINAL or time.monotonic() > deadline:
            raise AssertionError(f"run {run_id}: condition not met; last seen {run}")
        time.sleep(0.05)


def launch(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/runs", json=body)
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run
