"""Where runs execute: the Executor interface and its local, process-based implementation."""

from app.jobs.base import FINAL_STATUSES, EventSink, Executor, Job
from app.jobs.local import LocalExecutor

__all__ = ["FINAL_STATUSES", "EventSink", "Executor", "Job", "LocalExecutor"]
