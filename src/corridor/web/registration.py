"""Registering a household at a gathering point.

The form posts back to the server for everything, including "add another member",
so it works on any phone without scripts. An error re-shows the form with what was
typed and the message beside the field; nothing is recorded unless all is well.
A successful registration redirects (post/redirect/get), so reloading the page
cannot register the family twice. The household id is made when the form is drawn
and sent back hidden, so a form sent again after its answer was lost shows the
household it registered, never a second one; sent again with other details, it
says so (`register_household` decides both).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from corridor.domain import codes
from corridor.domain.vocabulary import ARRIVAL_KINDS, LocationKind, Need, Sex
from corridor.services import queries, reads
from corridor.services.commands import new_id
from corridor.services.commands.registration import HouseholdIn, register_household
from corridor.services.ledger import Principal, Refused
from corridor.services.reads import ReadRefused
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import Posted, app_of, records, render

router = APIRouter(include_in_schema=False)
MEMBER_FIELDS = ("given_name", "father_name", "family_name", "sex", "birth_year", "age",
                 "destination_id")
NAMES = ("given_name", "father_name", "family_name")
MAX_MEMBERS = 60
Registrar = Annotated[Principal, records("HouseholdRegistered")]
# Field-specific messages where the generic one would not say what to type.
FIELD_KEYS = {"birth_year": N_("error.birth_year"), "age": N_("error.age"),
              "token": N_("error.token")}
# What the record's refusal of a field (registration_problems) says on the form.
REFUSAL_KEYS = {"gathering_point_id": N_("error.choice"), "destination_id": N_("error.choice"),
                "token": N_("error.token_in_use"), "household_id": N_("error.household_sent")}


def blank_row() -> dict[str, Any]:
    return {**dict.fromkeys(MEMBER_FIELDS, ""), "sex": Sex.UNKNOWN, "needs": [],
            "consent": False}


def _rows(form: FormData) -> list[dict[str, Any]]:
    try:
        count = min(max(int(text(form, "rows")), 1), MAX_MEMBERS)
    except ValueError:
        count = 1
    rows = []
    for i in range(count):
        row: dict[str, Any] = {f: text(form, f"m{i}.{f}") for f in MEMBER_FIELDS}
        row["needs"] = [n for n in form.getlist(f"m{i}.needs") if isinstance(n, str)]
        row["consent"] = form.get(f"m{i}.consent") == "yes"
        rows.append(row)
    return rows


def _blank(row: dict[str, Any]) -> bool:
    """An untouched row (an extra "add member" click) is left out, not refused."""
    typed = ("given_name", "father_name", "family_name", "birth_year", "age")
    return not any(row[f] for f in typed) and not row["needs"]


def _member(row: dict[str, Any]) -> dict[str, Any]:
    member = {f: row[f] or None for f in MEMBER_FIELDS}
    member.update(given_name=row["given_name"], sex=row["sex"] or Sex.UNKNOWN,
                  needs=row["needs"], consent=row["consent"])
    return member


def _errors(exc: ValidationError, kept: list[int]) -> dict[str, str]:
    """Schema errors keyed by the form field they belong to."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc[0] == "members" and len(loc) > 1 and isinstance(loc[1], int):
            row = f"m{kept[loc[1]]}"
            if len(loc) == 2:  # the whole member: a birth year and an age both given
                errors.setdefault(f"{row}.birth_year", N_("error.one_age"))
                continue
            field = str(loc[2])
            errors.setdefault(f"{row}.{field}", FIELD_KEYS.get(field, error_key(error)))
        else:
            field = str(loc[0])
            errors.setdefault(field, FIELD_KEYS.get(field, error_key(error)))
    return errors


def _refused(refused: Refused, kept: list[int]) -> dict[str, str]:
    """The record's refusal as the form's error: `members.1.destination_id` is the
    second kept row's destination."""
    field = refused.field or "form"
    parts = field.split(".")
    if parts[0] == "members" and len(parts) == 3:
        field = f"m{kept[int(parts[1])]}.{parts[2]}"
    elif field == "household_id":  # no field of its own: the whole form was sent before
        field = "form"
    return {field: REFUSAL_KEYS.get(parts[-1], N_("error.refused"))}


def _form(request: Request, status: int = 200, rows: list[dict[str, Any]] | None = None,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          registered: dict[str, Any] | None = None, again: bool = False) -> HTMLResponse:
    with app_of(request).engine.connect() as conn:
        places = queries.places(conn)
    gathering = [p for p in places if p["kind"] == LocationKind.GATHERING_POINT]
    default_point = request.session.get("gathering_point_id") or (
        gathering[0]["location_id"] if len(gathering) == 1 else "")
    return render(request, "register.html", status, rows=rows or [blank_row()],
                  values=values or {"gathering_point_id": default_point, "token": "",
                                    "household_id": new_id()},
                  errors=errors or {}, registered=registered, again=again,
                  gathering=gathering,
                  destinations=[p for p in places if p["kind"] in ARRIVAL_KINDS],
                  place_names={p["location_id"]: p["name"] for p in places},
                  needs=list(Need), sexes=list(Sex))


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, who: Registrar, registered: str | None = None,
                  again: bool = False) -> HTMLResponse:
    household = None
    if registered:
        # A household registered at another post's gathering point is recorded, but not
        # this account's to read back: the form alone, then.
        with suppress(ReadRefused):
            household = reads.household(app_of(request).engine, who, registered)
    return _form(request, registered=household, again=again)


@router.post("/register")
def register(request: Request, form: Posted,
             who: Registrar) -> Response:
    rows = _rows(form)
    values = {"gathering_point_id": text(form, "gathering_point_id"), "token": text(form, "token"),
              "household_id": text(form, "household_id") or new_id()}
    if form.get("action") == "add":
        rows = rows + [blank_row()] if len(rows) < MAX_MEMBERS else rows
        return _form(request, rows=rows, values=values)
    kept = [i for i, row in enumerate(rows) if not _blank(row)] or [0]
    try:
        token = codes.typed_token(values["token"])
    except codes.CodeError:
        return _form(request, 422, rows, values, {"token": N_("error.token_check")})
    try:
        household = HouseholdIn.model_validate({
            "household_id": values["household_id"],
            "gathering_point_id": values["gathering_point_id"] or None,
            "token": token or None,
            "members": [_member(rows[i]) for i in kept]})
        registered = register_household(app_of(request).ledger, who, household)
    except ValidationError as exc:
        return _form(request, 422, rows, values, _errors(exc, kept))
    except Refused as refused:
        return _form(request, refused.status, rows, values, _refused(refused, kept))
    request.session["gathering_point_id"] = household.gathering_point_id
    again = "&again=1" if registered.again else ""
    return RedirectResponse(f"/register?registered={registered.household_id}{again}",
                            status_code=303)
