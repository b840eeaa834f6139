"""The FastAPI application: ``create_app()`` builds it, ``serve()`` runs it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.hub import Hub
from app.manager import ExecutorFactory, RunManager
from app.routes import pages, presets, runs, stream
from app.settings import Settings
from app.store import Store

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"


def create_app(settings: Settings | None = None,
               executor_factory: ExecutorFactory | None = None) -> FastAPI:
    """The app; workers and the database only start with its lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db)
        await asyncio.to_thread(store.open)
        hub = Hub(settings.max_viewers)
        manager = RunManager(settings, store, hub, executor_factory)
        app.state.store, app.state.hub, app.state.manager = store, hub, manager
        await manager.start()
        log.info("ganwatch: %d run slot(s), database %s", manager.slots, settings.db)
        try:
            yield
        finally:
            await manager.shutdown()
            await asyncio.to_thread(store.close)

    app = FastAPI(title="ganwatch", summary="Live GAN training dashboard", lifespan=lifespan)
    app.state.settings = settings
    for module in (runs, presets, stream, pages):
        app.include_router(module.router)
    app.mount("/static/vendor", StaticFiles(directory=PLOTLY_DIR), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


def serve(host: str | None = None, port: int | None = None) -> None:
    """Run the dashboard with uvicorn (host and port default to the settings)."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                ws_per_message_deflate=settings.ws_compression)


app = create_app()
