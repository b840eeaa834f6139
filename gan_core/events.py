"""Typed events a Trainer yields, and the commands it accepts.

Every event serialises with :func:`to_frame` to the JSON frame of the event
protocol (the README's protocol section): a dict with ``"v"`` (protocol version) and ``"type"``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from typing import Any, Literal

PROTOCOL_VERSION = 2
MAX_PACE = 50.0  # steps a second in slow motion
# The live view's grids, which fix the shapes of its frames (torch-free, for the server too).
GRID_SIDE = 20  # latent grid of a 2-D manifold: GRID_SIDE x GRID_SIDE
CURVE_POINTS = 64  # latent grid of a 1-D manifold (a curve)
MAP_POINTS_1D = 200  # D's curve over the axis of a 1-D run

RunStatus = Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"]
AlertKind = Literal["mode_collapse", "vanishing_gradient", "non_convergence", "divergence"]
METRIC_FIELDS: tuple[str, ...] = ("loss_d", "loss_g", "d_real", "d_fake", "grad_g", "grad_d")


@dataclass
class MetricsEvent:
    """Per-step training figures for ``metrics_every`` steps, columnar.

    ``d_real`` / ``d_fake`` are mean D(x) / D(G(z)) as probabilities (sigmoid of
    D's logit for every loss, so 0.5 is the equilibrium line). ``lr_g``/``lr_d``
    hold the rates in force at the end of the batch; ``time`` is seconds since
    the run started, ``wall`` the emitter's clock (Unix seconds) when the frame was
    made, for latency measurements, and ``steps_per_second`` the recent rate.
    """

    step: int
    steps: list[int]
    loss_d: list[float]
    loss_g: list[float]
    d_real: list[float]
    d_fake: list[float]
    grad_g: list[float]
    grad_d: list[float]
    lr_g: float
    lr_d: float
    time: float
    wall: float
    steps_per_second: float
    type: Literal["metrics"] = "metrics"


@dataclass
class ReferenceEvent:
    """What a run's live view needs once, not in every samples frame.

    Sent after the first ``running`` status of every start and again when the loss or
    the manifold's latent dimensions change. ``real``: the real batch shown (data space);
    ``map``: the heat map's axes ``{"x", "y"?, "label", "probability"}``; ``latent``:
    ``{"dim", "dims", "shape", "range", "noise"}``, the latent grid and the fixed noise
    batch's coordinates in ``dims``; ``real_png``: the real image grid of image runs.
    """

    step: int
    kind: Literal["points", "images"]
    dim: int | None = None
    real: list[list[float]] | None = None
    map: dict[str, Any] | None = None
    latent: dict[str, Any] | None = None
    real_png: str | None = None
    loss: str | None = None
    type: Literal["reference"] = "reference"


Phase = Literal["d", "g", "both"]


@dataclass
class SamplesEvent:
    """A snapshot of the generator.

    ``kind="points"``: ``points`` are the training G on the fixed noise batch (N, dim) in
    data space; ``gradients`` -grad_x L_G at each point (same order); ``manifold``
    ``{"shape": [rows, cols], "dims": [...], "points": [...]}``, G on the latent grid;
    ``heatmap`` ``{"z": ...}`` over the reference's map axes (on some frames only);
    ``ema_points`` the EMA generator on the same noise; ``phase`` the update just made
    when stepping or in slow motion. ``kind="images"``: ``image_png`` is a base64 PNG grid
    of G on a fixed noise batch.
    """

    step: int
    kind: Literal["points", "images"]
    points: list[list[float]] | None = None
    gradients: list[list[float]] | None = None
    manifold: dict[str, Any] | None = None
    heatmap: dict[str, Any] | None = None
    ema_points: list[list[float]] | None = None
    phase: Phase | None = None
    image_png: str | None = None
    type: Literal["samples"] = "samples"


@dataclass
class QualityEvent:
    """Quality of the generator at ``step``; fields not meaningful for the data are None."""

    step: int
    distance: float | None = None
    modes_covered: int | None = None
    modes_covered_strict: int | None = None
    modes_total: int | None = None
    high_quality: float | None = None
    kl: float | None = None
    mean: float | None = None
    std: float | None = None
    target_mean: float | None = None
    target_std: float | None = None
    class_coverage: list[float] | None = None
    classes_covered: int | None = None
    score: float | None = None
    real_score: float | None = None  # image sets: score and distance of held-out real
    real_distance: float | None = None  # images, measured the same way: the ceiling
    type: Literal["quality"] = "quality"


@dataclass
class AlertEvent:
    """A detector fired: ``message`` explains it to a student, ``hint`` says what to try."""

    kind: AlertKind
    step: int
    message: str
    hint: str
    type: Literal["alert"] = "alert"


@dataclass
class StatusEvent:
    """A status change. The first event of a run carries the full ``config``."""

    status: RunStatus
    step: int
    reason: str | None = None
    config: dict[str, Any] | None = None
    type: Literal["status"] = "status"


Event = MetricsEvent | ReferenceEvent | SamplesEvent | QualityEvent | AlertEvent | StatusEvent


def finite(value: Any) -> Any:
    """``value`` with every NaN and infinity inside it replaced by None: they are not JSON,
    and a diverged run produces them in losses, points and heat maps alike."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def frame_of(event: Event) -> dict[str, Any]:
    """The frame of an event, tagged with the protocol version, its values as the event holds
    them (not copied; NaN and infinities kept): :func:`encode` makes it strict JSON."""
    frame = {field.name: getattr(event, field.name) for field in fields(event)}
    frame["v"] = PROTOCOL_VERSION
    return frame


def encode(frame: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``frame`` as strict JSON text (NaN and infinities as null), with the frame that text
    describes. The walk that replaces them is paid only when the fast encoding refuses."""
    try:
        return frame, json.dumps(frame, allow_nan=False)
    except ValueError:  # rare: a diverged run
        clean = finite(frame)
        return clean, json.dumps(clean, allow_nan=False)


def to_frame(event: Event) -> dict[str, Any]:
    """The JSON-ready frame of an event (strict JSON: no NaN), tagged with the protocol version."""
    return encode(frame_of(event))[0]


CommandName = Literal[
    "stop",
    "pause",
    "resume",
    "set_lr",
    "freeze",
    "step",
    "set_pace",
    "set_k",
    "set_loss",
    "set_optimizer",
    "set_view",
]


@dataclass
class Command:
    """A command for a running trainer, applied between steps.

    - ``stop`` | ``pause`` | ``resume``: no arguments.
    - ``set_lr``: ``target`` "g" or "d", ``value`` the rate in (0, 1].
    - ``freeze``: ``target`` "g" or "d", ``value`` True (frozen) or False.
    - ``step`` (paused runs only): ``target`` "d", "g" or "both", ``value`` how many
      updates (1..1000); each D update, G update or full iteration counts as one step.
    - ``set_pace``: ``value`` steps per second (1..50) with a frame after every step,
      or 0 for full speed.
    - ``set_k``: ``value`` D updates per G update (1..20).
    - ``set_loss``: ``value`` a loss name.
    - ``set_optimizer``: ``target`` "g" or "d", ``value`` "adam" or "sgd" (fresh state).
    - ``set_view``: ``value`` the two latent dimensions ``[i, j]`` the manifold spans.
    """

    name: CommandName
    target: Literal["g", "d", "both"] | None = None
    value: float | bool | str | list[int] | None = None
