"""The ASGI application: API, web UI and OpenAPI document."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from corridor import __version__, config
from corridor.api import (
    accounting,
    csrf,
    docs,
    movement,
    openapi,
    operation,
    people,
    problems,
    sync,
    tracing,
)
from corridor.api.context import Corridor, corridor
from corridor.api.problems import Problem
from corridor.headers import SecurityHeaders
from corridor.services.access import authenticate, issue_token
from corridor.services.ledger import Ledger
from corridor.services.tracing import Tracing

log = logging.getLogger("corridor")
MAX_BODY = 8 * 1024 * 1024  # a push of 1000 large events fits well within this


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


PROJECT_EVERY = 1.0  # seconds between background projection passes


async def keep_projected(ledger: Ledger) -> None:
    """While the server runs, write projections once pushes pause, so the first read
    after a device's large sync does not wait for them — without slowing a sync that
    is still arriving (a read in the meantime catches them up itself)."""
    while True:
        await asyncio.sleep(PROJECT_EVERY)
        if time.monotonic() - ledger.last_push < PROJECT_EVERY:
            continue
        try:
            await run_in_threadpool(ledger.ensure_projected)
        except Exception:  # a passing failure (database restarting): try again next time
            log.exception("background projection failed")


def warm_up(tracing: Tracing) -> None:
    """Fold the state and build the name index and duplicate queue once at start, so
    the first person to search or review does not wait for them."""
    try:
        tracing.ledger.ensure_projected()
        tracing.ledger.read(lambda state: (tracing.keeper.index(state),
                                           tracing.duplicates.pairs(state)))
    except Exception:
        log.exception("warming up failed; the first request will do it")
        return
    # What is built now lives as long as the server: keep it out of the collector's
    # scans (reference counting still frees it), which keeps search latency flat.
    gc.collect()
    gc.freeze()


def create_app(engine: Engine, secret: str, ledger: Ledger | None = None) -> FastAPI:
    config.tune_gc()  # however the app is served, it holds the state in memory
    ledger = ledger or Ledger(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm = asyncio.create_task(run_in_threadpool(warm_up, app.state.tracing))
        task = asyncio.create_task(keep_projected(ledger))
        yield
        task.cancel()
        warm.cancel()

    app = FastAPI(title="Corridor", version=__version__, lifespan=lifespan,
                  description="The shared, verifiable record of a humanitarian evacuation.",
                  docs_url=None, redoc_url=None, openapi_url=None)  # docs.py serves them
    app.state.corridor = Corridor(engine, ledger)
    app.state.tracing = Tracing(engine, app.state.corridor.ledger)
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    for module in (sync, operation, people, movement, accounting, tracing):
        app.include_router(module.router)

    @app.post("/api/auth/token", tags=["access"], status_code=201)
    def token(body: TokenIn, app_: Corridor = Depends(corridor)) -> dict[str, str]:
        """Exchange a username and password for a bearer token for one device."""
        principal = authenticate(app_.engine, body.username, body.password)
        if principal is None:
            raise Problem(401, "Unauthorised", "unknown user or wrong password", "password")
        return {"token": issue_token(app_.engine, principal.username, body.device),
                "role": principal.role}

    from corridor.web.routes import install as install_web

    install_web(app)
    # Outermost last: the CSRF check reads the session; the headers are on every answer,
    # the session's cookie and a refused body's included.
    app.add_middleware(csrf.CookieWritesNeedProof)
    app.add_middleware(SessionMiddleware, secret_key=secret, same_site="strict",
                       max_age=12 * 3600)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, secure_cookies=config.secure_cookies())
    return app
