"""HTML pages: runs list + launch form, live run page, compare page.

The pages are thin shells: everything they show comes from the REST API and the
websockets, so a page and a script see the same data. Plotly.js (the cartesian bundle) and
uPlot (the run page's step charts, which must show before Plotly has started) are vendored
in ``static/vendor``, their versions in the file names (refreshed by
``scripts/vendor-plotly.sh`` and ``scripts/vendor-uplot.sh``), never a CDN.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from app import lifecycle

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Jinja2Templates(directory=ROOT / "templates")
PLOTLY_JS = next((ROOT / "static" / "vendor").glob("plotly-cartesian-*.min.js"))
PLOTLY_SRC = f"/static/vendor/{PLOTLY_JS.name}"
UPLOT_JS = next((ROOT / "static" / "vendor").glob("uPlot-*.iife.min.js"))
UPLOT_CSS = next((ROOT / "static" / "vendor").glob("uPlot-*.min.css"))
# The version is in the name, so a browser may keep the file for good.
VENDOR_CACHE = "public, max-age=31536000, immutable"
JS_DIR = ROOT / "static" / "js"
_IMPORT = re.compile(r'^import [^;]*? from "\./([\w-]+\.js)";', re.MULTILINE)


@cache
def modules(entry: str) -> list[str]:
    """``entry`` and every module it imports, at any depth: what a page can preload at once
    instead of discovering it one import level per round trip."""
    found: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in found:
            found.append(name)
            todo += _IMPORT.findall((JS_DIR / name).read_text())
    return found


TEMPLATES.env.globals["plotly_src"] = PLOTLY_SRC
TEMPLATES.env.globals["uplot_src"] = f"/static/vendor/{UPLOT_JS.name}"
TEMPLATES.env.globals["uplot_css"] = f"/static/vendor/{UPLOT_CSS.name}"
TEMPLATES.env.globals["modules"] = modules
TEMPLATES.env.globals["lifecycle"] = lifecycle.as_json()

router = APIRouter(tags=["pages"], include_in_schema=False)


@cache
def _plotly_gzip() -> bytes:
    """The bundle compressed once: 1.5 MB becomes ~0.5 MB on the wire."""
    return gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=6)


@router.get(PLOTLY_SRC)
def plotly_js(request: Request) -> Response:
    """Plotly.js, gzipped when the browser takes it (declared before the /static mount)."""
    headers = {"Cache-Control": VENDOR_CACHE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            _plotly_gzip(),
            media_type="text/javascript",
            headers={**headers, "Content-Encoding": "gzip"},
        )
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=headers)


@router.get("/", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    """Runs list (live over /ws/runs) and the launch form generated from RunConfig's schema."""
    return TEMPLATES.TemplateResponse(request, "index.html", {"page": "runs", "entry": "index.js"})


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> HTMLResponse:
    """The live run page: plots, alerts and controls for one run."""
    return TEMPLATES.TemplateResponse(
        request, "run.html", {"page": "run", "entry": "run.js", "run_id": run_id}
    )


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, ids: str = "") -> HTMLResponse:
    """Two or more runs' curves overlaid."""
    run_ids = [i for i in ids.split(",") if i]
    return TEMPLATES.TemplateResponse(
        request, "compare.html", {"page": "compare", "entry": "compare.js", "ids": run_ids}
    )
