"""When a training run reports: which steps close a metrics event and which get a samples one.

Samples of 1-D and 2-D runs are paced by the clock (``samples_per_second``), those of
image runs (or with ``samples_per_second`` 0) come every ``samples_every`` steps. A
metrics event gathers the steps since the last one: every ``metrics_every`` steps, but at
most ``metrics_per_second`` times a second, and while so capped also with each samples
event (the curves and the points on a page then move together), so a fast run sends a
few large frames rather than many small ones. A ``checkpoint_every`` step and the last
step always close one. In slow motion every step has both.
"""

from __future__ import annotations

from typing import NamedTuple

from gan_core.config import RunConfig


class Due(NamedTuple):
    """What the step just trained reports."""

    metrics: bool
    samples: bool


class Cadence:
    """The reporting schedule of one run, from ``start`` (a ``time.perf_counter`` reading)."""

    def __init__(self, config: RunConfig, *, clocked_samples: bool, start: float) -> None:
        self._config = config
        rate = config.samples_per_second if clocked_samples else 0.0
        self._samples_interval = 1 / rate if rate else 0.0
        self._metrics_interval = 1 / config.metrics_per_second if config.metrics_per_second else 0.0
        self._next_samples = start + self._samples_interval
        self._next_metrics = start + self._metrics_interval

    def due(self, step: int, now: float, *, slow_motion: bool = False) -> Due:
        """What ``step``, trained by ``now``, reports; what is due counts as sent."""
        cfg = self._config
        if slow_motion:
            samples = True
        elif self._samples_interval:
            samples = now >= self._next_samples
            if samples:
                self._next_samples = max(self._next_samples + self._samples_interval, now)
        else:
            samples = step % cfg.samples_every == 0
        metrics = (
            slow_motion
            or (step % cfg.metrics_every == 0 and now >= self._next_metrics)
            or (cfg.checkpoint_every > 0 and step % cfg.checkpoint_every == 0)
            or (samples and self._metrics_interval > 0)
            or step == cfg.steps
        )
        if metrics:
            self._next_metrics = now + self._metrics_interval
        return Due(metrics, samples)
