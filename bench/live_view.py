"""Benchmark 9: the live view with many viewers — samples frames a second per viewer, the
server's CPU per 1 000 training steps, and training under the server vs headless.

One server (``max_concurrent_runs=1``); a ring-8 run with its defaults (samples frames
paced at ``samples_per_second``, 10) runs with 0 and N websocket viewers attached (one
Python process, which only counts frames: it parses status frames alone), and the same
config headless, in an order rotated each round. The server's CPU is the user + system
time of the server process (its threads, not the training worker) from /proc, from
launch to the final status, per 1 000 steps; beside it the viewers' own process's CPU
(they share the machine's cores with the run). A short served run comes first, so that
no round pays for the worker's start. Medians over the rounds.

    python -m bench.live_view [--steps 3000] [--viewers 50] [--rounds 2] [--set NAME=VALUE ...]

``--set`` changes the run's config in all three (to compare builds whose ring-8 presets
differ, on the same training work).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import websockets

from bench.server_vs_headless import headless_seconds, run_seconds
from bench.serverlib import create_run, running_server, wait_completed
from gan_core.cli import parse_override

SMOKE = ["--steps", "60", "--viewers", "2", "--rounds", "1"]
FINAL = ("completed", "stopped", "failed")


@dataclass
class Counter:
    """When one viewer received each samples frame while the run trained."""

    samples_at: list[float] = field(default_factory=list)

    def rate(self) -> float:
        """Samples frames a second between the first and the last one received."""
        t = self.samples_at
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 2 and t[-1] > t[0] else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def follow(ws_url: str, run_id: str, counter: Counter) -> None:
    async with websockets.connect(f"{ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        async for raw in ws:
            if '"type": "samples"' in raw:
                counter.samples_at.append(time.monotonic())
            elif '"type": "status"' in raw and json.loads(raw)["status"] in FINAL:
                return


async def served(
    url: str, ws_url: str, pid: int, overrides: dict[str, Any], viewers: int
) -> tuple[float, float, float, list[float]]:
    """(run seconds, server CPU seconds, the viewers' own CPU seconds (this process), samples
    frames a second of each viewer)."""
    cpu, mine = cpu_seconds(pid), time.process_time()
    run = create_run(url, "ring-8", {**overrides, "device": "cpu"})
    counters = [Counter() for _ in range(viewers)]
    await asyncio.gather(*(follow(ws_url, run["id"], c) for c in counters))
    final = await asyncio.to_thread(wait_completed, url, run["id"])
    used, theirs = cpu_seconds(pid) - cpu, time.process_time() - mine
    return run_seconds(final), used, theirs, [c.rate() for c in counters]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--set", type=parse_override, action="append", default=[], metavar="NAME=VALUE"
    )
    args = parser.parse_args(argv)
    overrides = {"steps": args.steps, **dict(args.set)}
    print(f"bench live_view: ring-8 {overrides} viewers={args.viewers} rounds={args.rounds}")
    names = ["headless", "0", str(args.viewers)]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names[1:]}
    client: dict[str, list[float]] = {name: [] for name in names[1:]}
    rates: list[float] = []
    viewers = str(args.viewers + 10)  # all from one address
    with running_server(
        max_concurrent_runs="1", max_viewers=viewers, max_viewers_per_client=viewers
    ) as server:
        # A short run first: no round pays for the worker's start (torch's import, warm-up).
        asyncio.run(served(server.url, server.ws_url, server.process.pid, {"steps": 100}, 0))
        for round_ in range(args.rounds):
            for name in names[round_ % 3 :] + names[: round_ % 3]:
                if name == "headless":
                    seconds[name].append(headless_seconds(args.steps, overrides))
                    continue
                took, used, theirs, got = asyncio.run(
                    served(server.url, server.ws_url, server.process.pid, overrides, int(name))
                )
                seconds[name].append(took)
                cpu[name].append(1000 * used / args.steps)
                client[name].append(1000 * theirs / args.steps)
                rates += got
    base = args.steps / statistics.median(seconds["headless"])
    print(f"  headless            {base:7.1f} steps/s")
    for name in names[1:]:
        rate = args.steps / statistics.median(seconds[name])
        print(
            f"  server, {int(name):2d} viewers  {rate:7.1f} steps/s   ratio server/headless = "
            f"{rate / base:.2f}x   server CPU {statistics.median(cpu[name]):.3f} s / 1000 steps"
            f" (viewers' process {statistics.median(client[name]):.3f} s)"
        )
    if rates:
        print(
            f"  samples frames a second per viewer, over {len(rates)} viewers: "
            f"median {statistics.median(rates):.1f}, min {min(rates):.1f}"
        )


if __name__ == "__main__":
    main()
