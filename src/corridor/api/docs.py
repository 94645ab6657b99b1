"""The API's documentation: /docs (Swagger UI) and /openapi.json, from packaged files.

FastAPI's own /docs loads Swagger UI from a CDN, which a field laptop may not reach
and which would learn who reads the documentation of an evacuation's record. Ours
is served from `static/swagger-ui` (vendored from npm, see its README.md), and only
to a signed-in user or a bearer token unless `CORRIDOR_PUBLIC_DOCS` opens it: the
document maps every way into the record.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from corridor import config
from corridor.api.context import current_principal
from corridor.api.problems import Problem
from corridor.headers import HEADERS

ASSETS = Path(__file__).parent / "static" / "swagger-ui"
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Corridor API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body>
</html>
"""
# Swagger UI sets style attributes as it draws; everything else as strict as a page.
DOCS_POLICY = HEADERS["Content-Security-Policy"].replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")

_bearer = HTTPBearer(auto_error=False)
router = APIRouter(include_in_schema=False)


def may_read(request: Request,
             credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> bool:
    """Whether the caller may read the documentation (401 problem if not)."""
    if not config.public_docs():
        current_principal(request, credentials)
    return True


@router.get("/openapi.json")
def document(request: Request, _: bool = Depends(may_read)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def page(request: Request,
         credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Response:
    try:
        may_read(request, credentials)
    except Problem:  # a person at a browser: sign in first
        return RedirectResponse("/login", status_code=303)
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": DOCS_POLICY})


class Assets(StaticFiles):
    """Swagger UI's files: the same for everyone and no one's data, so a browser may
    keep them for a day (every other answer is `no-store`) rather than fetch 2 MB
    again on a field laptop's link at each visit."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def install(app: FastAPI) -> None:
    """Serve the documentation; the app must be made with docs_url, redoc_url and
    openapi_url set to None, so FastAPI's CDN-loading pages are not served too."""
    app.include_router(router)
    app.mount("/docs/assets", Assets(directory=ASSETS), name="docs-assets")
