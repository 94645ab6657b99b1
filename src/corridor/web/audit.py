"""Reading the audit log in the web UI: the admin's page, and who looked at a person.

`/admin/audit` (admins only) lists recorded reads, newest first, filtered by user,
action, person and day, and says whether the log's hash chain verifies.
`/persons/{id}/reads` (coordinators and admins) is a person's record of who looked
at it. Reading either is itself recorded. Filters travel in the query string: they hold
usernames, actions and person ids, never a name typed into a form.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import Role
from corridor.services import audit, queries
from corridor.services.audit import PAGE, AuditFilter, record_read
from corridor.services.ledger import Principal
from corridor.web.i18n import N_
from corridor.web.page import WebError, app_of, one_of, render

router = APIRouter(include_in_schema=False)
MAX_OFFSET = 2**31


Admin = Annotated[Principal, one_of(Role.ADMIN)]
Coordinates = Annotated[Principal, one_of(*COORDINATES)]


def _offset(request: Request) -> int:
    text = request.query_params.get("offset", "0")
    return min(int(text), MAX_OFFSET) if text.isdigit() else 0


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise WebError(422, N_("error.audit_day")) from None


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(request: Request, who: Admin) -> HTMLResponse:
    params = request.query_params
    values = {f: params.get(f, "").strip()[:64] for f in ("user", "action", "person", "day")}
    where = AuditFilter(values["user"] or None, values["action"] or None,
                        values["person"] or None, _day(values["day"]))
    offset = _offset(request)
    engine = app_of(request).engine
    total, rows = audit.search(engine, where, offset)
    verification = audit.verify_audit(engine)  # before this read is added to it
    # The log says who looked at whom: reading it is a read like any other.
    record_read(engine, who, "web: view audit log",
                " ".join(f"{k}={v}" for k, v in values.items() if v) or "all",
                persons=[where.person_id] if where.person_id else ())
    return render(request, "audit.html", values=values, rows=rows, total=total,
                  offset=offset, page=PAGE, actions=audit.actions(engine),
                  verification=verification,
                  query={k: v for k, v in values.items() if v})


@router.get("/persons/{person_id}/reads", response_class=HTMLResponse)
def person_reads(person_id: str, request: Request, who: Coordinates) -> HTMLResponse:
    engine = app_of(request).engine
    with engine.connect() as conn:
        person = queries.person(conn, person_id)
    if person is None:
        raise WebError(404, N_("error.not_found"))
    offset = _offset(request)
    total, rows = audit.who_looked_at(engine, who, person_id, offset)
    return render(request, "person_reads.html", person=person, rows=rows, total=total,
                  offset=offset, page=PAGE)
