"""Connecting to Ray: a connection that Ray Client's proxy aborts is tried again."""

from types import SimpleNamespace

import pytest

from app.jobs.ray_executor import CONNECT_ATTEMPTS, connect_ray


def fake_ray(aborts: int) -> tuple[SimpleNamespace, list[str]]:
    """A stand-in for the ray module whose first ``aborts`` inits fail as the proxy's do."""
    calls: list[str] = []

    def init(address: str, **options: object) -> None:
        calls.append("init")
        if calls.count("init") <= aborts:
            raise ConnectionAbortedError("Initialization failure from server")

    ray = SimpleNamespace(
        init=init,
        cluster_resources=lambda: {"CPU": 4.0},
        shutdown=lambda: calls.append("shutdown"),
    )
    return ray, calls


def test_an_aborted_connection_is_tried_again_after_a_shutdown() -> None:
    ray, calls = fake_ray(aborts=CONNECT_ATTEMPTS - 1)
    assert connect_ray(ray, "ray://127.0.0.1:1", {}, pause=0) == {"CPU": 4.0}
    assert calls == ["init", "shutdown"] * (CONNECT_ATTEMPTS - 1) + ["init"]


def test_a_connection_aborted_every_time_raises_after_the_last_attempt() -> None:
    ray, calls = fake_ray(aborts=CONNECT_ATTEMPTS)
    with pytest.raises(ConnectionAbortedError):
        connect_ray(ray, "ray://127.0.0.1:1", {}, pause=0)
    assert calls.count("init") == CONNECT_ATTEMPTS


def test_other_failures_are_not_tried_again() -> None:
    def refuse(address: str, **options: object) -> None:
        raise ConnectionError("unreachable")

    ray = SimpleNamespace(init=refuse, cluster_resources=dict, shutdown=lambda: None)
    with pytest.raises(ConnectionError):
        connect_ray(ray, "127.0.0.1:1", {}, pause=0)
