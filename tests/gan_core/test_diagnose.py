"""Detectors on synthetic traces: each fires when it should, once, and re-arms."""

import math

from gan_core.diagnose import OSC_WINDOW, VANISH_WINDOW, Diagnostics
from gan_core.events import MetricsEvent, QualityEvent


def metrics(start: int, n: int, *, loss_d=None, d_fake=0.4, grad_g=1.0) -> MetricsEvent:
    steps = list(range(start, start + n))
    loss_d = loss_d or (lambda s: 1.3)
    return MetricsEvent(
        step=steps[-1],
        steps=steps,
        loss_d=[loss_d(s) for s in steps],
        loss_g=[0.7] * n,
        d_real=[0.6] * n,
        d_fake=[d_fake] * n,
        grad_g=[grad_g] * n,
        grad_d=[1.0] * n,
        lr_g=1e-3,
        lr_d=1e-3,
        time=0.0,
        wall=0.0,
        steps_per_second=100.0,
    )


def kinds(alerts: list) -> list[str]:
    return [a.kind for a in alerts]


def test_healthy_trace_raises_nothing() -> None:
    diag = Diagnostics(is_mixture=True, modes_total=8)
    for i in range(30):
        assert diag.on_metrics(metrics(1 + 100 * i, 100)) == []
        assert diag.on_quality(QualityEvent(step=i, modes_covered=8, distance=0.02), 1.0) == []


def test_divergence_fires_once_on_the_first_nan() -> None:
    diag = Diagnostics(is_mixture=False)
    bad = metrics(1, 10, loss_d=lambda s: math.nan if s >= 7 else 1.0)
    alerts = diag.on_metrics(bad)
    assert kinds(alerts) == ["divergence"] and alerts[0].step == 7 and "loss_d" in alerts[0].message


def test_vanishing_gradient_needs_a_sustained_window() -> None:
    diag = Diagnostics(is_mixture=False)
    assert diag.on_metrics(metrics(1, 100)) == []  # healthy baseline
    short = diag.on_metrics(metrics(101, VANISH_WINDOW - 1, d_fake=0.01, grad_g=1e-5))
    assert short == []
    diag.on_metrics(metrics(400, 5))  # the streak breaks
    fired = []
    for i in range(4):
        fired += diag.on_metrics(metrics(500 + 100 * i, 100, d_fake=0.01, grad_g=1e-5))
    assert kinds(fired) == ["vanishing_gradient"]
    assert "D(G(z))" in fired[0].message and fired[0].hint


def test_mode_collapse_on_a_drop_in_coverage_fires_once_and_rearms() -> None:
    diag = Diagnostics(is_mixture=True, modes_total=8)
    seq = [8, 8, 3, 2, 8, 1]
    fired = {
        s: kinds(diag.on_quality(QualityEvent(step=s, modes_covered=m), 1.0))
        for s, m in enumerate(seq)
    }
    assert fired == {0: [], 1: [], 2: ["mode_collapse"], 3: [], 4: [], 5: ["mode_collapse"]}


def test_mode_collapse_on_spread_for_unlabelled_data() -> None:
    diag = Diagnostics(is_mixture=False)
    assert diag.on_quality(QualityEvent(step=0, distance=0.5), spread=0.05) == []  # untrained G
    assert diag.on_quality(QualityEvent(step=1, distance=0.5), spread=0.9) == []
    alerts = diag.on_quality(QualityEvent(step=2, distance=0.5), spread=0.05)
    assert kinds(alerts) == ["mode_collapse"] and "0.05" in alerts[0].message


def test_non_convergence_needs_oscillation_and_no_progress() -> None:
    def wave(s: int) -> float:
        return 1.0 + (0.8 if s % 2 else -0.8)

    stalled = Diagnostics(is_mixture=False)
    improving = Diagnostics(is_mixture=False)
    for i in range(6):
        stalled.on_quality(QualityEvent(step=i, distance=0.5), 1.0)
        improving.on_quality(QualityEvent(step=i, distance=0.5 * 0.7**i), 1.0)
    fired_stalled, fired_improving = [], []
    for i in range(OSC_WINDOW // 100 + 2):
        fired_stalled += stalled.on_metrics(metrics(1 + 100 * i, 100, loss_d=wave))
        fired_improving += improving.on_metrics(metrics(1 + 100 * i, 100, loss_d=wave))
    assert kinds(fired_stalled) == ["non_convergence"]
    assert fired_improving == []
