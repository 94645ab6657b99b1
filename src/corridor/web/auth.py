"""Signing in and out of the web UI."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from corridor.services.access import authenticate
from corridor.web.forms import text
from corridor.web.i18n import N_
from corridor.web.page import Posted, app_of, principal, render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if principal(request) is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", operation=None, error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: Posted) -> Response:
    username = text(form, "username")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    who = authenticate(app_of(request).engine, username, password) if username else None
    if who is None:
        return render(request, "login.html", 401, operation=None, error=N_("login.wrong"),
                      username=username)
    # A fresh session (and CSRF token) at sign-in; only the language choice carries over.
    lang = request.session.get("lang")
    request.session.clear()
    request.session.update(username=who.username, role=str(who.role), post=who.post_id,
                           csrf=secrets.token_urlsafe(32))
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, _: Posted) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/login", status_code=303)
