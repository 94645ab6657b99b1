"""The convoy board and the convoy page, from the state.

A bus makes several trips (a trip is one vehicle in one convoy), so every figure a
vehicle shows is its trip's: who boarded it for this convoy, how many of them are
still aboard, the last headcount (where, when, how many, against how many expected)
and, once it arrived, how many of the trip checked in. Before, the board counted the
people whose status named the vehicle, so an arrived bus read "On board: 0 of 55"
and a bus on its second trip showed the first trip's passengers.

The board puts the convoys a coordinator acts on first (on the road: departed, held,
turned back), then those planned, then those finished, and pages them; each filter
(day, state, route) says how many convoys each of its choices holds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from corridor.domain.control import Action, possible
from corridor.domain.entities import Alert, Convoy, Passage
from corridor.domain.movement import MOVING, VOID
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import AlertKind, ConvoyState, Status
from corridor.services.reads import ReadRefused

PER_PAGE = 20
# The board's order: on the road, then planned, then finished.
RANK = {**dict.fromkeys(MOVING, 0), ConvoyState.PLANNED: 1,
        **dict.fromkeys((ConvoyState.ARRIVED, *VOID), 2)}
HEADCOUNT_ALERTS = frozenset({AlertKind.HEADCOUNT_SHORT, AlertKind.HEADCOUNT_OVER})
FACETS = ("day", "state", "route")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which convoys, and which page of them; `per_page` None for all on one page."""

    day: date | None = None
    state: str | None = None
    route: str | None = None
    page: int = 1
    per_page: int | None = PER_PAGE

    @classmethod
    def read(cls, day: str | None = None, state: str | None = None, route: str | None = None,
             page: int | None = None, per_page: int | None = PER_PAGE) -> Filters:
        """From query parameters; ReadRefused (422) naming the field of a bad one."""
        try:
            parsed_day = date.fromisoformat(day) if day else None
        except ValueError:
            raise ReadRefused(422, "day is not a date (YYYY-MM-DD)", "day") from None
        if state and state not in ConvoyState.__members__.values():
            raise ReadRefused(422, f"state must be one of {', '.join(ConvoyState)}", "state")
        if page is not None and page < 1:
            raise ReadRefused(422, "page counts from 1", "page")
        if per_page is not None and not 1 <= per_page <= 500:
            raise ReadRefused(422, "per_page is from 1 to 500", "per_page")
        return cls(parsed_day, state or None, route or None, page or 1, per_page)

    def admits(self, convoy: Convoy, day: date | None, *, besides: str = "") -> bool:
        """Whether the convoy passes every filter (but `besides`, for its counts)."""
        return ((besides == "day" or self.day is None or day == self.day)
                and (besides == "state" or self.state is None or convoy.state == self.state)
                and (besides == "route" or self.route is None or convoy.route_id == self.route))


