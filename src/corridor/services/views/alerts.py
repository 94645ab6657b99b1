"""The alerts as the state holds them: each alert, the people it names, the facts
that explain it, and what a coordinator needs to record the fact still missing.

Pure functions of the state (never change it: it is shared). Rows have the
projection's fields, so the API answers the same whether read now or as of a moment.
"""

from __future__ import annotations

from typing import Any

from corridor.domain.entities import Alert, Person, claims_another, named_fact
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import ARRIVAL_KINDS, AlertStatus, Status

CLOSED = frozenset({AlertStatus.EXPLAINED, AlertStatus.RESOLVED})
UNPLACED = frozenset({Status.ON_VEHICLE, Status.UNACCOUNTED})


def alert_row(alert: Alert) -> dict[str, Any]:
    row = {name: getattr(alert, name) for name in Alert.__slots__}
    row["person_ids"] = list(alert.person_ids)
    row["explained_by"] = [named_fact(f) for f in alert.explained_by]
    row["recorder_mismatch"] = claims_another(alert.resolved_by, alert.resolved_pushed_by)
    return row


def alerts(state: OperationState, status: str | None = None) -> list[dict[str, Any]]:
    """Alerts of one status (all when None), the latest opened first."""
    found = [a for a in state.alerts.values() if status is None or a.status == status]
    found.sort(key=lambda a: a.alert_id)
    found.sort(key=lambda a: a.opened_at, reverse=True)
    return [alert_row(a) for a in found]


def closed_at(row: dict[str, Any]) -> Any:
    return row["explained_at"] or row["resolved_at"]


def person_row(state: OperationState, person: Person) -> dict[str, Any]:
    row = {name: getattr(person, name) for name in Person.__slots__}
    row["needs"] = list(person.needs)
    household = state.households.get(person.household_id)
    row["token"] = household.token if household else None
    return row


def people(state: OperationState, person_ids: set[str]) -> list[dict[str, Any]]:
    found = [state.persons[p] for p in person_ids if p in state.persons]
    found.sort(key=lambda p: (p.household_id, p.position))
    return [person_row(state, p) for p in found]


def unaccounted(state: OperationState) -> list[Person]:
    found = [p for p in state.persons.values()
             if p.status == Status.UNACCOUNTED and p.merged_into is None]
    found.sort(key=lambda p: (p.household_id, p.position))
    return found


def names(state: OperationState) -> dict[str, dict[str, str]]:
    """Place names and vehicle labels: nothing personal."""
    return {"places": {p.location_id: p.name for p in state.locations.values()},
            "vehicles": {v.vehicle_id: v.label for v in state.vehicles.values()}}


def overview(state: OperationState, unaccounted_shown: int) -> dict[str, Any]:
    """The alerts page: open alerts, closed ones — those resolved by a note alone first
    (their cause still holds), then the explained, the latest closed first — the
    unaccounted (the first `unaccounted_shown`) and their total, and the people the
    alerts name."""
    every = alerts(state)
    open_alerts = [a for a in every if a["status"] == AlertStatus.OPEN]
    closed = sorted((a for a in every if a["status"] in CLOSED), key=closed_at, reverse=True)
    closed.sort(key=lambda a: a["status"] != AlertStatus.RESOLVED)
    missing = unaccounted(state)
    shown = [person_row(state, p) for p in missing[:unaccounted_shown]]
    named = {p for a in open_alerts + closed for p in a["person_ids"]}
    return {"open_alerts": open_alerts, "closed": closed, "missing": shown,
            "total_missing": len(missing),
            "people": {p["person_id"]: p for p in people(state, named) + shown},
            **names(state)}


def detail(state: OperationState, alert_id: str) -> dict[str, Any] | None:
    """One alert: whom it names, each fact that explains it, and the trip it is about —
    its route's checkpoints, the places people check in at, who is aboard and who is
    not placed yet — for the
    forms that record what is still missing. None for an alert not raised."""
    alert = state.alerts.get(alert_id)
    if alert is None:
        return None
    row = alert_row(alert)
    named = set(alert.person_ids) | {f["person_id"] for f in row["explained_by"]
                                     if f["person_id"]}
    convoy = state.convoys.get(alert.convoy_id or "")
    route = state.routes[convoy.route_id] if convoy else None
    arrival_places = sorted((p for p in state.locations.values() if p.kind in ARRIVAL_KINDS),
                            key=lambda p: (p.kind != "reception", p.name))
    aboard = people(state, set(state.on_board.get(alert.vehicle_id or "", ())))
    # Who departed on the trip and is not placed yet: who a removal may name.
    trip = (alert.convoy_id or "", alert.vehicle_id or "")
    unplaced = [p for p in people(state, state.movements.manifests.get(trip, set()))
                if p["status"] in UNPLACED and p["vehicle_id"] == alert.vehicle_id]
    return {"alert": row,
            "people": {p["person_id"]: p for p in people(state, named) + aboard + unplaced},
            "aboard": aboard, "unplaced": unplaced,
            "convoy": None if convoy is None else {
                "convoy_id": convoy.convoy_id, "label": convoy.label, "state": convoy.state,
                "departed": convoy.departed_at is not None},
            "checkpoints": list(route.checkpoint_ids) if route else [],
            "arrival_places": [p.location_id for p in arrival_places],
            **names(state)}
