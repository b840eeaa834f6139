"""Benchmark 3b: how many events the hub delivers to many viewers at once.

One run with a metrics frame every step (the most frames a run can make) and N
websocket viewers attached; each viewer counts its frames and the metric steps they
carry. Frames a viewer could not take in time are coalesced by the hub (metrics
merged, latest samples kept), so the steps delivered should still be all of them.

    python -m bench.fanout [--viewers 50] [--steps 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import websockets

from bench.serverlib import create_run, running_server, wait_completed

SMOKE = ["--viewers", "2", "--steps", "50"]
SMALL = {
    "g_hidden": 16,
    "d_hidden": 16,
    "batch_size": 64,
    "device": "cpu",
    "ema": 0.0,
    "metrics_every": 1,
    "metrics_per_second": 0,  # not capped by the clock: a frame every step
    "samples_every": 250,
    "quality_every": 1000,
}


async def follow(ws_url: str, run_id: str, counts: list[int]) -> None:
    """Count frames and metric steps until the run's final status; counts += [frames, steps]."""
    frames = steps = 0
    async with websockets.connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        async for raw in ws:
            frame = json.loads(raw)
            frames += 1
            if frame["type"] == "snapshot":
                steps += len(frame["history"]["metrics"]["steps"])
            elif frame["type"] == "metrics":
                steps += len(frame["steps"])
            elif frame["type"] == "status" and frame["status"] in ("completed", "failed"):
                break
    counts += [frames, steps]


async def measure(url: str, ws_url: str, viewers: int, steps: int) -> tuple[float, list[int]]:
    run = create_run(url, "ring-8", {**SMALL, "steps": steps})
    counts: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(*(follow(ws_url, run["id"], counts) for _ in range(viewers)))
    seconds = time.perf_counter() - start
    await asyncio.to_thread(wait_completed, url, run["id"])
    return seconds, counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args(argv)
    # metrics every step on purpose (a frame per step to fan out): over the default cost limit
    with running_server(
        max_viewers=str(max(100, args.viewers)), max_frames_per_second="5000"
    ) as server:
        seconds, counts = asyncio.run(measure(server.url, server.ws_url, args.viewers, args.steps))
    frames, steps = sum(counts[0::2]), sum(counts[1::2])
    print(
        f"bench fanout: ring-8 (small nets, metrics every step) steps={args.steps} "
        f"viewers={args.viewers}"
    )
    print(
        f"  {frames / seconds:8.0f} frames/s delivered in all ({frames} frames in {seconds:.1f} s)"
    )
    print(
        f"  {steps / seconds:8.0f} metric steps/s delivered in all, "
        f"{args.steps / seconds:.0f} trained per second"
    )
    print(
        f"ratio steps delivered / (steps trained x viewers) = "
        f"{steps / (args.steps * args.viewers):.3f}"
    )


if __name__ == "__main__":
    main()
