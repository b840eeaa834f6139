"""Fixtures for the server tests: settings on tmp paths and a started app per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from app_helpers import FINAL, make_settings, wait_run
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One started app per test module: its warm worker serves the module's runs."""
    with TestClient(create_app(make_settings(tmp_path_factory.mktemp("app")))) as client:
        yield client


@pytest.fixture
def client(shared_client: TestClient) -> Iterator[TestClient]:
    """The module's app; runs a test leaves live are stopped and waited for."""
    yield shared_client
    for run in shared_client.get("/api/runs", params={"limit": 1000}).json()["data"]:
        if run["status"] in ("queued", "running", "paused"):
            shared_client.post(f"/api/runs/{run['id']}/stop")
            wait_run(shared_client, run["id"], lambda r: r["status"] in FINAL)
