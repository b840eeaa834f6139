"""Benchmark 4: ``POST /api/runs`` to the first metrics frame on a websocket.

Warm: the server has had time to start its warm worker (torch imported), and
one run is launched. Cold: two runs are launched at once; the first takes the
warm worker and the second must start a fresh process. Both are timed from just
before the POST to the arrival of the first ``metrics`` frame.

    python -m bench.launch_latency [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from bench.serverlib import Viewer, running_server, watch

SMOKE = ["--rounds", "1", "--settle", "1"]
TINY = {"steps": 200, "g_hidden": 32, "d_hidden": 32, "device": "cpu", "metrics_every": 10}


async def launch(client: httpx.AsyncClient, ws_url: str) -> float:
    """Seconds from the POST to the first metrics frame; the run is stopped after it."""
    start = time.time()
    r = await client.post("/api/runs", json={"preset": "ring-8", "overrides": TINY})
    r.raise_for_status()
    run_id = r.json()["id"]
    viewer = Viewer()
    task = asyncio.create_task(watch(ws_url, run_id, viewer))
    while viewer.first_metrics_at is None and not task.done():
        await asyncio.sleep(0.005)
    await client.post(f"/api/runs/{run_id}/stop")
    await asyncio.wait_for(task, 60)
    assert viewer.first_metrics_at is not None, "no metrics frame arrived"
    return viewer.first_metrics_at - start


async def rounds(url: str, ws_url: str, n: int, settle: float) -> tuple[list[float], list[float]]:
    warm, cold = [], []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(n):
            await asyncio.sleep(settle)  # the warm worker imports torch meanwhile
            warm.append(await launch(client, ws_url))
            await asyncio.sleep(settle)
            first, second = await asyncio.gather(launch(client, ws_url), launch(client, ws_url))
            cold.append(max(first, second))
    return warm, cold


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds between launches")
    args = parser.parse_args(argv)
    with running_server(max_concurrent_runs="2") as server:
        warm, cold = asyncio.run(rounds(server.url, server.ws_url, args.rounds, args.settle))
    print(f"bench launch_latency: rounds={args.rounds}")
    for name, values in (("warm", warm), ("cold", cold)):
        ms = [1000 * v for v in values]
        print(
            f"  {name}: median {statistics.median(ms):7.0f} ms  min {min(ms):7.0f}  "
            f"max {max(ms):7.0f}"
        )
    print(f"ratio cold/warm = {statistics.median(cold) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    main()
