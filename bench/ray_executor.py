"""Benchmark 11: the Ray executor beside the local one, each under a real `ganwatch serve`.

For each executor, one server (``GANWATCH_EXECUTOR``; Ray is the local Ray the server
starts itself), one slot, and per round one ring-8 run of ``--steps`` steps, watched
over a websocket:

- launch: ``POST /api/runs`` to the first metrics frame, ``--settle`` seconds after the
  server is up or the last run ended; the first round is *cold* (for Ray: the first actor
  on a cluster that has just started), the later ones *warm*;
- steps/s: steps between the first and the last metrics frame over the seconds between
  their arrival (the run's own training rate as a viewer sees it);
- latency: metrics frame creation in the trainer (its ``wall``) to its arrival, p50/p99.

    python -m bench.ray_executor [--rounds 3] [--steps 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field

import httpx
import websockets

from bench.serverlib import percentile, running_server

SMOKE = ["--rounds", "2", "--steps", "100", "--executors", "ray", "--settle", "1"]


@dataclass
class Round:
    launch: float = 0.0
    rate: float = 0.0
    latencies: list[float] = field(default_factory=list)


async def one_run(url: str, ws_url: str, steps: int) -> Round:
    overrides = {"steps": steps, "device": "cpu", "metrics_every": 25, "quality_every": 1000}
    result = Round()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        start = time.time()
        r = await client.post("/api/runs", json={"preset": "ring-8", "overrides": overrides})
        r.raise_for_status()
        run_id = r.json()["id"]
        seen: list[tuple[float, int]] = []
        async with websockets.connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
            async for raw in ws:
                received = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "metrics":
                    seen.append((received, frame["step"]))
                    result.latencies.append(received - frame["wall"])
                if frame.get("type") == "status" and frame["status"] in ("completed", "failed"):
                    if frame["status"] == "failed":
                        raise RuntimeError(f"run failed: {frame.get('reason')}")
                    break
    result.launch = seen[0][0] - start
    (t0, s0), (t1, s1) = seen[0], seen[-1]
    result.rate = (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")
    return result


def measure(executor: str, rounds: int, steps: int, settle: float) -> list[Round]:
    with running_server(executor=executor, max_concurrent_runs="1") as server:
        results = []
        for _ in range(rounds):
            time.sleep(settle)  # a warm worker (a prestarted Ray worker) imports torch meanwhile
            results.append(asyncio.run(one_run(server.url, server.ws_url, steps)))
        return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--executors", nargs="+", default=["local", "ray"])
    parser.add_argument("--settle", type=float, default=8.0, help="seconds before each launch")
    args = parser.parse_args(argv)
    results = {name: measure(name, args.rounds, args.steps, args.settle) for name in args.executors}
    print(f"bench ray_executor: rounds={args.rounds} steps={args.steps}")
    for name, got in results.items():
        warm = [r.launch for r in got[1:]] or [float("nan")]
        lat = [1000 * v for r in got for v in r.latencies]
        print(
            f"  {name:5}: launch cold {1000 * got[0].launch:6.0f} ms  "
            f"warm {1000 * statistics.median(warm):6.0f} ms  "
            f"steps/s {statistics.median(r.rate for r in got):7.1f}  "
            f"latency p50 {percentile(lat, 0.5):5.1f} ms  p99 {percentile(lat, 0.99):6.1f} ms"
        )
    for name, got in results.items():
        if len(got) > 1:
            warm_launch = statistics.median(r.launch for r in got[1:])
            print(f"ratio {name} launch cold/warm = {got[0].launch / warm_launch:.1f}x")
    if {"local", "ray"} <= results.keys():
        rate = {name: statistics.median(r.rate for r in got) for name, got in results.items()}
        print(f"ratio ray/local steps/s = {rate['ray'] / rate['local']:.2f}x")


if __name__ == "__main__":
    main()
