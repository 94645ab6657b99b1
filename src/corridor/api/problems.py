"""Errors as RFC 9457 problem details, naming the field that was wrong.

No error ever shows a stack trace: unexpected failures are logged on the server and
the client gets a plain 500 problem.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from corridor.domain.boarding import BoardingRefused
from corridor.services.access import AccessError, HashingBusy
from corridor.services.ledger import Refused
from corridor.services.limits import RateLimited
from corridor.services.reads import ReadRefused

log = logging.getLogger("corridor")
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field


def problem_response(status: int, title: str, detail: str, field: str | None = None,
                     **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    # A request's own fields, and a fact a use case made from them: one answer.
    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: RequestValidationError | ValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return problem_response(422, "Invalid request", f"{first['field']}: {first['message']}",
                                first["field"], errors=errors)

    @app.exception_handler(Problem)
    async def problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, exc.field)

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        title = "Not allowed" if exc.status == 403 else "Refused by the record"
        return problem_response(exc.status, title, exc.reason, exc.field)

    @app.exception_handler(ReadRefused)
    async def read_refused(_: Request, exc: ReadRefused) -> JSONResponse:
        titles = {403: "Forbidden", 404: "Not found"}
        return problem_response(exc.status, titles.get(exc.status, "Invalid request"),
                                exc.reason, exc.field)

    @app.exception_handler(BoardingRefused)
    async def boarding(_: Request, exc: BoardingRefused) -> JSONResponse:
        return problem_response(409, "Boarding refused", exc.reason, exc.field)

    @app.exception_handler(AccessError)
    async def access(_: Request, exc: AccessError) -> JSONResponse:
        return problem_response(422, "Invalid account", exc.reason, exc.field)

    @app.exception_handler(RateLimited)
    async def limited(_: Request, exc: RateLimited) -> JSONResponse:
        response = problem_response(429, "Too many requests", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(HashingBusy)
    async def busy(_: Request, exc: HashingBusy) -> JSONResponse:
        response = problem_response(503, "Busy", "the server is checking too many passwords "
                                    "at once: try again in a moment")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem_response(500, "Internal error",
                                "the server could not complete the request; nothing was recorded")
