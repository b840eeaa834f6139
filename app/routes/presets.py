"""Read-only catalogue: presets, model families and the RunConfig JSON schema."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from app.deps import TokenDep
from app.schemas import ModelsPublic, PresetsPublic, errors
from gan_core.config import RunConfig
from gan_core.plugins import entry, model_plugins
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


BUILTIN_MODEL_DESCRIPTIONS = {
    "mlp": "the lecture's MLP pair, for 1-D and 2-D data (and flattened images)",
    "dcgan": "DCGAN's convolutional pair, for images of 8, 28, 32 or 64 pixels a side",
}


def _models() -> list[dict[str, Any]]:
    builtin: list[dict[str, Any]] = [
        {"name": name, "description": text, "plugin": False, "params_schema": None}
        for name, text in BUILTIN_MODEL_DESCRIPTIONS.items()
    ]
    return builtin + [entry(name, plugin) for name, plugin in model_plugins().items()]


@router.get("/models", response_model=ModelsPublic)
async def list_models() -> Any:
    """The model families: mlp and dcgan, then the model plugins installed on this server
    (``ganwatch.models`` entry points) with the JSON schema of their ``model_params``."""
    data = await asyncio.to_thread(_models)
    return {"data": data, "count": len(data)}
