"""What every request needs: the database, the ledger, and who is asking."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from corridor.api.problems import Problem
from corridor.domain.visibility import READS
from corridor.domain.vocabulary import Role
from corridor.services.access import principal_for_session, principal_for_token
from corridor.services.ledger import Ledger, Principal

_bearer = HTTPBearer(auto_error=False)
log = logging.getLogger("corridor")


@dataclass(frozen=True, slots=True)
class Corridor:
    engine: Engine
    ledger: Ledger


def corridor(request: Request) -> Corridor:
    """For everything that reads or decides: the projections caught up first. A read
    never depends on that succeeding: were the fold ever to fail (a fault in our code,
    or the database going away mid-way), the error is logged and the reader gets the
    projections as last written; a command then refuses, since it folds anew."""
    app: Corridor = request.app.state.corridor
    try:
        app.ledger.ensure_projected()
    except Exception:
        log.exception("catching the projections up failed; serving them as last written")
    return app


def ledger_only(request: Request) -> Corridor:
    """For sync, which works on the ledger alone: no projection catch-up."""
    return request.app.state.corridor  # type: ignore[no-any-return]


def current_principal(request: Request,
                      credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                      ) -> Principal:
    """A bearer token (API, devices) or the web UI's signed session cookie."""
    app: Corridor = request.app.state.corridor
    if credentials is not None:
        principal = principal_for_token(app.engine, credentials.credentials)
        if principal is None:
            raise Problem(401, "Unauthorised", "the token is unknown or revoked")
        return principal
    session = request.scope.get("session") or {}
    if "username" in session:
        # The account as it is now: a deactivated user or a changed role takes effect
        # on the next request, not when the session cookie expires.
        principal = principal_for_session(app.engine, session["username"])
        if principal is None:
            session.clear()
            raise Problem(401, "Unauthorised", "this account is no longer active")
        return principal
    raise Problem(401, "Unauthorised", "sign in or send a bearer token")


def reads(kind: str) -> Any:
    """A dependency admitting the roles that may read this kind of record at all
    (`domain.visibility`); which records and fields, the read service decides."""
    return Depends(require(*READS[kind]))


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only the given roles."""
    allowed = frozenset(roles)

    def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in allowed:
            raise Problem(403, "Forbidden", f"the {principal.role} role may not do this")
        return principal

    return check
