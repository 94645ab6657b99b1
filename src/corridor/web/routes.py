"""The server-rendered web UI: install its pages, static files and error pages."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from corridor.headers import HEADERS
from corridor.web import (
    accounting,
    admin,
    alerts,
    audit,
    auth,
    codes,
    convoy_control,
    convoys,
    manifest,
    overview,
    registration,
    setup,
    tracing,
)
from corridor.web.i18n import N_
from corridor.web.page import HERE, SignInRequired, WebError, principal, render

log = logging.getLogger("corridor")
ERROR_KEYS = {403: N_("error.forbidden"), 404: N_("error.not_found"), 405: N_("error.not_allowed")}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/docs", "/redoc", "/openapi"))


def error_page(request: Request, status: int, key: str) -> Response:
    """A friendly page with the status and what to do; never a stack trace. It needs
    no database, so it still renders when the database is what failed (then as to no
    one signed in)."""
    try:
        principal(request)
    except SQLAlchemyError:
        request.scope["principal"] = None
    return render(request, "error.html", status, operation=None, status_code=status,
                  message=key)


async def _answer(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    """Call an exception handler, which Starlette allows to be sync or async."""
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    for module in (auth, overview, convoys, registration, manifest, codes, alerts, accounting,
                   tracing, admin, audit, setup, convoy_control):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def sign_in(_: Request, __: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_page(request, exc.status, exc.key)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(WebError, web_error)

    # The API keeps its problem+json answers; everything else gets an HTML page.
    api_http = app.exception_handlers[StarletteHTTPException]
    api_unexpected = app.exception_handlers[Exception]

    async def http_error(request: Request, exc: Any) -> Response:
        if _is_api(request):
            return await _answer(api_http, request, exc)
        return error_page(request, exc.status_code,
                          ERROR_KEYS.get(exc.status_code, N_("error.bad_request")))

    async def unexpected(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            answer = await _answer(api_unexpected, request, exc)
        else:
            log.exception("unexpected error in the web UI", exc_info=exc)
            answer = error_page(request, 500, N_("error.internal"))
        # Sent by Starlette's outermost middleware, past the one that adds these.
        answer.headers.update(HEADERS)
        return answer

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
