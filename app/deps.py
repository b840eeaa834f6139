"""Dependencies as ``Annotated`` aliases, and the access-token checks."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from app.hub import Hub
from app.manager import RunManager
from app.settings import Settings
from app.store import Store


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


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
HubDep = Annotated[Hub, Depends(get_hub)]
RunManagerDep = Annotated[RunManager, Depends(get_manager)]

_bearer = HTTPBearer(auto_error=False)


def token_matches(expected: str | None, given: str | None) -> bool:
    """True when no token is configured, or ``given`` is it (compared in constant time)."""
    if expected is None:
        return True
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Mutating calls need ``Authorization: Bearer <token>`` when GANWATCH_TOKEN is set."""
    given = credentials.credentials if credentials is not None else None
    if not token_matches(settings.token, given):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )


TokenDep = Depends(require_token)
