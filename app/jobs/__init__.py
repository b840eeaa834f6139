"""Where runs execute: the Executor interface and its local, process-based implementation."""

from app.jobs.base import (
    CUT_OFF,
    FINAL_STATUSES,
    UNRESPONSIVE,
    CommandQueueFull,
    EventSink,
    Executor,
    Job,
)
from app.jobs.local import LocalExecutor

__all__ = [
    "CUT_OFF",
    "FINAL_STATUSES",
    "UNRESPONSIVE",
    "CommandQueueFull",
    "EventSink",
    "Executor",
    "Job",
    "LocalExecutor",
]
