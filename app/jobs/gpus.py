"""Which GPU a new worker is pinned to: the one with the fewest runs."""

from __future__ import annotations


def visible_gpus(gpus: int, cuda_visible_devices: str | None) -> list[str]:
    """Device ids for ``gpus`` workers: the first ``gpus`` of CUDA_VISIBLE_DEVICES when the
    server itself is restricted to some GPUs, else ``0 .. gpus-1``."""
    if gpus == 0:
        return []
    if cuda_visible_devices is None:
        return [str(i) for i in range(gpus)]
    ids = [part.strip() for part in cuda_visible_devices.split(",") if part.strip()]
    if len(ids) < gpus:
        raise ValueError(f"{gpus} GPUs asked for but CUDA_VISIBLE_DEVICES lists {len(ids)}")
    return ids[:gpus]


class GpuPool:
    """Counts runs per GPU. Not thread-safe: the executor holds its lock around it.

    Indices (not device ids) are passed around; ``None`` stands for "no GPU", which
    every method accepts so that CPU-only executors need no special case.
    """

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self._load = [0] * len(ids)

    def least_loaded(self) -> int | None:
        """The GPU a new worker should get (the lowest index on ties), or None without GPUs."""
        if not self.ids:
            return None
        return min(range(len(self.ids)), key=self._load.__getitem__)

    def is_least_loaded(self, index: int | None) -> bool:
        """Whether a worker already pinned to ``index`` is as good a choice as any."""
        return index is None or self._load[index] == min(self._load)

    def acquire(self, index: int | None) -> None:
        """A run starts on ``index``."""
        if index is not None:
            self._load[index] += 1

    def release(self, index: int | None) -> None:
        """A run on ``index`` ended."""
        if index is not None:
            self._load[index] -= 1

    def device_id(self, index: int | None) -> str | None:
        """The CUDA_VISIBLE_DEVICES value for a worker pinned to ``index``."""
        return None if index is None else self.ids[index]
