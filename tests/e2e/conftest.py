"""Browser tests: a real server in a subprocess and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bench.serverlib import CHROMIUM, CHROMIUM_ARGS, Server, running_server

FINAL = ("completed", "stopped", "failed", "interrupted")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One dashboard for the session, with its own database and runs folder."""
    # peak_steps_per_second: the rate tiny runs train at here, so the cost limits admit
    # the dense reporting the tests ask for
    with running_server(max_concurrent_runs="2", peak_steps_per_second="300") as srv:
        yield srv


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def console() -> list[str]:
    """Console errors of the test's page; a test may remove the ones it provoked."""
    return []


@pytest.fixture
def page(browser: Browser, console: list[str]) -> Iterator[Page]:
    """A fresh page at laptop width; the test fails if the page logs a console error."""
    # Playwright evaluates string predicates with eval, which the pages' CSP forbids;
    # test_access_page checks the pages under their CSP without this bypass.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = context.new_page()
    pg.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: console.append(str(e)))
    yield pg
    context.close()
    assert console == [], f"console errors: {console}"


def open_form(page: Page, server: Server) -> None:
    """The front page, once its launch form is whole (filled in before that, a field is reset)."""
    page.goto(f"{server.url}/")
    expect(page.locator("#launch-button")).to_be_enabled(timeout=30_000)


def launch(server: Server, preset: str, **overrides: Any) -> str:
    r = httpx.post(
        f"{server.url}/api/runs", json={"preset": preset, "overrides": overrides}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["id"])


def wait_status(
    server: Server, run_id: str, statuses: tuple[str, ...], timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} not in {statuses} after {timeout} s")


def screenshot(page: Page, name: str) -> None:
    """Refresh docs/screenshots/NAME.png when GANWATCH_SCREENSHOTS=1 (not in CI)."""
    if os.environ.get("GANWATCH_SCREENSHOTS") == "1":
        page.screenshot(path=f"docs/screenshots/{name}.png", full_page=True)
