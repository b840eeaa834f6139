"""The run-status vocabulary, once: which statuses are live, ended, resumable, and what each allows.

``queued`` -> ``running`` <-> ``paused`` -> ``completed`` | ``stopped`` | ``failed``; a run
that was active when the server went down is ``interrupted``. The server, the pages (as
JSON in every page, see :func:`as_json`) and the tests all read these sets from here.
"""

from __future__ import annotations

from typing import Any, get_args

from gan_core.events import RunStatus

STATUSES: tuple[str, ...] = get_args(RunStatus)
LIVE: frozenset[str] = frozenset({"queued", "running", "paused"})
ACTIVE: frozenset[str] = frozenset({"running", "paused"})  # a worker holds the run
ENDED_BY_TRAINER: frozenset[str] = frozenset({"completed", "stopped", "failed"})
TERMINAL: frozenset[str] = ENDED_BY_TRAINER | {"interrupted"}
RESUMABLE: frozenset[str] = frozenset({"interrupted", "stopped"})

ACTIONS: dict[str, frozenset[str]] = {
    "stop": LIVE,
    "pause": frozenset({"running"}),
    "resume": frozenset({"paused"}) | RESUMABLE,
    "controls": ACTIVE,
    "step": frozenset({"paused"}),
    "delete": TERMINAL,
}


def allows(action: str, status: str) -> bool:
    """Whether a run in ``status`` accepts ``action`` (a key of ACTIONS)."""
    return status in ACTIONS[action]


def as_json() -> dict[str, Any]:
    """The vocabulary as the pages read it."""
    return {
        "statuses": list(STATUSES),
        "live": sorted(LIVE),
        "terminal": sorted(TERMINAL),
        "resumable": sorted(RESUMABLE),
        "actions": {name: sorted(statuses) for name, statuses in ACTIONS.items()},
    }
