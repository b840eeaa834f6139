"""What every request passes before the app sees it: one ASGI middleware, checked in order.

1. Host: the Host header must name this server (``Settings.hosts()``), so a page on a
   DNS-rebinding domain never becomes same-origin with the dashboard (400).
2. Cross-site writes: a mutating request that a browser marks cross-site
   (``Sec-Fetch-Site``) or whose ``Origin`` is foreign is refused, token or not (403).
3. Token: with ``GANWATCH_TOKEN`` set, every ``/api`` route except ``/api/health`` needs
   ``Authorization: Bearer <token>`` (401), checked before a byte of the body is read.
4. Every HTTP response carries CSP (``frame-ancestors 'none'``), X-Frame-Options and nosniff.

Websockets pass the Host check here; the handlers check their Origin and ticket after
accepting, so that a refused client sees a close code rather than a failed handshake.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_API = frozenset({"/api/health"})
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs load Swagger UI's own scripts and styles; they may not be framed.
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def token_matches(expected: str | None, given: str | None) -> bool:
    """True when no token is configured, or ``given`` is it (compared in constant time)."""
    if expected is None:
        return True
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


def bearer(headers: Headers) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def host_name(host_header: str) -> str | None:
    """The host part of a Host header (``[::1]:8000`` -> ``::1``), None when malformed."""
    try:
        return urlsplit(f"//{host_header}").hostname
    except ValueError:
        return None


def origin_allowed(headers: Headers, settings: Settings) -> bool:
    """No Origin (not a browser), or the server's own host, or one of ``allowed_origins``."""
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == headers.get("host") or origin in settings.allowed_origins


class Guard:
    """The checks above, as a pure ASGI middleware; it reads no body.

    The body size limit (413) is FastAPI's own ``max_body_size``, inside this one.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hosts = {name.strip("[]").lower() for name in settings.hosts()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        name = host_name(headers.get("host", ""))
        if "*" not in self.hosts and (name is None or name.lower() not in self.hosts):
            await _refuse(scope, receive, send, 400, "Invalid host header")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _refuse(scope, receive, send, *refusal)
            return
        await self.app(scope, receive, _with_headers(scope, send))

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str, dict[str, str]] | None:
        path: str = scope["path"]
        if scope["method"] not in SAFE_METHODS and (
            headers.get("sec-fetch-site") in ("cross-site", "same-site")
            or not origin_allowed(headers, self.settings)
        ):
            return 403, "Cross-site request refused", {}
        if (
            (path.startswith("/api/") or path == "/api")
            and path not in PUBLIC_API
            and not token_matches(self.settings.token, bearer(headers))
        ):
            return 401, "Missing or wrong token", {"WWW-Authenticate": "Bearer"}
        return None


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": detail})
        return
    body = json.dumps({"detail": detail}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await _with_headers(scope, send)(
        {"type": "http.response.start", "status": status, "headers": raw}
    )
    await send({"type": "http.response.body", "body": body})


def _with_headers(scope: Scope, send: Send) -> Send:
    """``send`` that adds the security headers to the response start."""
    csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else PAGE_CSP

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                *message.get("headers", []),
                *SECURITY_HEADERS,
                (b"content-security-policy", csp.encode()),
            ]
        await send(message)

    return wrapped
