"""``GET /api/health``: the one API route that needs no token (for probes and load balancers)."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter

from app.deps import RunManagerDep, StoreDep
from app.schemas import Health, errors

router = APIRouter(prefix="/api", tags=["health"])


def app_version() -> str:
    try:
        return version("ganwatch")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health", response_model=Health, responses=errors())
async def health(manager: RunManagerDep, store: StoreDep) -> Any:
    """Runs training and waiting, whether the store commits and the executor can launch
    (``degraded`` if not)."""
    running, queued = manager.counts()
    store_health = await asyncio.to_thread(store.health)
    executor = manager.executor.health()
    fine = store_health["state"] == "ok" and executor["state"] == "ok"
    return {
        "status": "ok" if fine else "degraded",
        "executor": executor,
        "runs_running": running,
        "runs_queued": queued,
        "version": app_version(),
        "store": store_health,
    }
