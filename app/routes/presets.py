"""Read-only catalogue: presets and the RunConfig JSON schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import TokenDep
from app.schemas import PresetsPublic, errors
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


@router.get("/config-schema", response_model=dict[str, Any])
async def config_schema() -> dict[str, Any]:
    """RunConfig's JSON schema: groups, descriptions, bounds, enums and defaults."""
    return RunConfig.model_json_schema()
