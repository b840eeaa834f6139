"""A scripted executor for the manager's tests: runs do nothing until the test says so.

It stands behind ``create_app(executor_factory=...)`` in place of worker processes, so the
queue, resume, conflict and shutdown paths are tested in milliseconds. Frames are sent
with :meth:`ScriptedExecutor.emit` from the test's thread, as a worker's pump would.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.jobs import EventSink, Executor
from app.jobs.base import is_final
from app.main import create_app
from app.manager import RunManager
from app.settings import Settings
from gan_core.events import Command, StatusEvent, to_frame


class ScriptedExecutor(Executor):
    """Records launches and commands; the test plays each run's frames."""

    def __init__(self, sink: EventSink, slots: int = 1) -> None:
        super().__init__(sink, slots=slots, cache_dir=Path("."))
        self.launched: list[tuple[str, Path | None]] = []
        self.points: dict[str, bytes | None] = {}  # what each launch was given to train on
        self.commands: list[tuple[str, Command]] = []
        self.stopped_at_shutdown: set[str] = set()
        self._active: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        pass

    def shutdown(self) -> None:
        """Every active run stops at once, as a worker that honours the stop would."""
        for run_id in self.active():
            self.stopped_at_shutdown.add(run_id)
            self.emit(run_id, to_frame(StatusEvent(status="stopped", step=0)))

    def active(self) -> set[str]:
        with self._lock:
            return set(self._active)

    def launch(
        self,
        run_id: str,
        config: dict[str, Any],
        run_dir: Path,
        resume_from: Path | None = None,
        start_paused: bool = False,
        points: bytes | None = None,
    ) -> None:
        with self._lock:
            if len(self._active) >= self.slots:
                raise RuntimeError(f"all {self.slots} slots are busy")
            self._active.add(run_id)
            self.launched.append((run_id, resume_from))
            self.points[run_id] = points

    def command(self, run_id: str, command: Command) -> None:
        with self._lock:
            if run_id not in self._active:
                raise KeyError(run_id)
            self.commands.append((run_id, command))

    def emit(self, run_id: str, frame: dict[str, Any]) -> None:
        """Deliver ``frame`` as the run's worker would."""
        if is_final(frame):
            with self._lock:
                self._active.discard(run_id)
        self._sink(run_id, frame)

    def finish(self, run_id: str, status: str = "completed", step: int = 0) -> None:
        self.emit(run_id, to_frame(StatusEvent(status=status, step=step)))  # type: ignore[arg-type]


class Harness:
    """An app on a scripted executor, and the executor the app made."""

    def __init__(self, settings: Settings, slots: int = 1) -> None:
        self.settings = settings
        self.executor: ScriptedExecutor | None = None

        def factory(sink: Any) -> ScriptedExecutor:
            self.executor = ScriptedExecutor(sink, slots=slots)
            return self.executor

        self.app = create_app(settings, executor_factory=factory)

    @property
    def ex(self) -> ScriptedExecutor:
        assert self.executor is not None
        return self.executor

    def manager(self, client: TestClient) -> RunManager:
        manager: RunManager = client.app.state.manager  # type: ignore[attr-defined]
        return manager


def settle(client: TestClient, run_id: str, status: str) -> dict[str, Any]:
    """The run once its status is ``status`` (frames hop threads: allow a moment)."""
    deadline = time.monotonic() + 10
    while True:
        run: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if run["status"] == status:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.01)
