"""Accounting for everyone: alerts, the unaccounted, incidents, conflicts, rejects."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends

from corridor.api.commands import may_record
from corridor.api.context import corridor, ledger_of, reads, require
from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES
from corridor.services import alerts, queries, timeline
from corridor.services import reads as read
from corridor.services.app import Corridor
from corridor.services.commands import accounting
from corridor.services.ledger import Ledger, Principal

router = APIRouter(prefix="/api", tags=["accounting"])


@router.get("/alerts")
def list_alerts(status: Literal["open", "explained", "resolved", "all"] = "open",
                as_of: str | None = None, principal: Principal = reads("alert"),
                ledger: Ledger = Depends(ledger_of)) -> list[dict[str, Any]]:
    """Alerts: `open`, `explained` (recorded facts account for them, named in
    `explained_by`), `resolved` (by a coordinator's note alone), or all; as they stood
    `as_of` a ledger sequence number or a time. A field account's are those of the
    vehicles of its post's task."""
    return alerts.listed(ledger, principal, timeline.moment(ledger, as_of),
                         None if status == "all" else status)


@router.post("/alerts/{alert_id}/resolution")
def resolve_alert(alert_id: ev.AlertId, body: accounting.ResolveIn,
                  principal: Principal = may_record("AlertResolved"),
                  ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(accounting.resolve_alert(ledger, principal, alert_id, body))


@router.get("/unaccounted")
def unaccounted(principal: Principal = reads("unaccounted"),
                app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """People nobody can place, and the open alerts that say why."""
    return read.unaccounted(app.engine, principal)


@router.get("/incidents")
def list_incidents(principal: Principal = reads("incident"),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """The incident log; partners get no free text and casualty counts suppressed."""
    return read.incidents(app.engine, principal)


@router.post("/incidents", status_code=201)
def report_incident(body: accounting.IncidentIn,
                    principal: Principal = may_record("IncidentReported"),
                    ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(accounting.report_incident(ledger, principal, body))


@router.get("/conflicts")
def list_conflicts(principal: Principal = reads("conflict"),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Recorded facts that contradicted the record: refused, or applied but worth a look."""
    return read.conflicts(app.engine, principal)


@router.get("/rejects")
def list_rejects(principal: Principal = reads("reject"),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Events refused at the door, kept exactly as they arrived."""
    return read.rejects(app.engine, principal)


@router.get("/rejects/not-kept")
def rejects_not_kept(_: Principal = Depends(require(*COORDINATES)),
                     app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Per account and device that reached the cap on kept rejects (CORRIDOR_MAX_REJECTS):
    how many more were refused and not kept, and when the last arrived."""
    with app.engine.connect() as conn:
        return queries.list_rejects_not_kept(conn)
