"""Benchmarks 2 and 3: training under the server vs headless, and event latency.

One server in a subprocess; the same ring-8 config runs headless
(``ganwatch train``) and through ``POST /api/runs`` with 0, 1 and 50 websocket
viewers attached, in an order rotated each round; medians. Run time is the run's own start-to-finish
(``started_at`` to ``finished_at`` on the server, ``seconds`` of the CLI
summary: both include the same samples and quality work). Event latency is the
time from the trainer making a metrics frame (its ``wall`` stamp) to a viewer
receiving it, on the same machine's clock: p50 / p99 / max over all viewers.

    python -m bench.server_vs_headless [--steps 3000] [--viewers 0 1 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
from datetime import datetime
from typing import Any

from bench.serverlib import Viewer, create_run, percentile, running_server, wait_completed, watch

SMOKE = ["--steps", "30", "--viewers", "0", "2", "--rounds", "1"]


def headless_seconds(steps: int, overrides: dict[str, Any] | None = None) -> float:
    """Seconds of ``ganwatch train --preset ring-8`` with ``overrides`` (``--set`` values)."""
    settings = (overrides or {}).items()
    sets = [arg for name, value in settings for arg in ("--set", f"{name}={value}")]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "train",
            "--preset",
            "ring-8",
            "--steps",
            str(steps),
            "--quiet",
            "--device",
            "cpu",
            *sets,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def run_seconds(run: dict[str, object]) -> float:
    start = datetime.fromisoformat(str(run["started_at"]))
    end = datetime.fromisoformat(str(run["finished_at"]))
    return (end - start).total_seconds()


async def served(url: str, ws_url: str, steps: int, n_viewers: int) -> tuple[float, list[float]]:
    run = create_run(url, "ring-8", {"steps": steps, "device": "cpu"})
    viewers = [Viewer() for _ in range(n_viewers)]
    await asyncio.gather(*(watch(ws_url, run["id"], v) for v in viewers))
    final = await asyncio.to_thread(wait_completed, url, run["id"])
    return run_seconds(final), [lat for v in viewers for lat in v.metrics_latencies]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--viewers", nargs="+", type=int, default=[0, 1, 50])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"bench server_vs_headless: ring-8 steps={args.steps} rounds={args.rounds}")
    times: dict[str, list[float]] = {"headless": [], **{str(n): [] for n in args.viewers}}
    latencies: dict[str, list[float]] = {name: [] for name in times if name != "headless"}
    with running_server(max_concurrent_runs="1", max_viewers="200") as server:
        for round_ in range(args.rounds):
            order = list(times)
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for name in order:  # rotated each round: no setup always runs first or last
                if name == "headless":
                    times[name].append(headless_seconds(args.steps))
                    continue
                seconds, lats = asyncio.run(
                    served(server.url, server.ws_url, args.steps, int(name))
                )
                times[name].append(seconds)
                latencies[name] += lats
    base = args.steps / statistics.median(times.pop("headless"))
    print(f"  headless        {base:8.1f} steps/s (median of {args.rounds})")
    for name, rounds in times.items():
        rate = args.steps / statistics.median(rounds)
        print(
            f"  server, {int(name):2d} viewers {rate:7.1f} steps/s   "
            f"ratio server/headless = {rate / base:.2f}x"
        )
    for name, lats in latencies.items():
        if not lats:
            continue
        ms = [1000 * x for x in lats]
        print(
            f"event latency, {int(name):2d} viewers, over {len(ms)} metrics frames: "
            f"p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
            f"max {max(ms):.1f} ms"
        )


if __name__ == "__main__":
    main()
