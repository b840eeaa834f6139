"""One run inside a worker: build the Trainer, drive it, write checkpoints, emit frames.

Transport-free on purpose: the local worker process feeds it from pipes, and a
Ray actor could feed it from its own channels. Importing this module imports
torch and the whole of gan_core, which is what a warm worker pays in advance.

A checkpoint only ever replaces good state with good state: none is written from a
failed run, from a state with NaN or infinite values, or once the server is gone.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from app import checkpoints
from app.jobs.base import FINAL_STATUSES, Job, checkpoint_frame, failed_frame
from gan_core.checkpoint import load_checkpoint
from gan_core.config import RunConfig
from gan_core.devices import torch_threads
from gan_core.events import METRIC_FIELDS, Command, MetricsEvent, StatusEvent, encode, frame_of
from gan_core.pointsets import from_npy
from gan_core.trainer import Trainer

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
Receive = Callable[[], Command]
SAMPLES_HEADER = ("type", "v", "step", "kind", "phase")


def encoded_samples(run_id: str, emit: Emit) -> Emit:
    """``emit`` with samples frames (the big ones) sent as JSON text made here, in the
    worker: the server then neither unpickles their lists nor encodes them again. Such a
    frame is its header fields plus ``json``, the whole frame's text with its ``run_id``."""

    def send(frame: dict[str, Any]) -> None:
        if frame.get("type") == "samples":
            _, text = encode({**frame, "run_id": run_id})
            frame = {**{k: frame[k] for k in SAMPLES_HEADER if k in frame}, "json": text}
        emit(frame)

    return send


def warm_up(threads: int, cuda: bool) -> None:
    """Settle torch's per-process state before a run arrives."""
    torch.set_num_threads(threads)
    # The first optimizer a process builds imports torch._dynamo (~1.5 s of CPU): pay it now.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    if cuda and torch.cuda.is_available():
        # Creating the CUDA context takes a good part of a second; do it while idle.
        torch.empty(1, device="cuda")


def summary(exc: BaseException) -> str:
    """``Type: first line of the message``: a reason that fits a status line."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def run_job(job: Job, *, cache_dir: Path, emit: Emit, receive: Receive) -> None:
    """Train ``job`` to its end; every frame goes to ``emit``, the last one a final status.
    Frames hold the trainer's floats as they are (the server's intake makes them strict JSON).

    ``receive`` blocks until the next command for the run; it raises EOFError (or
    OSError) when the server is gone. The run then stops without another checkpoint:
    the server can no longer record the steps trained since, and a checkpoint ahead of
    the stored history would leave a gap in the curve of a resumed run.
    """
    trainer: Trainer | None = None
    orphaned = threading.Event()
    emit = encoded_samples(job.run_id, emit)
    try:
        config = RunConfig.model_validate(job.config)
        # warm_up gave this worker its share of the cores; an MLP run takes one thread of it.
        torch.set_num_threads(torch_threads(config, torch.get_num_threads()))
        state = load_checkpoint(job.resume_from) if job.resume_from is not None else None
        trainer = Trainer(
            config,
            cache_dir=cache_dir,
            checkpoint=state,
            start_paused=job.start_paused,
            points=None if job.points is None else from_npy(job.points),
        )
        # The trainer blocks inside events() while paused, so commands need their own thread.
        threading.Thread(
            target=_forward, args=(receive, trainer, orphaned), name="commands", daemon=True
        ).start()
        _drive(trainer, _Checkpointer(trainer, Path(job.run_dir), emit, orphaned), emit)
    except Exception as exc:
        log.exception("run %s failed", job.run_id)
        emit(failed_frame(trainer.step if trainer is not None else 0, summary(exc)))


def _forward(receive: Receive, trainer: Trainer, orphaned: threading.Event) -> None:
    while True:
        try:
            command = receive()
        except (EOFError, OSError):
            orphaned.set()
            trainer.send(Command("stop"))
            return
        trainer.send(command)


def _drive(trainer: Trainer, checkpointer: _Checkpointer, emit: Emit) -> None:
    every = trainer.config.checkpoint_every
    last_due = trainer.step
    for event in trainer.events():
        if isinstance(event, StatusEvent) and event.status in FINAL_STATUSES:
            # Checkpoint first, so that a run reported stopped has one; a failed run's state
            # is bad (diverged) or unknown (an exception), so its last good checkpoint stays.
            if event.status != "failed":
                checkpointer.save()
            emit(frame_of(event))
            return
        emit(frame_of(event))
        if isinstance(event, MetricsEvent):
            checkpointer.check(event)
        due = every > 0 and trainer.step // every > last_due // every
        if due and trainer.step < trainer.config.steps:
            checkpointer.save()
            last_due = trainer.step
    raise RuntimeError("the trainer ended without a final status")


class _Checkpointer:
    """Writes the run's numbered checkpoints, when its state is worth keeping."""

    def __init__(
        self, trainer: Trainer, run_dir: Path, emit: Emit, orphaned: threading.Event
    ) -> None:
        self._trainer = trainer
        self._run_dir = run_dir
        self._emit = emit
        self._orphaned = orphaned
        self._bad_metrics = False

    def check(self, metrics: MetricsEvent) -> None:
        """Note a non-finite figure: the trainer's divergence check only follows the frame."""
        values = (v for name in METRIC_FIELDS for v in getattr(metrics, name))
        if not all(math.isfinite(v) for v in values):
            self._bad_metrics = True

    def save(self) -> None:
        """Write a checkpoint of the current step, prune old ones, emit its frame."""
        step = self._trainer.step
        if self._orphaned.is_set():
            log.info("step %d: not checkpointed, the server is gone", step)
            return
        state = self._trainer.state_dict()
        if self._bad_metrics or not _finite(state):
            log.warning("step %d: not checkpointed, the state has NaN or infinite values", step)
            return
        path = checkpoints.checkpoint_path(self._run_dir, step)
        checkpoints.write(path, lambda file: torch.save(state, file))
        checkpoints.prune(self._run_dir)
        self._emit(checkpoint_frame(step, path))


def _finite(value: Any) -> bool:
    """Whether every float (tensor) in a nested state dict is free of NaN and infinities."""
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)
