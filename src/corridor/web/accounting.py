"""Accounting pages: the incident log and the conflicts (the alerts: `web/alerts.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import IncidentType, Role
from corridor.services import queries, reads
from corridor.services.commands import accounting
from corridor.services.ledger import Principal, Refused
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import (
    Posted,
    SignedIn,
    app_of,
    may,
    one_of,
    records,
    render,
)

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, records("IncidentReported")]
Coordinator = Annotated[Principal, one_of(*COORDINATES)]


# --- incidents ------------------------------------------------------------------------

INCIDENT_FIELDS = ("type", "occurred_at", "location_id", "convoy_id", "vehicle_id", "killed",
                   "injured", "reported_by", "description")


def _incidents_page(request: Request, who: Principal, status: int = 200,
                    values: dict[str, str] | None = None,
                    errors: dict[str, str] | None = None) -> HTMLResponse:
    engine = app_of(request).engine
    incidents = reads.incidents(engine, who)
    with engine.connect() as conn:
        places = queries.places(conn)
        convoys, vehicles = queries.labels(conn)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    return render(request, "incidents.html", status, incidents=incidents, places=places,
                  place_names={p["location_id"]: p["name"] for p in places},
                  convoys=convoys, vehicles=vehicles,
                  types=list(IncidentType), may_report=may(who, "IncidentReported"),
                  partner=who.role == Role.PARTNER,
                  values=values or {"occurred_at": now, "reported_by": who.username,
                                    "killed": "0", "injured": "0"},
                  errors=errors or {})


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, who: SignedIn) -> HTMLResponse:
    return _incidents_page(request, who)


def _incident(values: dict[str, str]) -> dict[str, Any]:
    """The form's strings as IncidentReported fields; the time is entered in UTC."""
    data: dict[str, Any] = {k: v or None for k, v in values.items()}
    data.update(killed=values["killed"] or 0,
                injured=values["injured"] or 0, description=values["description"])
    try:
        occurred = datetime.fromisoformat(values["occurred_at"])
        data["occurred_at"] = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    except ValueError:
        pass  # left as typed: the schema names the field
    return data


@router.post("/incidents")
def report_incident(request: Request, form: Posted,
                    who: Reporter) -> Response:
    values = {k: text(form, k) for k in INCIDENT_FIELDS}
    try:
        accounting.report_incident(app_of(request).ledger, who,
                                   accounting.IncidentIn.model_validate(_incident(values)))
    except ValidationError as exc:
        errors = {str(e["loc"][0]): error_key(e) for e in exc.errors()}
        return _incidents_page(request, who, 422, values, errors)
    except Refused:
        return _incidents_page(request, who, 409, values, {"type": N_("error.refused")})
    return RedirectResponse("/incidents", status_code=303)


# --- conflicts -----------------------------------------------------------------------------

@router.get("/conflicts", response_class=HTMLResponse)
def conflicts(request: Request, who: Coordinator) -> HTMLResponse:
    """Facts that do not fit the record, kept in the ledger: what each contradicts, and
    whether it was applied, refused or waits for a fact not yet arrived."""
    return render(request, "conflicts.html",
                  conflicts=reads.conflicts(app_of(request).engine, who))
