"""Pages under access control: the token asked for once, websockets by ticket, Delete confirmed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import wait_status
from playwright.sync_api import Browser, Dialog, Page, expect

from bench.serverlib import Server, running_server

pytestmark = pytest.mark.e2e
TOKEN = "page-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TINY = {
    "steps": 200,
    "g_hidden": 16,
    "d_hidden": 16,
    "batch_size": 32,
    "samples_every": 100,
    "quality_every": 100,
    "heatmap_size": 8,
    "n_samples": 32,
    "checkpoint_every": 0,
}


@pytest.fixture(scope="module")
def guarded() -> Iterator[Server]:
    with running_server(token=TOKEN, warm_worker="false") as srv:
        yield srv


def test_the_page_asks_for_the_token_once_and_streams_by_ticket(
    page: Page, guarded: Server, console: list[str]
) -> None:
    run = httpx.post(
        f"{guarded.url}/api/runs", headers=AUTH, json={"preset": "ring-8", "overrides": TINY}
    ).json()
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept(TOKEN)

    page.on("dialog", answer)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{guarded.url}/")
    expect(page.locator(f"tr[data-id='{run['id']}']")).to_be_visible(timeout=30_000)
    page.goto(f"{guarded.url}/runs/{run['id']}")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    assert len(asked) == 1 and "token" in asked[0]
    assert sockets and all("ticket=" in url and TOKEN not in url for url in sockets)
    # the calls made before the token was given were answered 401, as they should be
    console[:] = [m for m in console if "401" not in m]


def test_delete_asks_first(page: Page, server: Server) -> None:
    rid = httpx.post(f"{server.url}/api/runs", json={"preset": "ring-8", "overrides": TINY}).json()[
        "id"
    ]
    wait_status(server, rid, ("completed",))
    page.goto(f"{server.url}/")
    row = page.locator(f"tr[data-id='{rid}']")
    expect(row).to_be_visible(timeout=30_000)
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator(".delete").click()
    page.wait_for_timeout(500)
    assert httpx.get(f"{server.url}/api/runs/{rid}").status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".delete").click()
    expect(row).to_have_count(0, timeout=10_000)
    assert httpx.get(f"{server.url}/api/runs/{rid}").status_code == 404


def test_the_pages_run_under_their_content_security_policy(
    browser: Browser, server: Server
) -> None:
    """Without Playwright's CSP bypass (the other tests need it to evaluate predicates)."""
    rid = httpx.post(f"{server.url}/api/runs", json={"preset": "ring-8", "overrides": TINY}).json()[
        "id"
    ]
    wait_status(server, rid, ("completed",))
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in ("/", f"/runs/{rid}", f"/compare?ids={rid},{rid}"):
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # Plotly draws after the snapshot
    page.goto(f"{server.url}/runs/{rid}")
    page.locator("#loss-plot .uplot").first.wait_for(timeout=30_000)
    context.close()
    assert errors == [], errors
