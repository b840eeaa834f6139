"""The executor interface: where runs execute, behind one small ABC.

The routes and the RunManager only ever see :class:`Executor`, so a Ray-backed
executor can be added next to the local one without touching them. This module
imports neither torch nor gan_core's training code: the server stays light.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan_core.events import PROTOCOL_VERSION, Command, StatusEvent, frame_of

log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], None]
"""Called with (run_id, frame) for every frame of a run, from a background thread. A
frame may come encoded: its header fields and ``json``, the whole frame's JSON text."""

FINAL_STATUSES: frozenset[str] = frozenset({"completed", "stopped", "failed"})

UNRESPONSIVE = "worker stopped responding"
"""Failed reason of a run whose worker went silent (or ignored a stop) and was killed."""
CUT_OFF = "server shut down before the run stopped"
"""Failed reason of a run whose worker had to be killed because the server was shutting down."""


class CommandQueueFull(RuntimeError):
    """A run's worker has too many undelivered commands: it is not reading them."""


@dataclass(frozen=True)
class Job:
    """One run handed to a worker: what to train, where its checkpoints go, what it resumes."""

    run_id: str
    config: dict[str, Any]
    run_dir: str
    resume_from: str | None = None
    start_paused: bool = False
    points: bytes | None = None  # a set people brought: gan_core.pointsets.to_npy's bytes


def failed_frame(step: int, reason: str) -> dict[str, Any]:
    """The final status frame of a run that ended without reporting one itself."""
    return frame_of(StatusEvent(status="failed", step=step, reason=reason))


def checkpoint_frame(step: int, path: str | Path) -> dict[str, Any]:
    """Tells viewers (and the store) that a checkpoint of ``step`` was written to ``path``."""
    return {"type": "checkpoint", "v": PROTOCOL_VERSION, "step": step, "path": str(path)}


def is_final(frame: dict[str, Any]) -> bool:
    """True for the status frame that ends a run."""
    return frame.get("type") == "status" and frame.get("status") in FINAL_STATUSES


class Executor(ABC):
    """Runs trainers outside the server's event loop and reports their event frames."""

    kind = "local"

    def __init__(self, sink: EventSink, *, slots: int, cache_dir: Path, gpus: int = 0) -> None:
        if slots < 1:
            raise ValueError("an executor needs at least one slot")
        if gpus < 0:
            raise ValueError("gpus must be >= 0")
        self._sink = sink
        self._slots = slots
        self.cache_dir = Path(cache_dir)
        self.gpus = gpus

    @property
    def slots(self) -> int:
        """How many runs may execute at once."""
        return self._slots

    def health(self) -> dict[str, Any]:
        """What ``/api/health`` says of the executor: its kind, state and slots."""
        return {
            "kind": self.kind,
            "state": "ok",
            "detail": None,
            "slots": self.slots,
            "slots_from": "setting",
        }

    def _refuse_launch(self, state: str, active: Collection[str], run_id: str) -> None:
        """RuntimeError unless a launch of ``run_id`` may go ahead, given the executor's
        ``state`` and its ``active`` runs (caller holds its lock)."""
        if state != "started":
            raise RuntimeError(f"executor is {state}, not started")
        if run_id in active:
            raise RuntimeError(f"run {run_id} is already active")
        if len(active) >= self.slots:
            raise RuntimeError(f"all {self.slots} slots are busy")

    def _emit(self, run_id: str, frame: dict[str, Any]) -> None:
        """Hand ``frame`` to the sink; a sink that fails is logged, never the executor's end."""
        try:
            self._sink(run_id, frame)
        except Exception:
            log.exception("run %s: the event sink failed on a %s frame", run_id, frame.get("type"))

    @abstractmethod
    def start(self) -> None:
        """Start the background machinery (e.g. warm workers)."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop everything: running runs get a graceful stop with a short timeout, then die."""

    @abstractmethod
    def active(self) -> set[str]:
        """Ids of the runs executing now (a run leaves before its final frame is reported)."""

    @abstractmethod
    def launch(
        self,
        run_id: str,
        config: dict[str, Any],
        run_dir: Path,
        resume_from: Path | None = None,
        start_paused: bool = False,
        points: bytes | None = None,
    ) -> None:
        """Start a run now, without blocking; RuntimeError when no slot is free or the run is
        already active.

        Checkpoints go to ``app.checkpoints.checkpoint_path(run_dir, step)`` every
        ``config["checkpoint_every"]`` steps (when > 0) and when the run completes or is
        stopped, never from a failed run; only the newest ``app.checkpoints.KEEP`` are kept.
        ``resume_from`` is a checkpoint file to load first: the run's first status frame
        then carries that checkpoint's step. ``start_paused``: the run waits paused after
        its first samples frame, for step commands or resume. ``points``: the ``.npy`` bytes
        of the uploaded set ``config["dataset"]`` names (None for a built-in set).
        """

    @abstractmethod
    def command(self, run_id: str, command: Command) -> None:
        """Forward a command to an active run, without blocking.

        KeyError when the run is not active; CommandQueueFull when its worker has not taken
        the commands already sent.
        """
