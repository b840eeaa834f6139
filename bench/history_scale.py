"""Benchmark 6: a 200 000-step run — server memory, SQLite growth, and reads of the history.

Small nets so the run takes minutes. While it trains, the server's resident
memory and the database size (with its WAL) are sampled; after it, the timings
of ``GET /api/runs/{id}/metrics?max_points=2000``, of the run page's HTML and of
the websocket snapshot (connect to first frame) are taken.

    python -m bench.history_scale [--steps 200000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import httpx
import websockets.sync.client

from bench.serverlib import CHROMIUM, CHROMIUM_ARGS, create_run, running_server

SMOKE = ["--steps", "300", "--every", "0.2"]
SMALL = {"g_hidden": 16, "d_hidden": 16, "batch_size": 64, "device": "cpu", "ema": 0.0}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def timed(fn: object, n: int = 5) -> float:
    """Median milliseconds of n calls."""
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(1000 * (time.perf_counter() - t))
    return statistics.median(samples)


USABLE = (  # null-safe: polling can start before the page's body is parsed
    "(document.getElementById('status')?.textContent ?? 'connecting') !== 'connecting' && "
    "Number(document.getElementById('step')?.textContent) > 0"
)
LOSS_DRAWN = "document.getElementById('loss-plot').uplot?.data[0].length > 0"
ALL_DRAWN = (
    LOSS_DRAWN + " && document.getElementById('quality-plot').data?.length > 0 && "
    "(document.getElementById('data-plot').data?.length > 0 || "
    "!document.getElementById('plane').hidden || "
    "!document.getElementById('images').hidden)"
)


def page_timings(url: str) -> dict[str, float] | None:
    """Median ms from navigation to: status and step shown, loss curve drawn, every plot drawn.

    Each sample opens the page in a fresh browser context (nothing cached), in Chromium.
    """
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    marks = {"usable": USABLE, "loss curve": LOSS_DRAWN, "all plots": ALL_DRAWN}
    samples: dict[str, list[float]] = {name: [] for name in marks}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(3):
            # The predicates are strings Playwright evaluates, which the page's CSP forbids.
            context = browser.new_context(bypass_csp=True)
            page = context.new_page()
            t = time.perf_counter()
            page.goto(url, wait_until="commit")
            for name, condition in marks.items():
                page.wait_for_function(condition, polling=10)
                samples[name].append(1000 * (time.perf_counter() - t))
            context.close()
        browser.close()
    return {name: statistics.median(ms) for name, ms in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args(argv)
    with running_server() as server, httpx.Client(base_url=server.url, timeout=60) as client:
        run = create_run(server.url, "ring-8", {**SMALL, "steps": args.steps})
        trace: list[tuple[int, float, int]] = []  # (step, rss MiB, db bytes)
        while True:
            state = client.get(f"/api/runs/{run['id']}").json()
            trace.append((state["step"], rss_mib(server.process.pid), db_bytes(server.db)))
            if state["status"] in ("completed", "stopped", "failed"):
                break
            time.sleep(args.every)
        if state["status"] != "completed":
            raise RuntimeError(f"run ended {state['status']}: {state.get('reason')}")
        time.sleep(1.5)  # the store's writer flushes its last batch
        final_bytes = db_bytes(server.db)
        url = f"/api/runs/{run['id']}/metrics"
        metrics_ms = timed(lambda: client.get(url, params={"max_points": 2000}).raise_for_status())
        points = len(client.get(url, params={"max_points": 2000}).json()["steps"])
        page = f"/runs/{run['id']}"
        page_ms = (
            timed(lambda: client.get(page).raise_for_status())
            if client.get(page).status_code == 200
            else None
        )

        def snapshot() -> None:
            with websockets.sync.client.connect(
                f"{server.ws_url}/ws/runs/{run['id']}", max_size=None
            ) as ws:
                assert json.loads(ws.recv())["type"] == "snapshot"

        snapshot_ms = timed(snapshot)
        page_marks = page_timings(f"{server.url}{page}") if page_ms is not None else None
    rss = [r for _, r, _ in trace]
    print(f"bench history_scale: ring-8 steps={args.steps} (small nets)")
    print(
        f"  server RSS: start {rss[0]:.0f} MiB, max {max(rss):.0f} MiB, end {rss[-1]:.0f} MiB "
        f"over {len(trace)} samples"
    )
    print(
        f"  SQLite: {final_bytes / 1e6:.1f} MB in all, {final_bytes / args.steps * 1000:.0f} "
        f"bytes per 1 000 steps"
    )
    mid = next(((s, b) for s, _, b in trace if s >= args.steps // 2 and s > 0), None)
    if mid is not None:
        print(
            f"  linear growth: {mid[1] / mid[0] * 1000:.0f} bytes per 1 000 steps at step "
            f"{mid[0]}, {final_bytes / args.steps * 1000:.0f} at the end"
        )
    page_text = "not served" if page_ms is None else f"{page_ms:.1f} ms"
    print(
        f"  GET metrics?max_points=2000: {metrics_ms:.1f} ms ({points} points); "
        f"run page HTML {page_text}; websocket snapshot {snapshot_ms:.1f} ms"
    )
    if page_marks is not None:
        print(
            "  run page in Chromium, from navigation: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in page_marks.items())
        )
    print(f"ratio RSS end/start = {rss[-1] / rss[0]:.2f}x")


if __name__ == "__main__":
    main()
