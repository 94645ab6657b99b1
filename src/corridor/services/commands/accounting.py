"""Accounting for everyone: resolving an alert, reporting an incident."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from corridor.domain import events as ev
from corridor.domain.vocabulary import IncidentType
from corridor.services.commands import Recorded, new_id, record
from corridor.services.ledger import Ledger, Principal


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: ev.Note


def resolve_alert(ledger: Ledger, who: Principal, alert_id: str, resolution: ResolveIn) -> Recorded:
    return record(ledger, who, ev.AlertResolved(alert_id=alert_id, note=resolution.note))


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
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


@dataclass(frozen=True, slots=True)
class Reported(Recorded):
    incident_id: str


def report_incident(ledger: Ledger, who: Principal, incident: IncidentIn) -> Reported:
    fact = ev.IncidentReported(**{**incident.model_dump(),
                                  "incident_id": incident.incident_id or new_id()})
    return Reported(record(ledger, who, fact).recorded, fact.incident_id)
