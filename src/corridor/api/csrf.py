"""API writes made with the web session's cookie need a proof they came from our pages.

A browser sends the session cookie with any request to the server, including one a
page elsewhere on the same site (or a planted script-free form) makes it send:
`SameSite=strict` stops other sites, not the same site. So an unsafe request under
/api/ authenticated by the cookie (no bearer token, which would be used instead)
must carry the session's CSRF token in `X-CSRF-Token` — a header no form can set —
and a JSON body, never text/plain, which a form can send without asking. Bearer-token requests
(devices, scripts) are not affected: no browser adds that header by itself.
One middleware for every route, so no write can be added without it.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from corridor.api.problems import problem_response

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "X-CSRF-Token"
JSON_TYPES = ("application/json",)


def _refusal(scope: Scope) -> tuple[int, str, str, str] | None:
    """(status, title, detail, field) when a cookie-authenticated API write lacks its
    proof, else None. The session is read as SessionMiddleware left it in the scope."""
    if scope["method"] in SAFE or not scope["path"].startswith("/api/"):
        return None
    headers = Headers(scope=scope)
    session = scope.get("session") or {}
    bearer = headers.get("authorization", "").lower().startswith("bearer ")
    if bearer or "sid" not in session:
        return None  # a bearer token (used instead of the cookie), or nobody signed in
    expected = session.get("csrf")
    sent = headers.get(HEADER.lower(), "")
    if not isinstance(expected, str) or not secrets.compare_digest(sent, expected):
        return (403, "CSRF proof missing", f"{HEADER}: a write with the session cookie must "
                "carry the session's CSRF token, or use a bearer token", HEADER)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if has_body and content_type not in JSON_TYPES:
        return (415, "Unsupported media type", "Content-Type: the body must be "
                "application/json", "Content-Type")
    return None


class CookieWritesNeedProof:
    """Refuse, as problem+json, a cookie-authenticated API write without its proof.
    Installed inside the session middleware, so the session is already read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (refused := _refusal(scope)):
            await problem_response(*refused)(scope, receive, send)
            return
        await self.app(scope, receive, send)
