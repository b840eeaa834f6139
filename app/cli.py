"""The ``ganwatch`` command: ``train`` (headless, from gan_core) and ``serve`` (the dashboard)."""

from __future__ import annotations

import argparse
import sys

from gan_core.cli import build_parser


def _serve(args: argparse.Namespace) -> int:
    from app.main import serve  # imported here so `ganwatch train` never loads the web stack

    serve(host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ganwatch`` console script."""
    parser, subparsers = build_parser()
    p = subparsers.add_parser("serve", help="run the dashboard (uvicorn)")
    p.add_argument("--host", default=None, help="bind address (default GANWATCH_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default GANWATCH_PORT or 8000)")
    p.set_defaults(func=_serve)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
