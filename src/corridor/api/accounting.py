"""Accounting for everyone: alerts, the unaccounted, incidents, conflicts, rejects."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Depends

from corridor.api.commands import may_record
from corridor.api.context import corridor, current_principal, ledger_of, require
from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES, SEES_PERSONS
from corridor.domain.vocabulary import Status
from corridor.services import queries
from corridor.services.app import Corridor
from corridor.services.audit import audited, ids
from corridor.services.commands import accounting
from corridor.services.ledger import Ledger, Principal

router = APIRouter(prefix="/api", tags=["accounting"])


@router.get("/alerts")
def list_alerts(status: Literal["open", "resolved", "all"] = "open",
                _: Principal = Depends(require(*SEES_PERSONS)),
                app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return queries.list_alerts(conn, None if status == "all" else status)


@router.post("/alerts/{alert_id}/resolution")
def resolve_alert(alert_id: ev.AlertId, body: accounting.ResolveIn,
                  principal: Principal = may_record("AlertResolved"),
                  ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(accounting.resolve_alert(ledger, principal, alert_id, body))


@router.get("/unaccounted")
def unaccounted(principal: Principal = Depends(require(*SEES_PERSONS)),
                app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """People nobody can place, and the open alerts that say why."""
    return audited(app.engine, principal, "list unaccounted", lambda conn: {
        "persons": queries.list_persons(conn, status=Status.UNACCOUNTED, limit=100_000),
        "alerts": queries.list_alerts(conn, "open")},
        lambda found: f"returned={len(found['persons'])}",
        persons=lambda found: ids(found["persons"]) + [
            p for alert in found["alerts"] for p in alert["person_ids"]])


# Free text may name people, and recorders are staff: partners get neither.
PARTNER_HIDDEN = ("description", "recorded_by", "pushed_by", "recorder_mismatch")


@router.get("/incidents")
def list_incidents(principal: Principal = Depends(current_principal),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        rows = queries.list_incidents(conn)
    if principal.role not in SEES_PERSONS:
        rows = [{k: v for k, v in row.items() if k not in PARTNER_HIDDEN} for row in rows]
    return rows


@router.post("/incidents", status_code=201)
def report_incident(body: accounting.IncidentIn,
                    principal: Principal = may_record("IncidentReported"),
                    ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(accounting.report_incident(ledger, principal, body))


@router.get("/conflicts")
def list_conflicts(_: Principal = Depends(require(*COORDINATES)),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Recorded facts that contradicted the record: refused, or applied but worth a look."""
    with app.engine.connect() as conn:
        return queries.list_conflicts(conn)


@router.get("/rejects")
def list_rejects(_: Principal = Depends(require(*COORDINATES)),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Events refused at the door, kept exactly as they arrived."""
    with app.engine.connect() as conn:
        return queries.list_rejects(conn)


@router.get("/rejects/not-kept")
def rejects_not_kept(_: Principal = Depends(require(*COORDINATES)),
                     app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Per account and device that reached the cap on kept rejects (CORRIDOR_MAX_REJECTS):
    how many more were refused and not kept, and when the last arrived."""
    with app.engine.connect() as conn:
        return queries.list_rejects_not_kept(conn)
