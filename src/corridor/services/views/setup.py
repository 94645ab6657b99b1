"""The setup pages' views: what exists at each step, in the order an operation is set
up, and what a coordinator deciding about a convoy needs to read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from corridor.domain.control import Action, possible
from corridor.domain.entities import Vehicle
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import LocationKind

# Places listed in the order a convoy meets them.
KIND_ORDER = list(LocationKind)
# The steps of setting up an operation, in order: each names the collection it fills.
STEPS = ("operation", "parties", "locations", "routes", "vehicles", "convoys")


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    count: int
    next: bool  # the first step with nothing recorded yet


def steps(state: OperationState) -> list[Step]:
    counts = [len(getattr(state, name)) for name in STEPS]
    first_empty = next((n for n, count in enumerate(counts) if not count), None)
    return [Step(name, count, n == first_empty)
            for n, (name, count) in enumerate(zip(STEPS, counts, strict=True))]


def parties(state: OperationState) -> list[dict[str, Any]]:
    return sorted(({"party_id": p.party_id, "name": p.name, "kind": p.kind,
                    "description": p.description} for p in state.parties.values()),
                  key=lambda p: (p["kind"], p["name"]))


def locations(state: OperationState) -> list[dict[str, Any]]:
    return sorted(({"location_id": p.location_id, "kind": p.kind, "name": p.name,
                    "latitude": p.latitude, "longitude": p.longitude, "held_by": p.held_by}
                   for p in state.locations.values()),
                  key=lambda p: (KIND_ORDER.index(p["kind"]), p["name"]))


def routes(state: OperationState) -> list[dict[str, Any]]:
    return sorted(({"route_id": r.route_id, "name": r.name,
                    "stops": [r.origin_id, *r.checkpoint_ids, r.destination_id]}
                   for r in state.routes.values()), key=lambda r: r["name"])


def vehicles(state: OperationState) -> list[dict[str, Any]]:
    """Every vehicle, and why it cannot join a new convoy now (None: it is free)."""
    return sorted(({"vehicle_id": v.vehicle_id, "kind": v.kind, "label": v.label,
                    "capacity": v.capacity, "organisation_id": v.organisation_id,
                    "convoy_id": v.convoy_id, "busy": state.busy(v.vehicle_id),
                    "convoy_label": state.convoys[v.convoy_id].label if v.convoy_id else None}
                   for v in state.vehicles.values()), key=lambda v: v["label"])


def fleets(state: OperationState) -> list[dict[str, Any]]:
    """The vehicles grouped by kind, seats and organisation, so that three hundred
    buses read as a few lines; each group's labels in order and how many are free."""
    groups: dict[tuple[str, int, str], list[Vehicle]] = defaultdict(list)
    for v in state.vehicles.values():
        groups[(v.kind, v.capacity, v.organisation_id or "")].append(v)
    return [{"kind": kind, "capacity": capacity, "organisation_id": organisation or None,
             "count": len(group), "labels": sorted(v.label for v in group),
             "free": sum(state.busy(v.vehicle_id) is None for v in group)}
            for (kind, capacity, organisation), group in sorted(groups.items())]


def convoys(state: OperationState) -> list[dict[str, Any]]:
    return sorted((convoy(state, convoy_id) for convoy_id in state.convoys),
                  key=lambda c: c["label"])


def convoy(state: OperationState, convoy_id: str) -> dict[str, Any]:
    """A convoy as a decision about it names it: its route, vehicles, seats, who is
    aboard, where it may be held, and what may be decided now."""
    c = state.convoys[convoy_id]
    route = state.routes[c.route_id]
    stops = [route.origin_id, *route.checkpoint_ids, route.destination_id]
    return {"convoy_id": c.convoy_id, "label": c.label, "state": c.state,
            "route_id": route.route_id, "route_name": route.name,
            "stops": [(s, state.locations[s].name) for s in stops],
            "vehicles": len(c.vehicle_ids),
            "seats": sum(state.vehicles[v].capacity for v in c.vehicle_ids),
            "aboard": sum(len(state.on_board.get(v, ())) for v in c.vehicle_ids
                          if state.vehicles[v].convoy_id == convoy_id),
            "location_id": c.location_id, "reason": c.reason,
            "actions": [action for action in Action if action in possible(c)]}
