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
    """Runs training and waiting, and whether the store commits (``degraded`` if not)."""
    running, queued = manager.counts()
    store_health = await asyncio.to_thread(store.health)
    return {
        "status": "ok" if store_health["state"] == "ok" else "degraded",
        "runs_running": running,
        "runs_queued": queued,
        "version": app_version(),
        "store": store_health,
    }