def board(state: OperationState, filters: Filters) -> dict[str, Any]:
    """One page of convoys, active first, with how many each filter's choices hold."""
    days = {c.convoy_id: day_of(state, c) for c in state.convoys.values()}
    chosen = sorted((c for c in state.convoys.values() if filters.admits(c, days[c.convoy_id])),
                    key=lambda c: _order(state, c))
    per_page = filters.per_page or max(1, len(chosen))
    pages = max(1, -(-len(chosen) // per_page))
    page = min(filters.page, pages)
    shown = chosen[(page - 1) * per_page:page * per_page]
    alerts = _alerts_by_trip(state)
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
    for c in state.convoys.values():
        day = days[c.convoy_id]
        for facet, value in (("day", day.isoformat() if day else ""), ("state", c.state),
                             ("route", c.route_id)):
            if filters.admits(c, day, besides=facet):
                counts[facet][value] += 1
    return {"seq": state.seq, "convoys": [convoy_row(state, c, alerts) for c in shown],
            "total": len(chosen),
            "page": page, "pages": pages, "per_page": per_page,
            "counts": {facet: dict(sorted(n.items())) for facet, n in counts.items()},
            "routes": {r.route_id: r.name for r in state.routes.values()}}


def convoy_page(state: OperationState, convoy_id: str) -> dict[str, Any] | None:
    """One convoy: its row on the board, the decisions its state allows, what happened
    to it, and at each stop of its route the headcounts of its vehicles there."""
    convoy = state.convoys.get(convoy_id)
    if convoy is None:
        return None
    row = convoy_row(state, convoy, _alerts_by_trip(state))
    row["seq"] = state.seq
    row["actions"] = [str(action) for action in Action if action in possible(convoy)]
    row["history"] = _history(state, convoy_id, row["vehicles"])
    index = {stop["location_id"]: stop for stop in row["stops"]}
    for stop in row["stops"]:
        stop["counted"] = []
    for v in row["vehicles"]:
        for count in v.pop("counts"):
            if count["checkpoint_id"] in index:
                index[count["checkpoint_id"]]["counted"].append(
                    {**count, "vehicle_id": v["vehicle_id"], "label": v["label"],
                     "last": count["checkpoint_id"] == v["counted_where"]})
    return row


def _history(state: OperationState, convoy_id: str,
             vehicles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What happened to the convoy, in order: its plan, the movement facts that count
    (a refused one changed nothing) and each vehicle's arrival."""
    planned_at, facts = state.movements.convoy_story(convoy_id)
    history: list[dict[str, Any]] = [
        {"kind": "ConvoyPlanned", "at": planned_at, "location_id": None, "location_name": None,
         "reason": ""}] if planned_at else []
    for f in facts:
        conflict = state.conflicts.get(f.event_id)
        if conflict is not None and not conflict.applied:
            continue
        place = getattr(f.payload, "location_id", None)
        history.append({"kind": f.type, "at": f.recorded_at, "location_id": place,
                        "location_name": _name(state, place) if place else None,
                        "reason": getattr(f.payload, "reason", "")
                        or getattr(f.payload, "note", "")})
    history += [{"kind": "VehicleArrived", "at": v["arrived_at"],
                 "location_id": v["arrived_at_id"], "location_name": v["arrived_at_name"],
                 "reason": "", "vehicle": v["label"]} for v in vehicles if v["arrived_at"]]
    return sorted(history, key=lambda h: h["at"])


def day_of(state: OperationState, convoy: Convoy) -> date | None:
    """The day a convoy belongs to: its departure's, or before it departs its plan's."""
    at = convoy.departed_at or state.movements.convoy_story(convoy.convoy_id)[0]
    return at.date() if at else None


def convoy_row(state: OperationState, convoy: Convoy,
               alerts: dict[tuple[str, str], list[Alert]]) -> dict[str, Any]:
    route = state.routes[convoy.route_id]
    stops = [route.origin_id, *route.checkpoint_ids, route.destination_id]
    day = day_of(state, convoy)
    return {"convoy_id": convoy.convoy_id, "label": convoy.label, "route_id": convoy.route_id,
            "vehicle_ids": list(convoy.vehicle_ids), "state": convoy.state,
            "reason": convoy.reason, "location_id": convoy.location_id,
            "location_name": _name(state, convoy.location_id) if convoy.location_id else None,
            "departed_at": convoy.departed_at, "updated_at": convoy.updated_at,
            "day": day.isoformat() if day else None, "route_name": route.name,
            "stops": [{"location_id": s, "name": _name(state, s)} for s in stops],
            "vehicles": [trip_row(state, convoy, v, stops, alerts.get((convoy.convoy_id, v), []))
                         for v in convoy.vehicle_ids]}


def trip_row(state: OperationState, convoy: Convoy, vehicle_id: str, stops: list[str],
             alerts: list[Alert]) -> dict[str, Any]:
    """One vehicle on one convoy's trip, with that trip's figures."""
    vehicle = state.vehicles[vehicle_id]
    trip = (convoy.convoy_id, vehicle_id)
    movements = state.movements
    people = movements.trip_people(trip)
    now = Counter(state.persons[p].status for p in people if movements.trip_of(p) == trip)
    passed = [passage for c in stops[1:-1]
              if (passage := state.passages.get((*trip, c))) is not None]
    last = passed[-1] if passed else None
    arrival = movements.trip_arrival(trip)
    at = len(stops) - 1 if arrival else stops.index(last.checkpoint_id) if last else 0
    open_alerts = [a for a in alerts if a.status == "open"]
    return {"vehicle_id": vehicle_id, "label": vehicle.label, "kind": vehicle.kind,
            "capacity": vehicle.capacity, "stop_index": at,
            "boarded": len(people), "on_board": now[Status.ON_VEHICLE],
            "checked_in": now[Status.ARRIVED], "removed": now[Status.REMOVED],
            "to_check_in": len(people) - now[Status.REMOVED],
            "counted": last.headcount if last else None,
            "expected": _expected(last, alerts) if last else None,
            "counted_where": last.checkpoint_id if last else None,
            "counted_where_name": _name(state, last.checkpoint_id) if last else None,
            "counted_at": last.passed_at if last else None,
            "arrived_at_id": arrival[0] if arrival else None,
            "arrived_at_name": _name(state, arrival[0]) if arrival else None,
            "arrived_at": arrival[1] if arrival else None,
            "over_capacity": len(people) > vehicle.capacity,
            "mismatch": _mismatch(state, open_alerts),
            "open_alerts": len(open_alerts),
            "counts": [{"checkpoint_id": p.checkpoint_id, "headcount": p.headcount,
                        "expected": _expected(p, alerts), "at": p.passed_at} for p in passed]}


def _expected(passage: Passage, alerts: list[Alert]) -> int:
    """Who should be aboard at a checkpoint: who departed less the removals before it,
    and less those recorded there (the headcount alert's figure, when there is one)."""
    return next((a.expected for a in alerts if a.kind in HEADCOUNT_ALERTS
                 and a.location_id == passage.checkpoint_id), passage.on_board_before)


def _mismatch(state: OperationState, open_alerts: list[Alert]) -> dict[str, Any] | None:
    """The latest headcount of the trip that does not match and is not yet explained."""
    found = max((a for a in open_alerts if a.kind in HEADCOUNT_ALERTS),
                key=lambda a: a.opened_at, default=None)
    if found is None or found.location_id is None:
        return None
    return {"checkpoint_id": found.location_id, "name": _name(state, found.location_id),
            "counted": found.counted, "expected": found.expected}


def _alerts_by_trip(state: OperationState) -> dict[tuple[str, str], list[Alert]]:
    by_trip: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in state.alerts.values():
        if alert.convoy_id and alert.vehicle_id:
            by_trip[(alert.convoy_id, alert.vehicle_id)].append(alert)
    return by_trip


def _order(state: OperationState, convoy: Convoy) -> tuple[int, float, str]:
    """Active first, then planned, then finished; in each, the latest change first."""
    at = convoy.updated_at or state.movements.convoy_story(convoy.convoy_id)[0]
    return RANK[ConvoyState(convoy.state)], -(at.timestamp() if at else 0), convoy.convoy_id


def _name(state: OperationState, location_id: str) -> str:
    place = state.locations.get(location_id)
    return place.name if place else location_id
