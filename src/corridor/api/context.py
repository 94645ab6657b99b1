"""What every request needs: the database, the ledger, and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from corridor.api.problems import Problem
from corridor.domain.visibility import READS
from corridor.domain.vocabulary import Role
from corridor.services.access import resolve
from corridor.services.app import Corridor, caught_up
from corridor.services.ledger import Ledger, Principal
from corridor.services.tracing import Tracing

_bearer = HTTPBearer(auto_error=False)


def corridor(request: Request) -> Corridor:
    """For everything that reads: the projections caught up first (`caught_up`)."""
    return caught_up(request.app.state.corridor)


def ledger_of(request: Request) -> Ledger:
    """For commands and sync, which work on the ledger: a command folds anew, and a
    push only appends."""
    return request.app.state.corridor.ledger  # type: ignore[no-any-return]


def tracing_of(request: Request) -> Tracing:
    return request.app.state.corridor.tracing  # type: ignore[no-any-return]


def current_principal(request: Request,
                      credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                      ) -> Principal:
    """A bearer token (API, devices) or the web UI's session cookie, resolved as the
    account is now (`access.resolve`, the web UI's resolver too)."""
    app: Corridor = request.app.state.corridor
    if credentials is not None:
        principal = resolve(app.engine, token=credentials.credentials)
        if principal is None:
            raise Problem(401, "Unauthorised", "the token is unknown, expired or revoked")
        return principal
    session = request.scope.get("session") or {}
    if "sid" in session:
        principal = resolve(app.engine, session_id=session["sid"])
        if principal is None:
            session.clear()
            raise Problem(401, "Unauthorised", "this session has ended: sign in again")
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
