"""The FastAPI application: ``create_app()`` builds it, ``serve()`` runs it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from app.guard import Guard
from app.hub import Hub
from app.manager import ExecutorFactory, RunManager
from app.routes import datasets, health, pages, presets, runs, stream
from app.settings import LOOPBACK_HOSTS, Settings
from app.store import Store
from app.tickets import Tickets
from gan_core.events import finite

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(
    settings: Settings | None = None, executor_factory: ExecutorFactory | None = None
) -> FastAPI:
    """The app; workers and the database only start with its lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db)
        await asyncio.to_thread(store.open)
        hub = Hub(settings.max_viewers, settings.max_viewers_per_client)
        manager = RunManager(settings, store, hub, executor_factory)
        app.state.store, app.state.hub, app.state.manager = store, hub, manager
        app.state.tickets = Tickets()
        await manager.start()
        log.info("ganwatch: %d run slot(s), database %s", manager.slots, settings.db)
        try:
            yield
        finally:
            await manager.shutdown()
            await asyncio.to_thread(store.close)

    app = FastAPI(
        title="ganwatch",
        summary="Live GAN training dashboard",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.add_middleware(Guard, settings=settings)
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    for module in (runs, presets, health, stream, pages):
        app.include_router(module.router)
    app.include_router(datasets.router, max_body_size=settings.max_upload_bytes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 as FastAPI words it, but strict JSON: a NaN given as input is echoed as null."""
    return JSONResponse(status_code=422, content=finite(jsonable_encoder({"detail": exc.errors()})))


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the dashboard with uvicorn (host and port default to the settings)."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    bind = host or settings.host
    settings = settings.model_copy(update={"host": bind})  # the Host check admits it
    if bind not in LOOPBACK_HOSTS and settings.token is None:
        log.warning(
            "serving on %s without GANWATCH_TOKEN: anyone who can reach this port can "
            "launch, stop and delete runs; set GANWATCH_TOKEN",
            bind,
        )
    uvicorn.run(
        create_app(settings),
        host=bind,
        port=port or settings.port,
        ws_per_message_deflate=settings.ws_compression,
    )


app = create_app()
