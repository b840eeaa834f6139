"""`ganwatch train`: a run headless, with a progress bar on stderr.

The last line on stdout is one JSON object summarising the run (its keys are
listed in the README, "Headless training"); ``--events FILE`` writes every event as a JSON
line, the first being the ``status`` event that carries the full config.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from tqdm import tqdm

from gan_core.catalog import TORCHVISION_FOLDER
from gan_core.config import DataConfig, RunConfig
from gan_core.events import (
    AlertEvent,
    MetricsEvent,
    QualityEvent,
    StatusEvent,
    encode,
    frame_of,
    to_frame,
)
from gan_core.presets import PRESETS, preset_config

SUMMARY_FIELDS = (
    "distance",
    "modes_covered",
    "modes_covered_strict",
    "modes_total",
    "high_quality",
    "kl",
    "mean",
    "std",
    "target_mean",
    "target_std",
    "class_coverage",
    "classes_covered",
    "score",
    "real_score",
    "real_distance",
)


def parse_override(text: str) -> tuple[str, Any]:
    """``name=value`` where value is JSON when it parses as JSON, else a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


def add_train_parser(subparsers: Any) -> None:
    """Register the ``train`` sub-command on an argparse subparsers object."""
    p = subparsers.add_parser("train", help="train headless with a progress bar")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", choices=list(PRESETS), default="ring-8")
    src.add_argument("--config", type=Path, help="a RunConfig JSON file")
    p.add_argument("--steps", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--set",
        dest="overrides",
        type=parse_override,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any RunConfig field, e.g. --set lr_g=1e-4",
    )
    p.add_argument("--events", type=Path, help="write every event as a JSON line to this file")
    p.add_argument("--checkpoint", type=Path, help="write the final checkpoint here")
    p.add_argument("--resume", type=Path, help="resume from this checkpoint")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(".ganwatch-cache"),
        help="where the image classifier is cached",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="torch CPU threads (default: 1 for MLPs, all cores for DCGAN)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def build_config(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the command line describes (validated)."""
    overrides: dict[str, Any] = dict(args.overrides)
    for name in ("steps", "seed", "device"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.config is not None:
        base = json.loads(args.config.read_text())
        return RunConfig.model_validate({**base, **overrides})
    return preset_config(args.preset, overrides)


def summarise(
    steps: int, done: int, seconds: float, quality: QualityEvent | None, status: str
) -> dict[str, Any]:
    """The run's closing JSON object: ``steps`` reached, ``done`` of them in this process."""
    summary: dict[str, Any] = {
        "status": status,
        "steps": steps,
        "seconds": round(seconds, 3),
        "steps_per_second": round(done / seconds, 2) if seconds > 0 else None,
    }
    if quality is not None:
        frame = to_frame(quality)
        summary.update({k: frame[k] for k in SUMMARY_FIELDS if frame[k] is not None})
    return summary


def _describe(quality: QualityEvent) -> str:
    parts = []
    if quality.modes_total is not None:
        parts.append(f"modes {quality.modes_covered}/{quality.modes_total}")
        parts.append(f"high-quality {100 * (quality.high_quality or 0):.1f}%")
    if quality.mean is not None:
        parts.append(f"mean {quality.mean:.3f} (target {quality.target_mean})")
        parts.append(f"std {quality.std:.3f} (target {quality.target_std})")
    if quality.classes_covered is not None:
        total = len(quality.class_coverage or [])
        parts.append(f"classes {quality.classes_covered}/{total}, score {quality.score:.2f}")
        if quality.real_score is not None:
            parts[-1] += f" of {quality.real_score:.2f} for real data"
    if quality.distance is not None:
        parts.append(f"distance {quality.distance:.4f}")
        if quality.real_distance is not None:
            parts[-1] += f" ({quality.real_distance:.4f} for real data)"
    return ", ".join(parts)


def run_train(args: argparse.Namespace) -> int:
    """Train, write events and the summary; exit status 0 unless the run failed."""
    # Imported here, not above: `ganwatch serve` builds this parser and must not load torch.
    import torch

    from gan_core.checkpoint import load_checkpoint, save_checkpoint
    from gan_core.data import DatasetMissing
    from gan_core.devices import torch_threads
    from gan_core.trainer import Trainer

    try:
        config = build_config(args)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "config"
            print(f"ganwatch: invalid {field}: {err['msg']}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads or torch_threads(config, os.cpu_count() or 1))
    try:
        checkpoint = load_checkpoint(args.resume) if args.resume else None
        trainer = Trainer(config, cache_dir=args.cache_dir, checkpoint=checkpoint)
    except (DatasetMissing, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"ganwatch: {exc}", file=sys.stderr)
        return 2
    quality: QualityEvent | None = None
    status = "running"
    started = time.perf_counter()
    first_step = trainer.step
    with contextlib.ExitStack() as stack:
        sink: IO[str] | None = stack.enter_context(args.events.open("w")) if args.events else None
        bar = stack.enter_context(
            tqdm(
                total=config.steps,
                initial=first_step,
                disable=args.quiet,
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
            )
        )
        for event in trainer.events():
            if sink is not None:
                sink.write(encode(frame_of(event))[1] + "\n")
            if isinstance(event, MetricsEvent):
                bar.update(event.step - bar.n)
                bar.set_postfix(loss_d=f"{event.loss_d[-1]:.3f}", loss_g=f"{event.loss_g[-1]:.3f}")
            elif isinstance(event, QualityEvent):
                quality = event
            elif isinstance(event, AlertEvent):
                tqdm.write(
                    f"[{event.kind}] step {event.step}: {event.message} {event.hint}",
                    file=sys.stderr,
                )
            elif isinstance(event, StatusEvent):
                status = event.status
                if event.reason:
                    tqdm.write(f"{event.status}: {event.reason}", file=sys.stderr)
    seconds = time.perf_counter() - started
    if args.checkpoint is not None:
        save_checkpoint(trainer.state_dict(), args.checkpoint)
    if quality is not None:
        print(f"final quality at step {quality.step}: {_describe(quality)}", file=sys.stderr)
    print(json.dumps(summarise(trainer.step, trainer.step - first_step, seconds, quality, status)))
    return 1 if status == "failed" else 0


def add_classifier_parser(subparsers: Any) -> None:
    """Register the ``classifier`` sub-command: train (or load) an image set's classifier."""
    p = subparsers.add_parser(
        "classifier", help="train or load the classifier behind an image set's quality figures"
    )
    p.add_argument("--dataset", choices=list(TORCHVISION_FOLDER), required=True)
    p.add_argument("--data-dir", type=Path, help="the folder holding MNIST/raw (default: data)")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("GANWATCH_RUNS_DIR", "runs")) / ".cache",
        help="where it is cached (default: the server's, GANWATCH_RUNS_DIR/.cache)",
    )
    p.add_argument("--threads", type=int, help="torch CPU threads (default: all cores)")
    p.add_argument(
        "--max-seconds", type=float, default=240.0, help="stop training here, whatever it reached"
    )
    p.set_defaults(func=run_classifier)


