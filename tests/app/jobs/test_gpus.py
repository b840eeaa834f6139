"""GPU pinning: which device id a new worker gets."""

import pytest

from app.jobs.gpus import GpuPool, visible_gpus


def test_visible_gpus_follow_the_servers_own_cuda_visible_devices() -> None:
    assert visible_gpus(0, "3") == []
    assert visible_gpus(2, None) == ["0", "1"]
    assert visible_gpus(2, "5, 7,9") == ["5", "7"]
    with pytest.raises(ValueError, match="2 GPUs"):
        visible_gpus(2, "4")
    with pytest.raises(ValueError):
        visible_gpus(1, "")


def test_each_new_worker_gets_the_least_loaded_gpu() -> None:
    pool = GpuPool(["5", "7"])
    first = pool.least_loaded()
    pool.acquire(first)
    second = pool.least_loaded()
    pool.acquire(second)
    assert (first, second) == (0, 1) and pool.device_id(second) == "7"
    assert pool.is_least_loaded(0) and pool.is_least_loaded(1)
    pool.release(first)
    assert pool.least_loaded() == 0
    assert not pool.is_least_loaded(1)


def test_without_gpus_nothing_is_pinned() -> None:
    pool = GpuPool([])
    assert pool.least_loaded() is None
    assert pool.is_least_loaded(None) and pool.device_id(None) is None
    pool.acquire(None)
    pool.release(None)
