"""Presets converge with their defaults: short versions of the full runs in bench/presets.py."""

from gan_core.events import AlertEvent, QualityEvent
from gan_core.presets import preset_config
from gan_core.trainer import Trainer


def final_quality(name: str, **overrides: object) -> tuple[QualityEvent, list[AlertEvent]]:
    events = list(Trainer(preset_config(name, overrides)).events())
    quality = [e for e in events if isinstance(e, QualityEvent)][-1]
    return quality, [e for e in events if isinstance(e, AlertEvent)]


def test_ring8_covers_all_modes_with_mostly_high_quality_samples() -> None:
    quality, alerts = final_quality("ring-8", steps=2000, quality_every=1000)
    assert quality.modes_covered == 8
    assert quality.high_quality is not None and quality.high_quality >= 0.85
    assert not [a for a in alerts if a.kind in ("mode_collapse", "divergence")]


def test_grid25_covers_nearly_every_mode() -> None:
    quality, _ = final_quality("grid-25", steps=2500, quality_every=2500)
    assert quality.modes_covered is not None and quality.modes_covered >= 22
    assert quality.high_quality is not None and quality.high_quality >= 0.6


def test_gaussian_1d_matches_mean_and_std() -> None:
    quality, _ = final_quality("gaussian-1d", steps=1500, quality_every=1500)
    assert quality.mean is not None and quality.std is not None
    assert abs(quality.mean - 4.0) / 4.0 < 0.1
    assert abs(quality.std - 1.25) / 1.25 < 0.15


def test_collapse_demo_fires_the_mode_collapse_alert() -> None:
    events = list(
        Trainer(preset_config("collapse-demo", {"steps": 1000, "quality_every": 125})).events()
    )
    alerts = [e for e in events if isinstance(e, AlertEvent) and e.kind == "mode_collapse"]
    assert alerts, "collapse-demo did not fire the mode-collapse alert"
    covered = {e.step: e.modes_covered for e in events if isinstance(e, QualityEvent)}
    assert covered[alerts[0].step] is not None and covered[alerts[0].step] <= 2
