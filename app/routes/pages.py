"""HTML pages: runs list + launch form, live run page, compare page.

The pages are thin shells: everything they show comes from the REST API and the
websockets, so a page and a script see the same data.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    """Runs list (live over /ws/runs) and the launch form generated from RunConfig's schema."""
    return TEMPLATES.TemplateResponse(request, "index.html", {"page": "runs"})


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> HTMLResponse:
    """The live run page: plots, alerts and controls for one run."""
    return TEMPLATES.TemplateResponse(request, "run.html", {"page": "run", "run_id": run_id})


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, ids: str = "") -> HTMLResponse:
    """Two or more runs' curves overlaid."""
    run_ids = [i for i in ids.split(",") if i]
    return TEMPLATES.TemplateResponse(request, "compare.html", {"page": "compare", "ids": run_ids})
