"""Read-only catalogue: presets, datasets and the RunConfig JSON schema."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from app.deps import SettingsDep, TokenDep
from app.schemas import DatasetsPublic, PresetsPublic, errors
from gan_core.catalog import dataset_catalog
from gan_core.config import RunConfig
from gan_core.presets import PRESET_DESCRIPTIONS, PRESETS, preset_config

router = APIRouter(prefix="/api", tags=["catalogue"], dependencies=[TokenDep], responses=errors())


@router.get("/presets", response_model=PresetsPublic)
async def list_presets() -> Any:
    """Every preset with its full config, in the launch form's order."""
    data = [
        {
            "name": name,
            "description": PRESET_DESCRIPTIONS.get(name, ""),
            "config": preset_config(name).model_dump(),
        }
        for name in PRESETS
    ]
    return {"data": data, "count": len(data)}


@router.get("/datasets", response_model=DatasetsPublic)
async def list_datasets(settings: SettingsDep) -> Any:
    """Every dataset and whether its files are here (the image sets look in data_dir)."""
    data = await asyncio.to_thread(dataset_catalog, str(settings.data_dir))
    return {"data": data, "count": len(data)}


@router.get("/config-schema", response_model=dict[str, Any])
async def config_schema() -> dict[str, Any]:
    """RunConfig's JSON schema: groups, descriptions, bounds, enums and defaults."""
    return RunConfig.model_json_schema()
