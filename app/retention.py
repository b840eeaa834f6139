"""A run's samples history: bounded, evenly thinned over the whole run, read back spread.

Each run keeps at most :data:`KEEP_SAMPLES` samples frames of its kind. The stored frames
stay evenly spaced in steps from the first to the newest:

- the newest frame is always stored, so a replay ends where the run is;
- the frame before it stays only if its gap to the one before is at least the smallest gap
  among the older frames (the run's current spacing), else the new frame replaces it;
- when the count passes the bound, every other frame goes (the first and the newest stay),
  which doubles the spacing.

Everything is derived from the rows themselves, inside the writer's transaction, so a batch
that is retried after a failed commit repeats the same decisions.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

# Bytes per run at the bound: a ring-8 points frame is ~26 kB of JSON, ~52 kB with its heat
# map (every third frame): 300 frames are ~10 MB. A digits grid is ~6 kB: 200 are ~1.3 MB.
KEEP_SAMPLES = {"images": 200, "points": 300}

_ROWS = "SELECT rowid, step FROM samples WHERE run_id = ? ORDER BY step, rowid"


def thin_samples(conn: sqlite3.Connection, run_id: str, keep: int) -> None:
    """Apply the retention rule to ``run_id`` after its newest samples frame was inserted."""
    rows = conn.execute(_ROWS, (run_id,)).fetchall()
    doomed: list[int] = []
    if len(rows) >= 4:
        spacing = min(b[1] - a[1] for a, b in pairwise(rows[:-2]))
        if rows[-2][1] - rows[-3][1] < spacing:
            doomed.append(rows[-2][0])
            rows = [*rows[:-2], rows[-1]]
    if len(rows) > keep:
        doomed.extend(rowid for rowid, _ in rows[1:-1:2])
    conn.executemany("DELETE FROM samples WHERE rowid = ?", [(rowid,) for rowid in doomed])


def spread(steps: Sequence[int], n: int) -> list[int]:
    """Indices of at most ``n`` of the sorted ``steps``, nearest to ``n`` evenly spaced
    steps from the first to the last; the first and the last are always among them."""
    if len(steps) <= n:
        return list(range(len(steps)))
    if n == 1:
        return [len(steps) - 1]
    first, last = steps[0], steps[-1]
    picked = {0, len(steps) - 1}
    for i in range(1, n - 1):
        target = first + (last - first) * i / (n - 1)
        j = bisect_left(steps, target)
        if j > 0 and (j == len(steps) or target - steps[j - 1] <= steps[j] - target):
            j -= 1
        picked.add(j)
    return sorted(picked)


def spread_rowids(conn: sqlite3.Connection, run_id: str, max_frames: int) -> list[int]:
    """Row ids of the run's samples frames that :func:`spread` picks, in step order."""
    rows = conn.execute(_ROWS, (run_id,)).fetchall()
    return [rows[i][0] for i in spread([step for _, step in rows], max_frames)]
