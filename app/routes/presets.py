"""Read-only catalogue: presets, datasets, the RunConfig JSON schema, and health."""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter

from app.deps import RunManagerDep, SettingsDep
from app.schemas import DatasetsPublic, Health, PresetsPublic
from gan_core.catalog import dataset_catalog
from gan_core.config import RunConfig
from gan_core.presets import PRESET_DESCRIPTIONS, PRESETS, preset_config

router = APIRouter(prefix="/api", tags=["catalogue"])


def app_version() -> str:
    try:
        return version("ganwatch")
    except PackageNotFoundError:
        return "unknown"


@router.get("/presets", response_model=PresetsPublic)
async def list_presets() -> Any:
    """Every preset with its full config, in the launch form's order."""
    data = [
        {"name": name, "description": PRESET_DESCRIPTIONS.get(name, ""),
         "config": preset_config(name).model_dump()}
        for name in PRESETS
    ]
    return {"data": data, "count": len(data)}


@router.get("/datasets", response_model=DatasetsPublic)
async def list_datasets(settings: SettingsDep) -> Any:
    """Every dataset and whether its files are here (the image sets look in data_dir)."""
    data = await asyncio.to_thread(dataset_catalog, str(settings.data_dir))
    return {"data": data, "count": len(data)}


@router.get("/config-schema")
async def config_schema() -> dict[str, Any]:
    """RunConfig's JSON schema: groups, descriptions, bounds, enums and defaults."""
    return RunConfig.model_json_schema()


@router.get("/health", response_model=Health)
async def health(manager: RunManagerDep) -> Any:
    running, queued = manager.counts()
    return {"status": "ok", "runs_running": running, "runs_queued": queued,
            "version": app_version()}
