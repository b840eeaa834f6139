"""Websocket tickets: short-lived, single-use stand-ins for the access token.

A browser cannot set an Authorization header on a websocket, and a token in the URL ends
up in access logs. So the page asks ``POST /api/tickets`` (with the token) for a ticket
and opens the socket with ``?ticket=...``: what a log keeps is spent within seconds.
"""

from __future__ import annotations

import secrets
import time

TICKET_SECONDS = 30.0
MAX_TICKETS = 10_000  # outstanding at once; the oldest are forgotten past that


class Tickets:
    """Issued tickets and when they expire; call from the event loop only."""

    def __init__(self, ttl: float = TICKET_SECONDS) -> None:
        self.ttl = ttl
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        """A new ticket, valid for ``ttl`` seconds and one use."""
        now = time.monotonic()
        self._expiry = {t: at for t, at in self._expiry.items() if at > now}
        while len(self._expiry) >= MAX_TICKETS:
            del self._expiry[next(iter(self._expiry))]
        ticket = secrets.token_urlsafe(24)
        self._expiry[ticket] = now + self.ttl
        return ticket

    def redeem(self, ticket: str | None) -> bool:
        """True once for a ticket that was issued and has not expired."""
        if ticket is None:
            return False
        expiry = self._expiry.pop(ticket, None)
        return expiry is not None and expiry > time.monotonic()
