"""One run inside a worker: build the Trainer, drive it, write checkpoints, emit frames.

Transport-free on purpose: the local worker process feeds it from pipes, and a
Ray actor could feed it from its own channels. Importing this module imports
torch and the whole of gan_core, which is what a warm worker pays in advance.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from app.jobs.base import FINAL_STATUSES, Job, checkpoint_frame, failed_frame
from gan_core.checkpoint import load_checkpoint, save_checkpoint
from gan_core.config import RunConfig
from gan_core.events import Command, StatusEvent, to_frame
from gan_core.trainer import Trainer, torch_threads

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
Receive = Callable[[], Command]


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

    ``receive`` blocks until the next command for the run; it raises EOFError (or
    OSError) when the server is gone, which stops the run so its checkpoint is kept.
    """
    trainer: Trainer | None = None
    try:
        config = RunConfig.model_validate(job.config)
        # warm_up gave this worker its share of the cores; an MLP run takes one thread of it.
        torch.set_num_threads(torch_threads(config, torch.get_num_threads()))
        checkpoint = load_checkpoint(job.checkpoint_path) if job.resume else None
        trainer = Trainer(config, cache_dir=cache_dir, checkpoint=checkpoint)
        # The trainer blocks inside events() while paused, so commands need their own thread.
        threading.Thread(
            target=_forward, args=(receive, trainer), name="commands", daemon=True
        ).start()
        _drive(trainer, Path(job.checkpoint_path), emit)
    except Exception as exc:
        log.exception("run %s failed", job.run_id)
        emit(failed_frame(trainer.step if trainer is not None else 0, summary(exc)))


def _forward(receive: Receive, trainer: Trainer) -> None:
    while True:
        try:
            command = receive()
        except (EOFError, OSError):
            trainer.send(Command("stop"))
            return
        trainer.send(command)


def _drive(trainer: Trainer, path: Path, emit: Emit) -> None:
    every = trainer.config.checkpoint_every
    last_saved = trainer.step
    for event in trainer.events():
        if isinstance(event, StatusEvent) and event.status in FINAL_STATUSES:
            # Checkpoint first, so that a run reported stopped always has one.
            _checkpoint(trainer, path, emit)
            emit(to_frame(event))
            return
        emit(to_frame(event))
        due = every > 0 and trainer.step // every > last_saved // every
        if due and trainer.step < trainer.config.steps:
            _checkpoint(trainer, path, emit)
            last_saved = trainer.step
    raise RuntimeError("the trainer ended without a final status")


def _checkpoint(trainer: Trainer, path: Path, emit: Emit) -> None:
    save_checkpoint(trainer.state_dict(), path)
    emit(checkpoint_frame(trainer.step, path))
