"""Point sets people bring: the CSV / .npy checks, and a run that trains on one."""

import io
import math

import numpy as np
import pytest
import torch

from gan_core.config import RunConfig
from gan_core.data import PointsSampler, make_sampler
from gan_core.events import QualityEvent, ReferenceEvent, SamplesEvent, StatusEvent
from gan_core.pointsets import PointsRefused, check_name, from_npy, parse_points, to_npy
from gan_core.trainer import Trainer


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def test_csv_with_a_header_and_any_separator_gives_float32_points() -> None:
    points = parse_points(b"x,y\n1,2\n\n3.5;-4\n5\t6e-1\n 7  8 \n", 100)
    assert points.dtype == np.float32 and points.shape == (4, 2)
    assert points.tolist() == [[1, 2], [3.5, -4], [5, pytest.approx(0.6)], [7, 8]]
    assert parse_points(b"\xef\xbb\xbfvalue\n1\n2\n", 100).shape == (2, 1)  # BOM, one column


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"1,2\n3,nan\n", "point 2, column 2 is nan"),
        (b"1,2\ninf,3\n", "point 2, column 1 is inf"),
        (b"1,2\n1e300,3\n", "finite"),
        (b"1,2,3\n4,5,6\n", "row 1 has 3 columns; a point set has 1 or 2"),
        (b"1,2\n3\n", "row 2 has 1 columns, the rows above it 2"),
        (b"a,b\n1\n", "row 2 has 1 columns, the header 2"),
        (b"1,2\nhello,3\n", "row 2: 'hello' is not a number"),
        (b"just some words\nand more words\n", "row 2: 'and' is not a number"),
        (b"x,y\n", "no rows of numbers"),
        (b"5\n", "at least 2"),
        (bytes(range(256)) * 4, "neither UTF-8 text"),
        (b"1,2\n" * 11, "over this server's limit of 10"),
    ],
)
def test_a_bad_csv_is_refused_with_the_reason(data: bytes, says: str) -> None:
    with pytest.raises(PointsRefused, match=says.replace("(", r"\(")):
        parse_points(data, 10)


def test_npy_arrays_of_one_or_two_columns_are_read_without_pickle() -> None:
    assert parse_points(npy(np.arange(5, dtype=np.int16)), 10).shape == (5, 1)
    assert parse_points(npy(np.ones((3, 2))), 10).shape == (3, 2)
    for bad, says in [
        (np.ones((3, 3)), r"shape \(3, 3\)"),
        (np.ones((2, 2, 2)), "shape"),
        (np.array(["a", "b"]), "not real numbers"),
        (np.array([1 + 2j, 3j]), "not real numbers"),
        (np.array([{"a": 1}, None], dtype=object), "holds object, not real numbers"),
        (np.array([1.0, np.nan]), "is nan"),
    ]:
        with pytest.raises(PointsRefused, match=says):
            parse_points(npy(bad), 10)
    with pytest.raises(PointsRefused, match="damaged"):
        parse_points(npy(np.ones((4, 2)))[:-8], 10)
    with pytest.raises(PointsRefused, match="over this server's limit"):
        parse_points(npy(np.ones(11)), 10)


def test_names_are_slugs() -> None:
    assert check_name("my-points-2") == "my-points-2"
    for bad in ["", "-a", "a-", "A", "a b", "../x", "a/b", "x" * 41, "ünï"]:
        with pytest.raises(PointsRefused, match="slug"):
            check_name(bad)
    with pytest.raises(ValueError):
        RunConfig(dataset="../etc")


def test_npy_round_trip_and_the_sampler_draws_only_the_given_points() -> None:
    points = parse_points(b"0,0\n10,0\n0,-5\n", 10)
    assert from_npy(to_npy(points)).tolist() == points.tolist()
    sampler = make_sampler(RunConfig(dataset="mine").parts().data, points)
    assert isinstance(sampler, PointsSampler)
    assert sampler.sample_shape == (2,) and sampler.scale == 10
    assert sampler.bounds is not None
    (x_lo, x_hi), (y_lo, y_hi) = sampler.bounds
    assert x_lo < 0 < 10 < x_hi and y_lo < -5 < 0 < y_hi
    drawn = sampler.sample(300, torch.Generator().manual_seed(0))
    assert {tuple(p) for p in drawn.tolist()} == {(0.0, 0.0), (10.0, 0.0), (0.0, -5.0)}


def test_a_run_on_uploaded_points_gets_the_data_view_and_a_distance() -> None:
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal((3, 3), 0.1, (200, 2)), rng.normal((-3, 1), 0.1, (200, 2))])
    config = RunConfig(
        dataset="two-spots",
        steps=30,
        g_hidden=32,
        d_hidden=32,
        batch_size=64,
        samples_per_second=0,
        samples_every=10,
        quality_every=15,
        heatmap_size=8,
    )
    events = list(Trainer(config, points=points.astype(np.float32)).events())
    assert isinstance(events[-1], StatusEvent) and events[-1].status == "completed"
    reference = next(e for e in events if isinstance(e, ReferenceEvent))
    assert reference.dim == 2 and reference.map is not None
    real = np.array(reference.real)
    assert np.abs(np.abs(real[:, 0]) - 3).max() < 1  # drawn from the two spots
    samples = [e for e in events if isinstance(e, SamplesEvent)]
    assert samples and all(s.gradients is not None for s in samples)
    assert any(s.heatmap is not None for s in samples)
    quality = [e for e in events if isinstance(e, QualityEvent)]
    assert quality and all(q.distance is not None and math.isfinite(q.distance) for q in quality)


def test_a_one_dimensional_set_gets_the_line_view_over_its_own_extent() -> None:
    points = np.linspace(10, 20, 50, dtype=np.float32).reshape(-1, 1)
    config = RunConfig(dataset="ramp", steps=10, g_hidden=16, d_hidden=16, batch_size=32)
    trainer = Trainer(config, points=points)
    assert trainer.view is not None and trainer.view.dim == 1
    axis = trainer.view.axes[0]
    assert float(axis[0]) < 10 and 20 < float(axis[-1]) < 25
