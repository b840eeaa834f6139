"""Live detectors: mode collapse, vanishing generator gradient, non-convergence, divergence.

The trainer feeds every metrics and quality event; each detector fires an
:class:`AlertEvent` once when its condition starts to hold and re-arms only after
the condition has cleared. Thresholds (module constants):

- mode collapse: on a mixture, modes covered fall to at most half the best seen so
  far (and below the best by at least 2), or stay at <= 25% of the modes after the
  warm-up of ``COLLAPSE_WARMUP`` quality events; on any low-dimensional set, the
  generated spread (std of G's samples over that of the data) drops below 0.25 after
  having been at least 0.5 (an untrained G starts narrow: that is no collapse).
- vanishing gradient: mean D(G(z)) < 0.05 and G's gradient norm < 1e-3, or 100x
  below its median over the first ``VANISH_BASELINE`` steps, for ``VANISH_WINDOW``
  consecutive steps.
- non-convergence: over the last ``OSC_WINDOW`` steps loss_d crosses its running
  mean at least ``OSC_MIN_CROSSINGS`` times with a swing (std) above 0.25 of its mean
  level, and the distance to the real data has not improved by more than 5% over the
  last ``STALL_QUALITY`` quality events.
- divergence: any NaN or infinite value in a metrics event (fires at once; the
  trainer then ends the run as failed).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from itertools import pairwise

from gan_core.events import METRIC_FIELDS, AlertEvent, MetricsEvent, QualityEvent

COLLAPSE_WARMUP = 3
SPREAD_COLLAPSE = 0.25
SPREAD_HEALTHY = 0.5
VANISH_D_FAKE = 0.05
VANISH_GRAD = 1e-3
VANISH_DROP = 100.0
VANISH_WINDOW = 200
VANISH_BASELINE = 100
OSC_WINDOW = 1000
OSC_MIN_CROSSINGS = 200
OSC_MIN_SWING = 0.25
STALL_QUALITY = 4
STALL_IMPROVEMENT = 0.05

HINTS = {
    "mode_collapse": "Try the non-saturating loss, Adam instead of SGD, a lower learning rate, "
    "or an R1 penalty on D.",
    "vanishing_gradient": "D wins too easily: use the non-saturating loss, lower D's learning "
    "rate, or unfreeze G.",
    "non_convergence": "Try lower learning rates, Adam with beta1 = 0 or 0.5, an R1 penalty, "
    "or an EMA of G's weights.",
    "divergence": "Lower the learning rates or switch to Adam; the run was stopped.",
}


class Diagnostics:
    """Feeds on a run's events and returns the alerts that fire."""

    def __init__(self, *, is_mixture: bool, modes_total: int | None = None) -> None:
        self.is_mixture = is_mixture
        self.modes_total = modes_total
        self._active: set[str] = set()
        self._best_modes = 0
        self._best_spread = 0.0
        self._quality_seen = 0
        self._low_streak = 0
        self._grad_baseline: list[float] = []
        self._loss_d: deque[float] = deque(maxlen=OSC_WINDOW)
        self._distances: deque[float] = deque(maxlen=STALL_QUALITY + 1)
        self._diverged = False

    def _edge(self, kind: str, holds: bool, step: int, message: str) -> list[AlertEvent]:
        """An alert when ``holds`` turns true; re-arm when it turns false."""
        if not holds:
            self._active.discard(kind)
            return []
        if kind in self._active:
            return []
        self._active.add(kind)
        return [AlertEvent(kind=kind, step=step, message=message, hint=HINTS[kind])]  # type: ignore[arg-type]

    def on_metrics(self, event: MetricsEvent) -> list[AlertEvent]:
        """Divergence, vanishing gradient and oscillation checks on one metrics frame."""
        for name in METRIC_FIELDS:
            values = getattr(event, name)
            bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
            if bad is not None and not self._diverged:
                self._diverged = True
                step = event.steps[bad]
                return [
                    AlertEvent(
                        kind="divergence",
                        step=step,
                        message=f"Training diverged: {name} became {values[bad]} at step {step}.",
                        hint=HINTS["divergence"],
                    )
                ]
        return self._vanishing(event) + self._oscillation(event)

    def _vanishing(self, event: MetricsEvent) -> list[AlertEvent]:
        alerts: list[AlertEvent] = []
        for step, d_fake, grad in zip(event.steps, event.d_fake, event.grad_g, strict=True):
            if len(self._grad_baseline) < VANISH_BASELINE and grad > 0:
                self._grad_baseline.append(grad)
            baseline = statistics.median(self._grad_baseline) if self._grad_baseline else math.inf
            tiny = grad < VANISH_GRAD or grad * VANISH_DROP < baseline
            self._low_streak = self._low_streak + 1 if d_fake < VANISH_D_FAKE and tiny else 0
            alerts += self._edge(
                "vanishing_gradient",
                self._low_streak >= VANISH_WINDOW,
                step,
                f"D(G(z)) is {d_fake:.3f} and G's gradient is {grad:.1e}: the discriminator "
                "rejects every fake and the generator has almost nothing to learn from.",
            )
        return alerts

    def _oscillation(self, event: MetricsEvent) -> list[AlertEvent]:
        self._loss_d.extend(event.loss_d)
        if len(self._loss_d) < OSC_WINDOW:
            return []
        values = list(self._loss_d)
        mean = statistics.fmean(values)
        crossings = sum((a - mean) * (b - mean) < 0 for a, b in pairwise(values))
        swing = statistics.pstdev(values) > OSC_MIN_SWING * max(abs(mean), 1e-6)
        stalled = (
            len(self._distances) > STALL_QUALITY
            and min(self._distances) > (1 - STALL_IMPROVEMENT) * self._distances[0]
        )
        return self._edge(
            "non_convergence",
            crossings >= OSC_MIN_CROSSINGS and swing and stalled,
            event.step,
            "The losses keep oscillating and the generated data gets no closer to the real "
            "data: the two players are circling instead of converging.",
        )

    def on_quality(self, event: QualityEvent, spread: float | None = None) -> list[AlertEvent]:
        """Mode-collapse check on one quality evaluation (spread: generated / real std)."""
        self._quality_seen += 1
        if event.distance is not None and math.isfinite(event.distance):
            self._distances.append(event.distance)
        collapsed, message = False, ""
        if self.is_mixture and event.modes_covered is not None and self.modes_total:
            covered, total = event.modes_covered, self.modes_total
            self._best_modes = max(self._best_modes, covered)
            dropped = covered <= self._best_modes / 2 and self._best_modes - covered >= 2
            stuck = self._quality_seen >= COLLAPSE_WARMUP and covered <= 0.25 * total
            collapsed = dropped or stuck
            message = (
                f"The generator covers only {covered} of {total} modes "
                f"(best so far {self._best_modes}): mode collapse."
            )
        if spread is not None and math.isfinite(spread):
            self._best_spread = max(self._best_spread, spread)
        # A spread that was never healthy is an untrained G (step 0), not a collapse.
        if (
            not collapsed
            and spread is not None
            and spread < SPREAD_COLLAPSE
            and self._best_spread >= SPREAD_HEALTHY
        ):
            collapsed = True
            message = (
                f"The generated samples spread {spread:.2f}x as wide as the real data: "
                "the generator is collapsing onto a few points."
            )
        return self._edge("mode_collapse", collapsed, event.step, message)
