"""Benchmark 7: 4 small runs at once vs the same 4 one after another, on this machine.

Both through one server: first with ``max_concurrent_runs=1`` (the runs queue and
go one by one), then with 4. Prints the total throughput ratio and the API's
latency (``GET /api/runs``, polled every 50 ms) while the runs train.

    python -m bench.many_runs [--steps 1500] [--runs 4]
"""

from __future__ import annotations

import argparse
import threading
import time

import httpx

from bench.serverlib import create_run, percentile, running_server, wait_completed

SMOKE = ["--steps", "20", "--runs", "2"]


def batch(url: str, n: int, steps: int) -> tuple[float, list[float]]:
    """Seconds for n runs to finish, and the API latencies (ms) seen meanwhile."""
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not done.is_set():
                t = time.perf_counter()
                client.get("/api/runs", params={"limit": 20}).raise_for_status()
                latencies.append(1000 * (time.perf_counter() - t))
                time.sleep(0.05)

    poller = threading.Thread(target=poll)
    start = time.perf_counter()
    poller.start()
    runs = [
        create_run(url, "ring-8", {"steps": steps, "seed": i, "device": "cpu"}) for i in range(n)
    ]
    for run in runs:
        wait_completed(url, run["id"])
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    return seconds, latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"bench many_runs: {args.runs} x ring-8 steps={args.steps}")
    for label, limit in (("one after another", 1), ("all at once", args.runs)):
        with running_server(max_concurrent_runs=str(limit)) as server:
            time.sleep(3)  # let the warm worker start, as a user's server would have
            seconds, lats = batch(server.url, args.runs, args.steps)
        rate = args.runs * args.steps / seconds
        if limit == 1:
            sequential = rate
        print(
            f"  {label:18s} {seconds:6.1f} s  {rate:7.1f} steps/s in total  API p50 "
            f"{percentile(lats, 0.5):.1f} ms  p99 {percentile(lats, 0.99):.1f} ms  "
            f"max {max(lats):.1f} ms"
        )
    print(f"ratio concurrent/sequential throughput = {rate / sequential:.2f}x")


if __name__ == "__main__":
    main()
