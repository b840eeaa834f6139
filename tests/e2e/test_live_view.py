"""The live data view in a real browser: canvas layers, stepping by hand, slow motion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import FINAL, launch, wait_status
from playwright.sync_api import Page, expect

from bench.serverlib import Server

pytestmark = pytest.mark.e2e
SMALL = {"steps": 200000, "n_samples": 64, "heatmap_size": 16, "g_hidden": 32, "d_hidden": 32}
VIEW = "document.getElementById('data-view')"


@pytest.fixture
def paused_run(server: Server) -> Iterator[str]:
    """A ring-8 run that starts paused; stopped at the end so it frees the CPU."""
    r = httpx.post(
        f"{server.url}/api/runs",
        json={"preset": "ring-8", "overrides": SMALL, "start_paused": True},
        timeout=30,
    )
    r.raise_for_status()
    run_id = str(r.json()["id"])
    wait_status(server, run_id, ("paused",), timeout=60)
    yield run_id
    httpx.post(f"{server.url}/api/runs/{run_id}/stop", timeout=30)
    wait_status(server, run_id, FINAL, timeout=60)


def open_paused(page: Page, server: Server, run_id: str) -> None:
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.locator("#status")).to_have_text("paused", timeout=30_000)
    expect(page.locator("#step-d")).to_be_enabled()
    if not page.evaluate("Boolean(window.ganwatchView?.frame)"):
        next_frame(page, "#step-d")  # a run paused from its start may have no frame yet


def next_frame(page: Page, button: str) -> dict[str, Any]:
    """Click a step button and return the view's state once the frame it causes is shown."""
    page.evaluate("window.seen = window.ganwatchView?.frame")
    page.click(button)
    page.wait_for_function(
        "window.ganwatchView?.frame && window.ganwatchView.frame !== window.seen"
        " && window.ganwatchView.frame.phase !== null",
        timeout=15_000,
    )
    page.wait_for_timeout(200)  # the heat map of a stepped frame comes with it
    view: dict[str, Any] = page.evaluate(
        "({points: ganwatchView.frame.points, phase: ganwatchView.frame.phase,"
        " step: ganwatchView.frame.step, heatmap: ganwatchView.heatmap?.z})"
    )
    return view


def test_the_layers_show_and_toggle(page: Page, server: Server, paused_run: str) -> None:
    open_paused(page, server, paused_run)
    page.wait_for_function(f"{VIEW}.dataset.layers?.includes('fake')", timeout=15_000)
    layers = page.get_attribute("#data-view", "data-layers") or ""
    for layer in ("map", "real", "fake", "manifold", "gradients"):
        assert layer in layers.split(), layers
    assert page.locator("#layers input[type=checkbox]").count() == 6
    expect(page.locator("#map-legend")).to_contain_text("D(x)")
    assert page.get_attribute("#noise-view", "data-points") == "64"

    before = page.evaluate(f"{VIEW}.toDataURL()")
    page.uncheck("input[data-layer=map]")
    page.wait_for_function(f"!{VIEW}.dataset.layers.split(' ').includes('map')")
    assert page.evaluate(f"{VIEW}.toDataURL()") != before
    page.check("input[data-layer=map]")
    page.wait_for_function(f"{VIEW}.dataset.layers.split(' ').includes('map')")


def test_d_steps_move_the_map_and_g_steps_the_points(
    page: Page, server: Server, paused_run: str
) -> None:
    open_paused(page, server, paused_run)
    start = next_frame(page, "#step-g")
    after_d = next_frame(page, "#step-d")
    assert after_d["phase"] == "d"
    assert after_d["points"] == start["points"]
    assert after_d["heatmap"] != start["heatmap"]
    expect(page.locator("svg.diagram")).to_have_attribute("data-phase", "d")

    after_g = next_frame(page, "#step-g")
    assert after_g["phase"] == "g"
    assert after_g["step"] > after_d["step"]
    assert after_g["points"] != after_d["points"]
    assert after_g["heatmap"] == after_d["heatmap"]
    expect(page.locator("svg.diagram")).to_have_attribute("data-phase", "g")


def test_slow_motion_sends_a_pace_and_frames_name_their_phase(
    page: Page, server: Server, paused_run: str
) -> None:
    open_paused(page, server, paused_run)
    page.eval_on_selector("#pace", "s => { s.value = 20; s.dispatchEvent(new Event('change')); }")
    expect(page.locator("#pace-value")).to_have_text("20 steps/s")
    run = httpx.get(f"{server.url}/api/runs/{paused_run}", timeout=30).json()
    assert run["controls"]["pace"] == 20
    page.click("#pause")  # "Resume"
    expect(page.locator("#status")).to_have_text("running", timeout=30_000)
    expect(page.locator("#step-d")).to_be_disabled()
    page.evaluate("window.seen = window.ganwatchView?.frame")
    page.wait_for_function(
        "window.ganwatchView.frame !== window.seen"
        " && ['d', 'g', 'both'].includes(window.ganwatchView.frame.phase)",
        timeout=15_000,
    )


def test_the_timeline_scrubs_and_plays_a_finished_run(page: Page, server: Server) -> None:
    run_id = launch(
        server, "ring-8", **{**SMALL, "steps": 300, "samples_per_second": 0, "samples_every": 10}
    )
    wait_status(server, run_id, FINAL)
    page.goto(f"{server.url}/runs/{run_id}")
    page.wait_for_function("Number(document.getElementById('replay').max) >= 20", timeout=30_000)
    page.fill("#replay", "0")
    page.dispatch_event("#replay", "input")
    expect(page.locator("#replay-step")).to_have_text("step 0")
    assert page.evaluate("ganwatchView.replaying && ganwatchView.frame.step") == 0
    assert page.evaluate("Boolean(ganwatchView.heatmap?.z)")  # carried to frames without one
    page.wait_for_function(
        "document.getElementById('loss-plot').dataset.cursor === '0'",
        timeout=15_000,
    )
    page.click("#replay-play")
    page.wait_for_function("ganwatchView.frame.step >= 100", timeout=15_000)
    page.click("#replay-live")
    expect(page.locator("#replay-step")).to_have_text("live")
    assert page.evaluate("!ganwatchView.replaying && ganwatchView.frame.step") == 300
    page.wait_for_function(
        "document.getElementById('loss-plot').dataset.cursor === ''",
        timeout=15_000,
    )


def test_k_the_loss_and_an_optimizer_change_live(
    page: Page, server: Server, paused_run: str
) -> None:
    open_paused(page, server, paused_run)
    expect(page.locator("#map-legend")).to_contain_text("probability")
    page.fill("#d-steps", "3")
    page.dispatch_event("#d-steps", "change")
    page.select_option("#loss", "hinge")
    page.select_option("#optimizer-d", "sgd")
    expect(page.locator("#control-note")).to_contain_text("fresh state")
    controls = httpx.get(f"{server.url}/api/runs/{paused_run}", timeout=30).json()["controls"]
    assert controls["d_steps"] == 3 and controls["loss"] == "hinge"
    assert controls["optimizer_d"] == "sgd"
    after = next_frame(page, "#step-both")  # k = 3 D updates and one G update
    assert after["phase"] == "both"
    expect(page.locator("#map-legend")).to_contain_text("raw logit", timeout=15_000)
