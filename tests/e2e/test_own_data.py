"""Your own data in a real browser: draw a distribution and launch it; upload a CSV and train."""

from __future__ import annotations

import math
import re

import httpx
import pytest
from conftest import open_form, screenshot
from playwright.sync_api import Page, expect

from bench.serverlib import Server

pytestmark = pytest.mark.e2e
QUICK = {"steps": "400", "g_hidden": "32", "d_hidden": "32"}


def fill_quick(page: Page) -> None:
    for name, value in QUICK.items():
        page.fill(f"#f-{name}", value)


def watch_points(page: Page) -> str:
    """The run page the form went to, once its data view shows real and generated points."""
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]+$"), timeout=30_000)
    page.wait_for_function(
        "['real', 'fake'].every(l => document.getElementById('data-view')"
        ".dataset.layers?.split(' ').includes(l))",
        timeout=60_000,
    )
    return page.url.rsplit("/", 1)[1]


def test_draw_a_distribution_and_launch_it_in_one_click(page: Page, server: Server) -> None:
    open_form(page, server)
    page.select_option("#preset", "ring-8")
    fill_quick(page)
    page.click("#own-data summary")
    box = page.locator("#draw-canvas").bounding_box()
    assert box is not None
    for y in (0.3, 0.7):  # two horizontal strokes and one vertical: a ladder of density
        page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + y * box["height"], steps=25)
        page.mouse.up()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.8 * box["height"], steps=25)
    page.mouse.up()
    drawn = int(page.get_attribute("#draw-canvas", "data-points") or 0)
    assert drawn > 100
    expect(page.locator("#draw-count")).to_have_text(f"{drawn} points")
    name = page.input_value("#draw-name")
    page.click("#draw-launch")
    run_id = watch_points(page)
    expect(page.locator("#preset")).to_contain_text(name)
    run = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()
    assert run["config"]["dataset"] == name and run["config"]["steps"] == 400
    sets = {
        d["name"]: d for d in httpx.get(f"{server.url}/api/datasets", timeout=30).json()["data"]
    }
    assert sets[name]["count"] == drawn and sets[name]["dim"] == 2
    expect(page.locator("#status")).to_have_text("completed", timeout=90_000)
    screenshot(page, "run-drawn")


def smiley_csv() -> str:
    rows = ["x,y"]
    for i in range(240):  # the face
        a = 2 * math.pi * i / 240
        rows.append(f"{2 * math.cos(a):.4f},{2 * math.sin(a):.4f}")
    for i in range(80):  # the smile
        a = math.pi * (1.15 + 0.7 * i / 80)
        rows.append(f"{1.2 * math.cos(a):.4f},{1.2 * math.sin(a):.4f}")
    for cx in (-0.7, 0.7):  # the eyes
        rows += [f"{cx + 0.1 * math.cos(k):.4f},{0.8 + 0.1 * math.sin(k):.4f}" for k in range(40)]
    return "\n".join(rows) + "\n"


def test_upload_a_csv_from_the_form_and_train_on_it(
    page: Page, server: Server, console: list[str]
) -> None:
    open_form(page, server)
    page.select_option("#preset", "ring-8")
    fill_quick(page)
    page.click("#own-data summary")
    page.set_input_files(
        "#upload-file",
        files=[{"name": "Smiley.csv", "mimeType": "text/csv", "buffer": smiley_csv().encode()}],
    )
    page.click("#upload-button")
    expect(page.locator("#own-status")).to_have_text("uploaded smiley: 400 points, 2-D")
    assert page.input_value("#f-dataset") == "smiley"
    page.set_input_files(
        "#upload-file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"1,2\nx,y\n"}]
    )
    page.fill("#upload-name", "bad-one")
    page.click("#upload-button")
    expect(page.locator("#own-status")).to_have_text("row 2: 'x' is not a number")
    console[:] = [m for m in console if "status of 422" not in m]  # the refusal provoked
    page.click("#launch-button")
    run_id = watch_points(page)
    run = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()
    assert run["config"]["dataset"] == "smiley"
    expect(page.locator("#status")).to_have_text("completed", timeout=90_000)
    screenshot(page, "run-uploaded-csv")
