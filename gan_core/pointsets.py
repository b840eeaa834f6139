"""Point sets people bring: a CSV or ``.npy`` file of 1-D or 2-D points, checked; no torch.

A set is N points of 1 or 2 coordinates, all finite. A CSV has one or two numeric columns,
separated by commas, semicolons, tabs or spaces, with an optional header row; blank lines
are skipped. A ``.npy`` array has shape (N,), (N, 1) or (N, 2) and a numeric dtype (no
pickled objects are ever loaded). Every refusal is a :class:`PointsRefused` whose message
says what is wrong and where, for a person to fix the file.

Sets are kept as ``.npy`` float32 arrays of shape (N, dim): :func:`to_npy` and
:func:`from_npy` are the only encoding the server and the workers exchange.
"""

from __future__ import annotations

import io
import re

import numpy as np

NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
"""A set's name: a slug of 1-40 lower-case letters, digits and inner hyphens."""
MIN_POINTS = 2
_NPY_MAGIC = b"\x93NUMPY"
_SEPARATORS = re.compile(r"[,;\t ]+")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class PointsRefused(ValueError):
    """A file that is not a usable point set; the message says why."""


def check_name(name: str) -> str:
    """``name`` when it is a slug, else PointsRefused."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise PointsRefused(
            f"name {name[:60]!r} is not a slug: 1-40 lower-case letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        )
    return name


def parse_points(data: bytes, max_points: int) -> np.ndarray:
    """The (N, dim) float32 points of a CSV or ``.npy`` file's bytes; PointsRefused otherwise."""
    # Both readers give float64, so that an overflow is caught before the cast.
    if not data.strip():
        raise PointsRefused("the file is empty")
    points = _from_npy_file(data) if data.startswith(_NPY_MAGIC) else _from_csv(data, max_points)
    count = points.shape[0]
    if count > max_points:
        raise PointsRefused(
            f"the file has {count} points, over this server's limit of {max_points} "
            "(GANWATCH_MAX_UPLOAD_POINTS)"
        )
    if count < MIN_POINTS:
        raise PointsRefused(f"the file has {count} point; a set needs at least {MIN_POINTS}")
    bad = ~np.isfinite(points) | (np.abs(points) > _FLOAT32_MAX)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise PointsRefused(
            f"point {row + 1}, column {col + 1} is {points[row, col]:g}: every coordinate "
            "must be a finite number within float32's range"
        )
    return points.astype(np.float32)


def to_npy(points: np.ndarray) -> bytes:
    """The ``.npy`` bytes of a checked (N, dim) set, as float32."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(points, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def from_npy(data: bytes) -> np.ndarray:
    """The (N, dim) float32 array :func:`to_npy` wrote."""
    return np.load(io.BytesIO(data), allow_pickle=False).astype(np.float32, copy=False)


def _from_npy_file(data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        _, _, dtype = read_header(stream)
    except Exception as exc:
        raise PointsRefused(f"the .npy file's header is damaged: {exc}") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise PointsRefused(f"the .npy array holds {dtype}, not real numbers")
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise PointsRefused(f"the .npy file is damaged: {exc}") from None
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] not in (1, 2):
        raise PointsRefused(
            f"the .npy array has shape {array.shape}; a point set is (N,), (N, 1) or (N, 2)"
        )
    return array.astype(np.float64)


def _from_csv(data: bytes, max_points: int) -> np.ndarray:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PointsRefused("the file is neither UTF-8 text (CSV) nor a .npy array") from None
    if "\x00" in text:
        raise PointsRefused("the file is neither UTF-8 text (CSV) nor a .npy array")
    rows: list[list[float]] = []
    width = 0
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [c for c in _SEPARATORS.split(line.strip()) if c]
        if not cells:
            continue
        values = _numbers(cells)
        if values is None:
            if not rows and width == 0:  # the first non-blank row may be a header
                width = -len(cells)
                continue
            bad = next(c for c in cells if _number(c) is None)
            raise PointsRefused(f"row {number}: {bad[:40]!r} is not a number")
        if len(values) not in (1, 2):
            raise PointsRefused(
                f"row {number} has {len(values)} columns; a point set has 1 or 2 columns"
            )
        if width > 0 and len(values) != width:
            raise PointsRefused(
                f"row {number} has {len(values)} columns, the rows above it {width}"
            )
        if width < 0 and len(values) != -width:
            raise PointsRefused(f"row {number} has {len(values)} columns, the header {-width}")
        width = len(values)
        rows.append(values)
        if len(rows) > max_points:
            raise PointsRefused(
                f"the file has more than {max_points} points, over this server's limit of "
                f"{max_points} (GANWATCH_MAX_UPLOAD_POINTS)"
            )
    if not rows:
        raise PointsRefused("the file has no rows of numbers")
    return np.asarray(rows, dtype=np.float64)


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip("\"'"))
    except ValueError:
        return None


def _numbers(cells: list[str]) -> list[float] | None:
    values = [_number(c) for c in cells]
    return None if any(v is None for v in values) else [v for v in values if v is not None]
