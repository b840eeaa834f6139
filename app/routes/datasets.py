"""REST for datasets: the catalogue, and point sets people upload, draw or delete."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, UploadFile, status

from app.deps import RunManagerDep, SettingsDep, TokenDep
from app.schemas import DatasetPublic, DatasetsPublic, errors
from app.uploads import NameTaken
from gan_core.catalog import dataset_catalog, has_image_folder, image_folders
from gan_core.plugins import dataset_entries, dataset_plugins
from gan_core.pointsets import NAME_PATTERN, PointsRefused

router = APIRouter(prefix="/api/datasets", tags=["datasets"], dependencies=[TokenDep])

DatasetName = Annotated[str, Path(pattern=NAME_PATTERN, max_length=40)]


@router.get("", response_model=DatasetsPublic, responses=errors())
async def list_datasets(settings: SettingsDep, manager: RunManagerDep) -> Any:
    """Every dataset: the built-in ones (image sets say whether their files are in
    data_dir), the image folders in data_dir by name, the dataset plugins installed here
    (with the JSON schema of their ``dataset_params``), then the point sets uploaded to this
    server, oldest first."""
    builtin = await asyncio.to_thread(dataset_catalog, str(settings.data_dir))
    folders = await asyncio.to_thread(image_folders, str(settings.data_dir))
    plugins = await asyncio.to_thread(dataset_entries)
    uploaded = await asyncio.to_thread(manager.uploads.list)
    data = builtin + folders + plugins + uploaded
    return {"data": data, "count": len(data)}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetPublic,
    responses=errors(409, 413, 422),
)
async def upload_dataset(
    manager: RunManagerDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile,
        File(description="CSV (1 or 2 numeric columns, optional header) or .npy (N,), (N, 2)."),
    ],
    name: Annotated[
        str, Form(description="The set's name: a slug, e.g. my-points.", max_length=40)
    ],
) -> Any:
    """Keep a 1-D or 2-D point set under ``name``, for runs to train on (``dataset``).

    422 says why a file is refused (not numbers, NaN or inf, 3 columns, empty, too many
    points, a name that is not a slug); 409 when the name is taken (by a built-in set, an
    image folder, a dataset plugin or another upload). Nothing of a refused
    file is kept.
    """
    data = await file.read()
    if await asyncio.to_thread(has_image_folder, name, settings.data_dir):
        raise HTTPException(status.HTTP_409_CONFLICT, f"{name!r} is an image folder's name")
    if name in await asyncio.to_thread(dataset_plugins):
        raise HTTPException(status.HTTP_409_CONFLICT, f"{name!r} is a dataset plugin's name")
    try:
        return await asyncio.to_thread(manager.uploads.add, name, data, file.filename or name)
    except NameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except PointsRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404, 409, 422))
async def delete_dataset(manager: RunManagerDep, name: DatasetName) -> None:
    """Delete an uploaded set; 409 while a queued, running or paused run trains on it."""
    # No await from the check to the unlink: no run can be queued on the set in between.
    using = manager.runs_using(name)
    if using:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"dataset {name!r} is in use by run(s) {', '.join(using)}; stop them first",
        )
    if not manager.uploads.delete(name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Dataset not found")
