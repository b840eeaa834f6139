"""Store: batched writes visible to reads, downsampling, retention, truncation, restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.retention import KEEP_SAMPLES, spread
from app.store import Store, stride_for


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    yield store
    store.close()


def row(run_id: str, created_at: str = "2024-01-01T00:00:00") -> dict[str, Any]:
    return {
        "id": run_id,
        "status": "queued",
        "preset": None,
        "config": {"steps": 5},
        "step": 0,
        "total_steps": 5,
        "reason": None,
        "created_at": created_at,
        "started_at": None,
        "finished_at": None,
        "latest_metrics": None,
        "latest_quality": None,
        "controls": {"lr_g": 0.1},
        "alerts": 0,
        "steps_per_second": None,
        "checkpoint_step": None,
        "resume": 0,
    }


def metrics(steps: list[int]) -> dict[str, Any]:
    values = [float(s) for s in steps]
    return {
        "steps": steps,
        **{k: values for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g", "grad_d")},
    }


@pytest.mark.parametrize(("count", "max_points"), [(10, 10), (1001, 10), (5000, 2), (7, 3)])
def test_stride_keeps_at_most_max_points(count: int, max_points: int) -> None:
    stride = stride_for(count, max_points)
    kept = {i for i in range(count) if i % stride == 0} | {count - 1}
    assert len(kept) <= max_points and 0 in kept


def test_writes_are_read_back_and_metrics_downsampled(store: Store) -> None:
    store.insert_run(row("a"))
    store.update_run("a", status="running", controls={"lr_g": 0.5})
    store.add_metrics("a", metrics(list(range(1, 1001))))
    got = store.get_run("a")
    assert got is not None and got["status"] == "running" and got["controls"] == {"lr_g": 0.5}
    full = store.metrics("a", 10_000)
    assert full["steps"] == list(range(1, 1001)) and full["grad_d"][-1] == 1000.0
    small = store.metrics("a", 50)
    assert small["steps"][0] == 1 and small["steps"][-1] == 1000 and len(small["steps"]) <= 50
    assert store.metrics("missing", 10) == {k: [] for k in full}


@pytest.mark.parametrize(
    ("first", "spacing", "count", "max_points"),
    [(1, 1, 200_000, 2000), (10, 10, 5003, 100), (7, 3, 40, 40), (5, 1, 1, 3)],
)
def test_downsampling_keeps_ends_and_even_spacing_within_max_points(
    store: Store, first: int, spacing: int, count: int, max_points: int
) -> None:
    store.insert_run(row("a"))
    steps = list(range(first, first + spacing * count, spacing))
    for start in range(0, count, 10_000):
        store.add_metrics("a", metrics(steps[start : start + 10_000]))
    got = store.metrics("a", max_points)["steps"]
    assert got[0] == steps[0] and got[-1] == steps[-1]
    assert max_points // 2 <= len(got) <= max_points or len(got) == count
    gaps = {b - a for a, b in zip(got[:-2], got[1:-1], strict=True)}
    assert len(gaps) <= 1  # evenly spaced but for the last point


def test_samples_are_pruned_per_kind_and_history_truncated(store: Store) -> None:
    store.insert_run(row("a"))
    for step in range(KEEP_SAMPLES["points"] + 5):
        store.add_frame("samples", "a", {"type": "samples", "kind": "points", "step": step})
    store.add_frame("quality", "a", {"type": "quality", "step": 30})
    store.add_metrics("a", metrics([10, 20, 30, 40]))
    kept = [f["step"] for f in store.frames("samples", "a")]
    last = KEEP_SAMPLES["points"] + 4
    assert len(kept) <= KEEP_SAMPLES["points"] and kept[0] == 0 and kept[-1] == last
    assert [f["step"] for f in store.frames("samples", "a", last=2)] == kept[-2:]
    store.truncate_after("a", 25)
    assert store.metrics("a", 100)["steps"] == [10, 20]
    assert store.frames("quality", "a") == [] and store.frames("samples", "a")[-1]["step"] == 24


@pytest.mark.parametrize("kind", ["points", "images"])
def test_a_long_run_keeps_a_bounded_evenly_spaced_history_of_the_whole_run(
    store: Store, kind: str
) -> None:
    keep = KEEP_SAMPLES[kind]
    store.insert_run(row("a"))
    gaps = [7, 9, 13, 8, 11]  # clock-paced frames: a jittery number of steps apart
    step = 0
    for i in range(8 * keep):
        store.add_frame("samples", "a", {"type": "samples", "kind": kind, "step": step})
        step += gaps[i % len(gaps)]
        if i in (keep - 1, 3 * keep, 8 * keep - 1):
            got = [f["step"] for f in store.frames("samples", "a")]
            assert keep // 2 <= len(got) <= keep
            assert got[0] == 0 and got[-1] == step - gaps[i % len(gaps)]
            spacing = [b - a for a, b in zip(got, got[1:-1], strict=False)]
            assert max(spacing) <= 2.5 * min(spacing)  # even over the whole run


def test_the_replay_read_spreads_frames_by_step_with_first_and_last(store: Store) -> None:
    store.insert_run(row("a"))
    steps = [0, 1, 2, 3, 50, 51, 52, 100, 150, 199, 200]
    for step in steps:
        store.add_frame("samples", "a", {"type": "samples", "kind": "images", "step": step})
    assert [f["step"] for f in store.samples("a", 5)] == [0, 50, 100, 150, 200]
    assert [f["step"] for f in store.samples("a", 2)] == [0, 200]
    assert [f["step"] for f in store.samples("a", 100)] == steps
    assert store.samples("nobody", 10) == []


@pytest.mark.parametrize(
    ("steps", "n", "expected"),
    [
        ([], 3, []),
        ([5], 3, [0]),
        ([0, 10, 20, 30, 40], 3, [0, 2, 4]),
        ([0, 1, 2, 3, 4, 5, 6, 100], 3, [0, 6, 7]),
        ([0, 0, 0, 9], 2, [0, 3]),
    ],
)
def test_spread_picks_the_nearest_to_even_steps(
    steps: list[int], n: int, expected: list[int]
) -> None:
    assert spread(steps, n) == expected


def test_listing_filters_pages_and_survives_a_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    store.open()
    for i in range(5):
        store.insert_run(row(f"r{i}", created_at=f"2024-01-0{i + 1}T00:00:00"))
    store.update_run("r1", status="completed")
    store.add_transition("r1", "completed", 5, None, "2024-01-02T00:01:00")
    store.close()
    store = Store(tmp_path / "db.sqlite")
    store.open()
    try:
        runs, count = store.list_runs(limit=2, offset=1)
        assert [r["id"] for r in runs] == ["r3", "r2"] and count == 5
        done, count = store.list_runs(status="completed")
        assert [r["id"] for r in done] == ["r1"] and count == 1
        assert [t["status"] for t in store.transitions("r1")] == ["completed"]
        store.delete_run("r1")
        assert store.get_run("r1") is None and store.transitions("r1") == []
    finally:
        store.close()
