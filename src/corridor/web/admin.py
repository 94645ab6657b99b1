"""The accounts page for admins: list accounts and change them.

Every change goes through the access service, which ends the account's sessions and
revokes its tokens in the same transaction, so a deactivated or downgraded account
loses what it had at once. Forms post and redirect (post/redirect/get) and carry the
session's CSRF token like every other form. An admin does not deactivate or change the
role of their own account here, so the last admin cannot lock everyone out by mistake.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from corridor.domain.vocabulary import Role
from corridor.services.access import (
    AccessError,
    accounts,
    deactivate,
    revoke_tokens,
    set_password,
    set_role,
)
from corridor.services.ledger import Principal
from corridor.web.forms import text
from corridor.web.i18n import N_
from corridor.web.page import Posted, app_of, one_of, render

router = APIRouter(include_in_schema=False)
# What each AccessError field means on this page.
ERRORS = {"password": N_("error.password_weak"), "role": N_("error.choice"),
          "username": N_("error.not_found")}


Admin = Annotated[Principal, one_of(Role.ADMIN)]


def _page(request: Request, status: int = 200,
          errors: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "admin_users.html", status, accounts=accounts(app_of(request).engine),
                  roles=list(Role), errors=errors or {}, done=request.query_params.get("done"))


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, _: Admin) -> HTMLResponse:
    return _page(request)


def _change(request: Request, who: Principal, username: str, change: Any,
            *args: str) -> Response:
    if username == who.username and change in (deactivate, set_role):
        return _page(request, 409, {username: N_("admin.self")})
    try:
        change(app_of(request).engine, username, *args, by=who.username)
    except AccessError as refused:
        return _page(request, 422, {username: ERRORS.get(refused.field, N_("error.invalid"))})
    return RedirectResponse(f"/admin/users?done={username}#u-{username}", status_code=303)


@router.post("/admin/users/{username}/role")
def change_role(username: str, request: Request, form: Posted, who: Admin) -> Response:
    return _change(request, who, username, set_role, text(form, "role"))


@router.post("/admin/users/{username}/deactivate")
def deactivate_account(username: str, request: Request, _: Posted, who: Admin) -> Response:
    return _change(request, who, username, deactivate)


@router.post("/admin/users/{username}/password")
def reset_password(username: str, request: Request, form: Posted, who: Admin) -> Response:
    password = form.get("password")
    return _change(request, who, username, set_password,
                   password if isinstance(password, str) else "")


@router.post("/admin/users/{username}/revoke")
def revoke(username: str, request: Request, _: Posted, who: Admin) -> Response:
    return _change(request, who, username, revoke_tokens)
