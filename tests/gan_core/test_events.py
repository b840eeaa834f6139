"""Frames of events: as the event holds them, and as strict JSON."""

from __future__ import annotations

import json
import math

from gan_core.events import PROTOCOL_VERSION, MetricsEvent, SamplesEvent, encode, frame_of, to_frame


def metrics(loss_d: list[float]) -> MetricsEvent:
    n = len(loss_d)
    return MetricsEvent(
        step=n,
        steps=list(range(1, n + 1)),
        loss_d=loss_d,
        loss_g=[0.5] * n,
        d_real=[0.5] * n,
        d_fake=[0.5] * n,
        grad_g=[1.0] * n,
        grad_d=[1.0] * n,
        lr_g=1e-3,
        lr_d=1e-3,
        time=1.0,
        wall=0.0,
        steps_per_second=10.0,
    )


def test_frame_of_holds_the_events_values_unchanged() -> None:
    event = SamplesEvent(step=3, kind="points", points=[[0.1, math.nan]], heatmap={"z": [[1.0]]})
    frame = frame_of(event)
    assert frame["points"] is event.points and frame["heatmap"] is event.heatmap
    assert frame["type"] == "samples" and frame["v"] == PROTOCOL_VERSION


def test_encode_replaces_nan_and_infinity_with_null_at_any_depth() -> None:
    event = SamplesEvent(
        step=3,
        kind="points",
        points=[[0.1, math.nan], [math.inf, 2.0]],
        manifold={"shape": [1, 1], "points": [[-math.inf, 0.0]]},
    )
    frame, text = encode(frame_of(event))
    assert json.loads(text) == frame
    assert frame["points"] == [[0.1, None], [None, 2.0]]
    assert frame["manifold"]["points"] == [[None, 0.0]]
    assert event.points[0][1] != event.points[0][1]  # the event itself keeps its NaN


def test_a_finite_frame_is_encoded_as_it_is() -> None:
    frame = frame_of(metrics([0.7, 0.6]))
    same, text = encode(frame)
    assert same is frame and json.loads(text)["loss_d"] == [0.7, 0.6]


def test_to_frame_is_strict() -> None:
    assert to_frame(metrics([0.7, math.nan]))["loss_d"] == [0.7, None]
