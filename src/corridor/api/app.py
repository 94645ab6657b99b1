"""The API: its resources, signing in for a token, and the request size limit."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from corridor.api import (
    accounting,
    docs,
    field,
    movement,
    openapi,
    operation,
    people,
    problems,
    sync,
    tracing,
)
from corridor.api.context import corridor
from corridor.api.problems import Problem
from corridor.services.access import issue_token, sign_out_token
from corridor.services.app import Corridor
from corridor.services.signin import sign_in

MAX_BODY = 8 * 1024 * 1024  # a push of 1000 large events fits well within this
_bearer = HTTPBearer(auto_error=False)


class BodyLimit:
    """Refuse request bodies over MAX_BODY before they are read into memory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            response = problems.problem_response(
                413, "Request too large", f"body: at most {MAX_BODY} bytes", "body")
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise Problem(413, "Request too large", f"body: at most {MAX_BODY} bytes", "body")
            return message

        await self.app(scope, limited, send)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=1000)
    device: str = Field("api", max_length=120, description="the device this token is for")


def install(app: FastAPI) -> None:
    """The API's resources, its problem+json errors, and its documentation (the app
    is made with docs_url, redoc_url and openapi_url None: docs.py serves them)."""
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    for module in (sync, field, operation, people, movement, accounting, tracing):
        app.include_router(module.router)

    @app.post("/api/auth/token", tags=["access"], status_code=201)
    def token(body: TokenIn, request: Request,
              app_: Corridor = Depends(corridor)) -> dict[str, str]:
        """Exchange a username and password for a bearer token for one device. Failures
        are throttled per account and per address (429 with Retry-After)."""
        address = request.client.host if request.client else "unknown"
        principal = sign_in(app_.engine, body.username, body.password, address)
        if principal is None:
            raise Problem(401, "Unauthorised", "unknown user or wrong password", "password")
        return {"token": issue_token(app_.engine, principal.username, body.device),
                "role": principal.role}

    @app.delete("/api/auth/token", tags=["access"], status_code=204)
    def sign_out(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                 app_: Corridor = Depends(corridor)) -> None:
        """Sign a device out: revoke the bearer token this request carries."""
        if credentials is None or not sign_out_token(app_.engine, credentials.credentials):
            raise Problem(401, "Unauthorised", "send the bearer token to revoke: this one is "
                          "unknown, expired or revoked already")
