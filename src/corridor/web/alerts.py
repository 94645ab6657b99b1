"""The alerts pages: every alert, and one alert with what explains it and, for a
coordinator, the forms that record the fact still missing.

An alert closes because a fact was recorded (the fold derives it: docs/accounting.md),
so the forms record facts through the movement use cases — a check-in at a
reception or hospital, a removal now known, a recount, a disembarkation before
departure — and a note only where no fact can be had. Shown as of an earlier moment
(`?as_of=`), the pages offer no form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import AlertStatus, RemovalReason
from corridor.services import alerts
from corridor.services.commands import accounting, movement
from corridor.services.ledger import Ledger, Principal, Refused
from corridor.services.reads import ReadRefused
from corridor.services.timeline import NOW, Moment
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import (
    AsOf,
    Posted,
    SignedIn,
    WebError,
    app_of,
    one_of,
    render,
    web_refusal,
)

router = APIRouter(include_in_schema=False)
UNACCOUNTED_SHOWN = 1000
CLOSED_SHOWN = 50
Coordinator = Annotated[Principal, one_of(*COORDINATES)]


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, who: SignedIn, when: AsOf) -> HTMLResponse:
    try:
        view = alerts.overview(app_of(request).ledger, who, when, UNACCOUNTED_SHOWN,
                               CLOSED_SHOWN)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.not_found")) from None
    return render(request, "alerts.html", **view, moment=when)


def _alert_page(request: Request, who: Principal, alert_id: str, when: Moment = NOW,
                status: int = 200, sent: str = "", values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None) -> HTMLResponse:
    """The alert; `sent` names the form whose `values` and `errors` are shown again."""
    try:
        view = alerts.detail(app_of(request).ledger, who, when, alert_id)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.alert_not_found")) from None
    return render(request, "alert.html", status, **view, moment=when,
                  may_act=when.now and who.role in COORDINATES
                  and view["alert"]["status"] != AlertStatus.EXPLAINED,
                  reasons=list(RemovalReason), sent=sent, values=values or {},
                  errors=errors or {})


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, who: SignedIn, when: AsOf) -> HTMLResponse:
    return _alert_page(request, who, alert_id, when)


# --- recording what explains an alert -------------------------------------------------------
# Each form sends its fields; an entrypoint only turns them into the use case's input.


def _check_in(ledger: Ledger, who: Principal, v: dict[str, str]) -> Any:
    return movement.check_in(ledger, who, v["person_id"],
                             movement.PlaceIn(location_id=v["location_id"]))


def _removal(ledger: Ledger, who: Principal, v: dict[str, str]) -> Any:
    return movement.remove(ledger, who, v["person_id"], movement.RemovalIn.model_validate({
        "checkpoint_id": v["checkpoint_id"], "reason": v["reason"],
        "vehicle_id": v["vehicle_id"] or None, "removed_by": v["removed_by"],
        "note": v["note"]}))


def _recount(ledger: Ledger, who: Principal, v: dict[str, str]) -> Any:
    count = movement.HeadcountIn.model_validate({"checkpoint_id": v["checkpoint_id"],
                                                 "headcount": v["headcount"]})
    return movement.pass_checkpoint(ledger, who, v["vehicle_id"], count)


def _disembark(ledger: Ledger, who: Principal, v: dict[str, str]) -> Any:
    return movement.disembark(ledger, who, v["vehicle_id"], movement.DisembarkIn(
        person_id=v["person_id"], reason=v["reason"]))


def _note(ledger: Ledger, who: Principal, v: dict[str, str]) -> Any:
    return accounting.resolve_alert(ledger, who, v["alert_id"],
                                    accounting.ResolveIn(note=v["note"]))


Record = Callable[[Ledger, Principal, dict[str, str]], Any]
# action -> the fields its form sends (the first is where a refusal is shown), its use case
FORMS: dict[str, tuple[tuple[str, ...], Record]] = {
    "check-in": (("location_id", "person_id"), _check_in),
    "removal": (("person_id", "checkpoint_id", "reason", "removed_by", "note", "vehicle_id"),
                _removal),
    "recount": (("headcount", "vehicle_id", "checkpoint_id"), _recount),
    "disembark": (("person_id", "reason", "vehicle_id"), _disembark),
    "note": (("note",), _note),
}


def _sent(form: FormData, action: str) -> str:
    """Which form on the page was sent: the check-in has one per person named."""
    person = text(form, "person_id")
    return f"{action}:{person}" if action == "check-in" else action


@router.post("/alerts/{alert_id}/{action}")
def record(request: Request, alert_id: str, action: str, form: Posted,
           who: Coordinator) -> Response:
    if action not in FORMS:
        raise WebError(404, N_("error.not_found"))
    fields, use_case = FORMS[action]
    values = {name: text(form, name) for name in fields}
    try:
        use_case(app_of(request).ledger, who, {**values, "alert_id": alert_id})
    except ValidationError as exc:
        errors = {str(e["loc"][0]): N_("error.note_required") if action == "note"
                  else error_key(e) for e in exc.errors()}
        return _alert_page(request, who, alert_id, status=422, sent=_sent(form, action),
                           values=values, errors=errors)
    except Refused as refused:
        field = refused.field if refused.field in fields else fields[0]
        return _alert_page(request, who, alert_id, status=refused.status,
                           sent=_sent(form, action), values=values,
                           errors={field: N_("error.refused")})
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
