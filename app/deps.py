"""Dependencies as ``Annotated`` aliases, and the access-token dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from app.guard import token_matches
from app.hub import Hub
from app.manager import RunManager
from app.settings import Settings
from app.store import Store
from app.tickets import Tickets


def get_settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.app.state.settings
    return settings


def get_store(conn: HTTPConnection) -> Store:
    store: Store = conn.app.state.store
    return store


def get_hub(conn: HTTPConnection) -> Hub:
    hub: Hub = conn.app.state.hub
    return hub


def get_manager(conn: HTTPConnection) -> RunManager:
    manager: RunManager = conn.app.state.manager
    return manager


def get_tickets(conn: HTTPConnection) -> Tickets:
    tickets: Tickets = conn.app.state.tickets
    return tickets


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
HubDep = Annotated[Hub, Depends(get_hub)]
RunManagerDep = Annotated[RunManager, Depends(get_manager)]
TicketsDep = Annotated[Tickets, Depends(get_tickets)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="GANWATCH_TOKEN, when the server has one: every /api route but /api/health "
    "needs it (websockets take a ticket from POST /api/tickets instead)",
)


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """``Authorization: Bearer <token>`` when GANWATCH_TOKEN is set.

    The Guard middleware has checked it already, before the body was read; this
    dependency is what puts the bearer scheme into the OpenAPI document.
    """
    given = credentials.credentials if credentials is not None else None
    if not token_matches(settings.token, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )


TokenDep = Depends(require_token)
