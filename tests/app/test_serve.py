"""`ganwatch serve` as a user starts it: websocket compression is off unless asked for."""

from __future__ import annotations

import pytest
import websockets.sync.client

from bench.serverlib import running_server


@pytest.mark.parametrize(("setting", "deflate"), [(None, False), ("true", True)])
def test_websocket_compression_follows_the_setting(setting: str | None, deflate: bool) -> None:
    settings = {"warm_worker": "false"} | ({"ws_compression": setting} if setting else {})
    with (
        running_server(**settings) as server,
        websockets.sync.client.connect(f"{server.ws_url}/ws/runs") as ws,
    ):
        assert ws.recv()  # the run list: the server answers on this connection
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
    assert ("permessage-deflate" in extensions) is deflate
