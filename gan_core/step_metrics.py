"""The per-step figures of a run, kept on the device and read back once per metrics frame."""

from __future__ import annotations

import math
import time

import torch
from torch import Tensor

from gan_core.events import METRIC_FIELDS, MetricsEvent
from gan_core.steps import DStats, GStats


class StepMetrics:
    """Gathers each step's METRIC_FIELDS as one (6,) tensor; :meth:`flush` makes the event.

    Nothing is read back to the host between flushes, so a GPU run never waits on a step's
    figures; the steps-a-second figure is measured over the steps of one flush.
    """

    def __init__(self, now: float) -> None:
        self._values: list[Tensor] = []  # one (6,) tensor of METRIC_FIELDS per step
        self._steps: list[int] = []
        self.started = self._window_start = now
        self._window_step = 0

    def __bool__(self) -> bool:
        """Whether steps are waiting to be reported."""
        return bool(self._steps)

    def start(self, step: int, now: float) -> None:
        """Start the run's clock (and the steps-a-second window) at ``step``, ``now``."""
        self.started = self._window_start = now
        self._window_step = step

    def record(self, step: int, d: DStats, g: GStats) -> None:
        """Keep step ``step``'s figures (tensors on the device)."""
        self._values.append(torch.stack([d.loss, g.loss, d.d_real, d.d_fake, g.grad, d.grad]))
        self._steps.append(step)

    def flush(self, lrs: tuple[float, float], now: float) -> MetricsEvent:
        """The gathered steps (at least one) as one metrics event at ``now`` (perf_counter
        seconds), at the last step recorded; the training loop's only host sync."""
        step = self._steps[-1]
        loss_d, loss_g, d_real, d_fake, grad_g, grad_d = (
            torch.stack(self._values).float().T.cpu().tolist()  # (6, steps)
        )
        rate = (step - self._window_step) / max(now - self._window_start, 1e-9)
        self._window_start, self._window_step = now, step
        event = MetricsEvent(
            step=step,
            steps=self._steps,
            loss_d=loss_d,
            loss_g=loss_g,
            d_real=d_real,
            d_fake=d_fake,
            grad_g=grad_g,
            grad_d=grad_d,
            lr_g=lrs[0],
            lr_d=lrs[1],
            time=round(now - self.started, 4),
            wall=time.time(),
            steps_per_second=round(rate, 2),
        )
        self._values, self._steps = [], []
        return event


def divergence(metrics: MetricsEvent) -> str:
    """Why ``metrics`` shows a diverged run: the first figure that is not finite."""
    for name in METRIC_FIELDS:
        for step, value in zip(metrics.steps, getattr(metrics, name), strict=True):
            if not math.isfinite(value):
                return f"diverged: {name} became {value} at step {step}"
    return "diverged"
