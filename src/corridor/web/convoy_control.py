"""Deciding about a convoy: depart, hold, release, turn back, return, abort.

`GET /convoys/{id}/control/{action}` says in plain words what will be recorded and
asks for what the fact needs (where and why for a hold or a turn back, why for an
abort, a note for a release); `POST` to the same path records it through the use
case in `services/commands/movement.py` and goes to the convoy's page. A refusal (the
convoy has moved on since, nobody is aboard) shows the confirmation again with the
reason. Which decisions a convoy allows is the domain's (`domain.control.possible`),
as the convoy page's buttons show.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from corridor.domain.control import FACT, Action
from corridor.domain.permissions import COORDINATES
from corridor.services.commands import movement as moves
from corridor.services.ledger import Ledger, Principal, Refused
from corridor.services.views import setup as views
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import Posted, WebError, app_of, may, one_of, render

router = APIRouter(include_in_schema=False)
Coordinator = Annotated[Principal, one_of(*COORDINATES)]

# What each decision asks for, beyond the convoy.
ASKS: dict[Action, tuple[str, ...]] = {
    Action.DEPART: (), Action.HOLD: ("location_id", "reason"), Action.RELEASE: ("note",),
    Action.TURN_BACK: ("location_id", "reason"), Action.RETURN: (), Action.ABORT: ("reason",),
}
# A refusal's field as the message the confirmation shows.
REFUSAL_KEYS = {"state": N_("control.error.state"), "aboard": N_("control.error.aboard"),
                "location_id": N_("control.error.off_route"),
                "convoy_id": N_("error.no_convoy")}


def _record(ledger: Ledger, who: Principal, convoy_id: str, action: Action,
            values: dict[str, str]) -> None:
    """Record the decision through its use case; the form's values read into its input."""
    if action == Action.DEPART:
        moves.depart(ledger, who, convoy_id)
    elif action == Action.RETURN:
        moves.return_convoy(ledger, who, convoy_id)
    elif action == Action.RELEASE:
        moves.release(ledger, who, convoy_id, moves.NoteIn(note=values["note"]))
    else:
        why = moves.ReasonIn(reason=values["reason"], location_id=values.get("location_id") or None)
        {Action.HOLD: moves.hold, Action.TURN_BACK: moves.turn_back,
         Action.ABORT: moves.abort}[action](ledger, who, convoy_id, why)


def _action(action: str, who: Principal) -> Action:
    try:
        chosen = Action(action)
    except ValueError:
        raise WebError(404, N_("error.not_found")) from None
    if not may(who, FACT[chosen].__name__):
        raise WebError(403, N_("error.forbidden"))
    return chosen


def _page(request: Request, who: Principal, convoy_id: str, action: Action,
          status: int = 200, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None) -> HTMLResponse:
    convoy = app_of(request).ledger.read(
        lambda state: views.convoy(state, convoy_id) if convoy_id in state.convoys else None)
    if convoy is None:
        raise WebError(404, N_("error.no_convoy"))
    errors = dict(errors or {})
    if action not in convoy["actions"] and not errors:
        errors["form"] = N_("control.error.state")
    return render(request, "control.html", status, convoy=convoy, action=action,
                  asks=ASKS[action], values=values or dict.fromkeys(ASKS[action], ""),
                  errors=errors, possible=action in convoy["actions"], who=who)


@router.get("/convoys/{convoy_id}/control/{action}", response_class=HTMLResponse)
def confirm(convoy_id: str, action: str, request: Request, who: Coordinator) -> HTMLResponse:
    return _page(request, who, convoy_id, _action(action, who))


@router.post("/convoys/{convoy_id}/control/{action}")
def decide(convoy_id: str, action: str, request: Request, form: Posted,
           who: Coordinator) -> Response:
    chosen = _action(action, who)
    values = {name: text(form, name) for name in ASKS[chosen]}
    try:
        _record(app_of(request).ledger, who, convoy_id, chosen, values)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): error_key(e) for e in exc.errors()}
        return _page(request, who, convoy_id, chosen, 422, values, errors)
    except Refused as refused:
        field = "location_id" if refused.field == "location_id" else "form"
        key = REFUSAL_KEYS.get(refused.field or "", N_("error.refused"))
        return _page(request, who, convoy_id, chosen, refused.status, values,
                     {field: key, "refusal": refused.reason})
    return RedirectResponse(f"/convoys/{quote(convoy_id, safe='')}?recorded=1", status_code=303)