def run_classifier(args: argparse.Namespace) -> int:
    """Print one JSON line: test accuracy, the real data's score and Frechet distance, time."""
    import torch

    from gan_core import classifier
    from gan_core.data import make_sampler

    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.monotonic()
    data = DataConfig(
        name=args.dataset, data_dir=None if args.data_dir is None else str(args.data_dir)
    )
    try:
        sampler = make_sampler(data)
    except FileNotFoundError as exc:
        print(f"ganwatch classifier: {exc}", file=sys.stderr)
        return 2
    cached = classifier.cache_path(sampler, args.cache_dir).is_file()
    model = classifier.load_or_train_classifier(
        sampler, args.cache_dir, torch.device("cpu"), max_seconds=args.max_seconds
    )
    report = {
        "dataset": args.dataset,
        "cached": cached,
        "test_accuracy": classifier.cached_accuracy(sampler, args.cache_dir),
        **classifier.real_figures(model, sampler),
        "seconds": round(time.monotonic() - start, 1),
    }
    print(json.dumps(report))
    return 0


def build_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The ``ganwatch`` parser with its ``train`` and ``classifier`` commands, and its
    subparsers for more."""
    parser = argparse.ArgumentParser(prog="ganwatch", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_train_parser(subparsers)
    add_classifier_parser(subparsers)
    return parser, subparsers


def main(argv: list[str] | None = None) -> int:
    """Entry point of the headless CLI (``python -m gan_core.cli train ...``)."""
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
