"""Signing in and out of the web UI.

A sign-in starts a server-side session (`access.start_session`); the signed cookie
carries only its id, the CSRF token and the language. Logout ends the session on the
server, so a copy of the cookie is worth nothing after it.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from corridor.services.access import HashingBusy, end_session, start_session
from corridor.services.limits import RateLimited
from corridor.services.signin import sign_in
from corridor.web.forms import text
from corridor.web.i18n import N_
from corridor.web.page import Posted, app_of, forget, principal, render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if principal(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", operation=None, error=None, username="", wait=None)


def _refused(request: Request, status: int, error: str | None, username: str,
             wait: int | None = None) -> Response:
    response = render(request, "login.html", status, operation=None, error=error,
                      username=username, wait=wait)
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: Posted) -> Response:
    username = text(form, "username")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    engine = app_of(request).engine
    address = request.client.host if request.client else "unknown"
    try:
        who = sign_in(engine, username, password, address) if username else None
    except RateLimited as limited:
        return _refused(request, 429, None, username, limited.retry_after)
    except HashingBusy as busy:
        return _refused(request, 503, N_("login.busy"), username, busy.retry_after)
    if who is None:
        return _refused(request, 401, N_("login.wrong"), username)
    # A fresh session (and CSRF token) at sign-in; only the language choice carries over.
    forget(request)
    request.session.update(sid=start_session(engine, who.username),
                           csrf=secrets.token_urlsafe(32))
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, _: Posted) -> Response:
    if "sid" in request.session:
        end_session(app_of(request).engine, request.session["sid"])
    forget(request)
    return RedirectResponse("/login", status_code=303)
