"""Frames of events: as the event holds them, and as strict JSON."""

from __future__ import annotations

import json
import math

from gan_core.events import PROTOCOL_VERSION, QualityEvent, SamplesEvent, encode, frame_of, to_frame


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
    frame = frame_of(QualityEvent(step=5, distance=0.7, class_coverage=[0.5, 0.5]))
    same, text = encode(frame)
    assert same is frame and json.loads(text)["class_coverage"] == [0.5, 0.5]


def test_to_frame_is_strict() -> None:
    frame = to_frame(QualityEvent(step=5, distance=math.inf, class_coverage=[0.5, math.nan]))
    assert frame["distance"] is None and frame["class_coverage"] == [0.5, None]
