"""Accounting for everyone: alerts, the unaccounted, incidents, conflicts, rejects."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from corridor.api.commands import may_record, new_id, record
from corridor.api.context import Corridor, corridor, reads
from corridor.domain import events as ev
from corridor.domain.vocabulary import IncidentType
from corridor.services import reads as read
from corridor.services.ledger import Principal

router = APIRouter(prefix="/api", tags=["accounting"])


@router.get("/alerts")
def list_alerts(status: Literal["open", "resolved", "all"] = "open",
                principal: Principal = reads("alert"),
                app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Alerts; a field account's are those of the vehicles of its post's task."""
    return read.alerts(app.engine, principal, None if status == "all" else status)


class ResolveIn(BaseModel):
    note: ev.Text


@router.post("/alerts/{alert_id}/resolution")
def resolve_alert(alert_id: ev.AlertId, body: ResolveIn,
                  principal: Principal = may_record("AlertResolved"),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.AlertResolved(alert_id=alert_id, note=body.note))


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


class IncidentIn(BaseModel):
    incident_id: ev.Id | None = None
    type: IncidentType
    occurred_at: ev.Moment
    location_id: ev.Id | None = None
    convoy_id: ev.Id | None = None
    vehicle_id: ev.Id | None = None
    killed: ev.Count = 0
    injured: ev.Count = 0
    reported_by: ev.Name
    description: ev.Text = ""


@router.post("/incidents", status_code=201)
def report_incident(body: IncidentIn, principal: Principal = may_record("IncidentReported"),
                    app: Corridor = Depends(corridor)) -> dict[str, Any]:
    incident = ev.IncidentReported(**{**body.model_dump(),
                                      "incident_id": body.incident_id or new_id()})
    return {**record(app, principal, incident), "incident_id": incident.incident_id}


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
