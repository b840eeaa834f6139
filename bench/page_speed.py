"""Benchmark 10: how soon a live run page shows its first chart, and what Plotly costs.

A ring-8 run trains on a real server while Chromium opens its page, on a first visit (a
fresh context: nothing cached) and on a later one (the same context, as a returning
user: Plotly and the scripts come from the cache): the medians of navigation to status
and step shown, to the loss curve drawn and to every plot drawn, polled from Playwright,
and the page's own ``ganwatch:first-chart`` performance mark (its first step chart drawn).
Then a bare page with nothing but one ``<script>`` runs the vendored cartesian bundle and,
when the ``plotly`` Python package is installed, its full bundle: navigation to
``window.Plotly`` defined.

    python -m bench.page_speed [--loads 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib.util import find_spec
from pathlib import Path

import httpx

from app.routes.pages import PLOTLY_SRC
from bench.history_scale import ALL_DRAWN, LOSS_DRAWN, USABLE
from bench.serverlib import CHROMIUM, CHROMIUM_ARGS, create_run, running_server

SMOKE = ["--loads", "1"]
# The page's own performance mark when its first chart is drawn, from navigation start: the
# polled marks above are late by whatever holds the page's thread when they are due to poll.
FIRST_CHART = "marked"
MARKED = "performance.getEntriesByName('ganwatch:first-chart')[0].startTime"


def full_bundle() -> Path | None:
    """The plotly package's full bundle, when that package is installed."""
    spec = find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"bench page_speed: loads={args.loads}")
    if not Path(CHROMIUM).exists():
        print("  no Chromium: nothing measured")
        return
    from playwright.sync_api import Page, Route, sync_playwright

    marks = {"usable": USABLE, "loss curve": LOSS_DRAWN, "all plots": ALL_DRAWN}
    names = [*marks, FIRST_CHART]
    page_ms: dict[str, list[float]] = {name: [] for name in names}  # a first visit
    warm_ms: dict[str, list[float]] = {name: [] for name in names}  # a later one (cached)
    bare_ms: dict[str, list[float]] = {"cartesian (vendored)": []}
    full = full_bundle()
    if full is not None:
        bare_ms["full (plotly package)"] = []
    with running_server() as server, sync_playwright() as p:
        run = create_run(server.url, "ring-8", {"steps": 200_000, "device": "cpu"})
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def bare(route: Route) -> None:
            src = PLOTLY_SRC if route.request.url.endswith("cartesian") else "/full-plotly.js"
            route.fulfill(body=f"<script src='{src}'></script>", content_type="text/html")

        def load(page: Page, into: dict[str, list[float]]) -> None:
            t = time.perf_counter()
            page.goto(f"{server.url}/runs/{run['id']}", wait_until="commit")
            for name, condition in marks.items():
                page.wait_for_function(condition, polling=10, timeout=60_000)
                into[name].append(1000 * (time.perf_counter() - t))
            into[FIRST_CHART].append(page.evaluate(MARKED))

        # The predicates are strings Playwright evaluates, which the page's CSP forbids.
        warm = browser.new_context(bypass_csp=True)
        warm_page = warm.new_page()
        load(warm_page, {name: [] for name in names})  # fills the cache, as a first visit does
        for _ in range(args.loads):
            context = browser.new_context(bypass_csp=True)
            load(context.new_page(), page_ms)
            context.close()
            load(warm_page, warm_ms)
            for name in bare_ms:
                context = browser.new_context(bypass_csp=True)
                page = context.new_page()
                page.route("**/bare-*", bare)
                if full is not None:
                    page.route(
                        "**/full-plotly.js",
                        lambda r: r.fulfill(path=full, content_type="text/javascript"),
                    )
                kind = "cartesian" if name.startswith("cartesian") else "full"
                t = time.perf_counter()
                page.goto(f"{server.url}/bare-{kind}", wait_until="commit")
                page.wait_for_function("window.Plotly !== undefined", polling=10)
                bare_ms[name].append(1000 * (time.perf_counter() - t))
                context.close()
        browser.close()
        httpx.post(f"{server.url}/api/runs/{run['id']}/stop", timeout=30)
    for name in names:
        print(
            f"  run page, {name:10s} first visit {statistics.median(page_ms[name]):6.0f} ms, "
            f"later visit {statistics.median(warm_ms[name]):6.0f} ms (medians of {args.loads})"
        )
    first, later = (statistics.median(ms["loss curve"]) for ms in (page_ms, warm_ms))
    print(f"  ratio first / later visit, loss curve = {first / later:.2f}x")
    for name, ms in bare_ms.items():
        print(f"  bare page, Plotly {name:22s} {statistics.median(ms):7.0f} ms")
    if len(bare_ms) == 2:
        a, b = (statistics.median(ms) for ms in bare_ms.values())
        print(f"  ratio full / cartesian start-up = {b / a:.2f}x")


if __name__ == "__main__":
    main()
