"""Run every benchmark: ``python -m bench`` (``make bench``), or ``--smoke`` for tiny sizes.

Each module has ``main(argv)`` and a ``SMOKE`` argument list that the test suite uses
so the scripts do not rot; the smoke run measures nothing worth reporting.
"""

from __future__ import annotations

import argparse
import importlib

MODULES = [
    "trainer_vs_bare",
    "presets",
    "images",
    "server_vs_headless",
    "fanout",
    "launch_latency",
    "history_scale",
    "many_runs",
    "live_view",
    "page_speed",
    "ray_executor",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the scripts run")
    parser.add_argument("names", nargs="*", default=MODULES, help="benchmarks to run")
    args = parser.parse_args(argv)
    for name in args.names:
        module = importlib.import_module(f"bench.{name}")
        module.main(module.SMOKE if args.smoke else [])


if __name__ == "__main__":
    main()
