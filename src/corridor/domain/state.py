"""The operation's current state, folded from the ledger one event at a time.

`OperationState.apply` is the only place where facts change state, and it is pure:
the same events in the same order always give the same state. The live server and
`corridor rebuild` both use it, which is why a rebuild reproduces the projections.

Events are facts recorded in the field, often offline, so the fold never raises.
A fact that contradicts the record is kept in the ledger and listed as a conflict
for a coordinator; it is applied where doing so keeps people accounted for (a
check-in always counts), and refused where it would corrupt the count (boarding
someone who already arrived).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from corridor.domain import events as ev
from corridor.domain.vocabulary import (
    ARRIVAL_KINDS,
    PASSAGE_KINDS,
    AlertKind,
    ConvoyState,
    LocationKind,
    Status,
)


@dataclass(slots=True)
class Operation:
    name: str
    description: str
    illustrative: bool
    opened_at: datetime


@dataclass(slots=True)
class Party:
    party_id: str
    name: str
    kind: str
    description: str


@dataclass(slots=True)
class Location:
    location_id: str
    kind: str
    name: str
    latitude: float
    longitude: float
    held_by: str | None


@dataclass(slots=True)
class Route:
    route_id: str
    name: str
    origin_id: str
    checkpoint_ids: list[str]
    destination_id: str


@dataclass(slots=True)
class Vehicle:
    vehicle_id: str
    kind: str
    label: str
    capacity: int
    organisation_id: str | None
    convoy_id: str | None = None
    last_checkpoint_id: str | None = None  # position along the route
    arrived_at_id: str | None = None


@dataclass(slots=True)
class Convoy:
    convoy_id: str
    label: str
    route_id: str
    vehicle_ids: list[str]
    state: str = ConvoyState.PLANNED
    reason: str = ""  # why it is held, turned back or aborted
    location_id: str | None = None  # where it is held or turned back
    departed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(slots=True)
class Household:
    household_id: str
    gathering_point_id: str
    token: str | None
    registered_at: datetime
    device_id: str


@dataclass(slots=True)
class Person:
    person_id: str
    household_id: str
    position: int  # order within the household, as entered
    given_name: str
    father_name: str | None
    family_name: str | None
    sex: str
    birth_year: int | None
    birth_year_estimated: bool
    needs: tuple[str, ...]
    consent: bool
    destination_id: str | None
    status: str
    vehicle_id: str | None = None
    location_id: str | None = None  # gathering point, checkpoint of removal or reception
    removal_reason: str | None = None
    removed_by: str | None = None
    registered_at: datetime | None = None
    status_at: datetime | None = None
    merged_into: str | None = None  # a duplicate record of that person; out of the counts


@dataclass(slots=True)
class Passage:
    """A vehicle's headcount at a checkpoint, against who was on board before it."""

    convoy_id: str
    vehicle_id: str
    checkpoint_id: str
    headcount: int
    on_board_before: int
    passed_at: datetime


@dataclass(slots=True)
class Alert:
    alert_id: str
    kind: str
    vehicle_id: str | None
    convoy_id: str | None
    location_id: str | None
    expected: int
    counted: int
    missing: int
    person_ids: list[str]
    opened_at: datetime
    status: str = "open"
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None


@dataclass(slots=True)
class Incident:
    incident_id: str
    type: str
    occurred_at: datetime
    location_id: str | None
    convoy_id: str | None
    vehicle_id: str | None
    killed: int
    injured: int
    reported_by: str
    description: str
    recorded_by: str


@dataclass(slots=True)
class Conflict:
    event_id: str
    seq: int
    event_type: str
    reason: str
    applied: bool  # True: recorded and applied but worth a look; False: refused


@dataclass(slots=True)
class TracingRequest:
    request_id: str
    name: str
    sex: str | None
    born: int | None
    tolerance: int
    origin: str | None
    father_name: str | None
    household_names: list[str]
    requester_name: str
    relationship: str
    contact: str
    consent: bool
    note: str
    filed_at: datetime
    filed_by: str
    status: str = "open"
    outcome: str | None = None
    found_person_id: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing_note: str | None = None


@dataclass(slots=True)
class TracingReview:
    """A tracing officer's latest word on one candidate for one request."""

    request_id: str
    person_id: str
    decision: str
    note: str
    reviewed_at: datetime
    reviewed_by: str


@dataclass(slots=True)
class DuplicateReview:
    """The latest decision on a pair of records that may be one person."""

    person_id: str
    other_id: str
    decision: str
    note: str
    decided_at: datetime
    decided_by: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One ledger event, as the fold sees it. `recorded_at` is in UTC, so the live
    fold and a rebuild (which reads UTC text back) derive the same values."""

    seq: int
    event_id: str
    type: str
    payload: ev.Payload
    recorded_at: datetime
    author: str
    device_id: str


# What a handler says about a fact: None when it fits the record, else the reason and
# whether it was applied anyway.
Outcome = tuple[str, bool] | None

TABLES = ("operation", "parties", "locations", "routes", "vehicles", "convoys", "households",
          "persons", "passages", "alerts", "incidents", "conflicts", "tracing_requests",
          "tracing_reviews", "duplicate_reviews")
MOVING = frozenset({ConvoyState.DEPARTED, ConvoyState.HELD, ConvoyState.TURNED_BACK})
FINISHED = frozenset({ConvoyState.ARRIVED, ConvoyState.RETURNED, ConvoyState.ABORTED})


class OperationState:
    def __init__(self) -> None:
        self.operation: dict[str, Operation] = {}
        self.parties: dict[str, Party] = {}
        self.locations: dict[str, Location] = {}
        self.routes: dict[str, Route] = {}
        self.vehicles: dict[str, Vehicle] = {}
        self.convoys: dict[str, Convoy] = {}
        self.households: dict[str, Household] = {}
        self.persons: dict[str, Person] = {}
        self.passages: dict[tuple[str, str, str], Passage] = {}
        self.alerts: dict[str, Alert] = {}
        self.incidents: dict[str, Incident] = {}
        self.conflicts: dict[str, Conflict] = {}
        self.tracing_requests: dict[str, TracingRequest] = {}
        self.tracing_reviews: dict[tuple[str, str], TracingReview] = {}
        self.duplicate_reviews: dict[tuple[str, str], DuplicateReview] = {}
        # Derived indexes, never stored: rebuilt by the same fold.
        self.on_board: dict[str, set[str]] = defaultdict(set)
        self.removals: dict[tuple[str, str, str], int] = defaultdict(int)
        self.tokens: dict[str, str] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        self.awaited_in: dict[str, str] = {}  # unaccounted person -> their not-checked-in alert
        # Persons whose searchable identity changed (registered, merged, unmerged), in
        # order: a name index follows this log instead of rescanning everyone.
        self.identity_log: list[str] = []
        self.seq = 0
        self.dirty: dict[str, set[Any]] = {table: set() for table in TABLES}
        self.tracking = True  # off while rebuilding or catching up: nothing to write back

    # --- reading -----------------------------------------------------------------

    def rows(self, table: str, keys: set[Any] | None = None) -> list[dict[str, Any]]:
        """Rows for the projection table, all of them or only the given keys."""
        store: dict[Any, Any] = getattr(self, table)
        chosen = store.values() if keys is None else (store[k] for k in keys if k in store)
        # A shallow copy: asdict's deep copy was half the cost of a large import.
        items = list(chosen)
        if not items:
            return []
        names = type(items[0]).__slots__
        values = attrgetter(*names)
        rows = [dict(zip(names, values(item), strict=True)) for item in items]
        if table == "operation":
            for row in rows:
                row["id"] = 1
        return rows

    def take_dirty(self) -> dict[str, set[Any]]:
        dirty, self.dirty = self.dirty, {table: set() for table in TABLES}
        return dirty

    def vehicle_convoy_state(self, vehicle: Vehicle) -> str | None:
        convoy = self.convoys.get(vehicle.convoy_id) if vehicle.convoy_id else None
        return convoy.state if convoy else None

    # --- the fold ------------------------------------------------------------------

    def apply(self, fact: Fact) -> None:
        self.seq = fact.seq
        handler = getattr(self, "_on_" + fact.type)
        problem = handler(fact, fact.payload)
        if problem is not None:
            reason, applied = problem
            self.conflicts[fact.event_id] = Conflict(
                fact.event_id, fact.seq, fact.type, reason, applied
            )
            self.dirty["conflicts"].add(fact.event_id)

    def _touch(self, table: str, key: Any) -> None:
        if self.tracking:
            self.dirty[table].add(key)

    def _exists(self, table: str, key: str, what: str) -> Outcome:
        if key in getattr(self, table):
            return f"{what} {key} is already recorded", False
        return None

    def _on_OperationOpened(self, f: Fact, p: ev.OperationOpened) -> Outcome:
        if self.operation:
            return "the operation is already opened", False
        self.operation["operation"] = Operation(p.name, p.description, p.illustrative,
                                                f.recorded_at)
        self._touch("operation", "operation")
        return None

    def _on_PartyRegistered(self, f: Fact, p: ev.PartyRegistered) -> Outcome:
        if clash := self._exists("parties", p.party_id, "party"):
            return clash
        self.parties[p.party_id] = Party(p.party_id, p.name, p.kind, p.description)
        self._touch("parties", p.party_id)
        return None

    def _on_LocationAdded(self, f: Fact, p: ev.LocationAdded) -> Outcome:
        if clash := self._exists("locations", p.location_id, "location"):
            return clash
        self.locations[p.location_id] = Location(
            p.location_id, p.kind, p.name, p.latitude, p.longitude, p.held_by
        )
        self._touch("locations", p.location_id)
        return None

    def _on_RouteDefined(self, f: Fact, p: ev.RouteDefined) -> Outcome:
        if clash := self._exists("routes", p.route_id, "route"):
            return clash
        expected: list[tuple[str, frozenset[LocationKind]]] = [
            (p.origin_id, frozenset({LocationKind.GATHERING_POINT}))]
        expected += [(c, PASSAGE_KINDS) for c in p.checkpoint_ids]
        expected.append((p.destination_id, ARRIVAL_KINDS))
        for location_id, kinds in expected:
            place = self.locations.get(location_id)
            if place is None or place.kind not in kinds:
                return f"route {p.route_id}: {location_id} is not a known " + " or ".join(
                    sorted(kinds)), False
        self.routes[p.route_id] = Route(p.route_id, p.name, p.origin_id, list(p.checkpoint_ids),
                                        p.destination_id)
        self._touch("routes", p.route_id)
        return None

    def _on_VehicleRegistered(self, f: Fact, p: ev.VehicleRegistered) -> Outcome:
        if clash := self._exists("vehicles", p.vehicle_id, "vehicle"):
            return clash
        self.vehicles[p.vehicle_id] = Vehicle(p.vehicle_id, p.kind, p.label, p.capacity,
                                              p.organisation_id)
        self._touch("vehicles", p.vehicle_id)
        return None

    def _on_ConvoyPlanned(self, f: Fact, p: ev.ConvoyPlanned) -> Outcome:
        if clash := self._exists("convoys", p.convoy_id, "convoy"):
            return clash
        if p.route_id not in self.routes:
            return f"route {p.route_id} is not known", False
        for vehicle_id in p.vehicle_ids:
            vehicle = self.vehicles.get(vehicle_id)
            if vehicle is None:
                return f"vehicle {vehicle_id} is not known", False
            current = self.vehicle_convoy_state(vehicle)
            if current is not None and current not in FINISHED:
                return f"vehicle {vehicle_id} is still in convoy {vehicle.convoy_id}", False
            if self.on_board[vehicle_id]:
                return f"vehicle {vehicle_id} still has people on board", False
        for vehicle_id in p.vehicle_ids:
            vehicle = self.vehicles[vehicle_id]
            vehicle.convoy_id, vehicle.last_checkpoint_id, vehicle.arrived_at_id = (
                p.convoy_id, None, None)
            self._touch("vehicles", vehicle_id)
        self.convoys[p.convoy_id] = Convoy(p.convoy_id, p.label, p.route_id, list(p.vehicle_ids),
                                           updated_at=f.recorded_at)
        self._touch("convoys", p.convoy_id)
        return None

    # --- registration ----------------------------------------------------------------

    def _register(self, f: Fact, household_id: str, d: ev.PersonDetails,
                  gathering_point_id: str) -> str | None:
        if d.person_id in self.persons:
            return f"person {d.person_id} is already registered"
        birth_year = d.birth_year
        if d.age is not None:
            birth_year = f.recorded_at.year - d.age
        self.persons[d.person_id] = Person(
            d.person_id, household_id, len(self.members[household_id]),
            d.given_name, d.father_name, d.family_name, d.sex,
            birth_year, d.age is not None, tuple(sorted(set(d.needs))), d.consent,
            d.destination_id, Status.WAITING, location_id=gathering_point_id,
            registered_at=f.recorded_at, status_at=f.recorded_at,
        )
        self.members[household_id].append(d.person_id)
        self.identity_log.append(d.person_id)
        self._touch("persons", d.person_id)
        return None

    def _on_HouseholdRegistered(self, f: Fact, p: ev.HouseholdRegistered) -> Outcome:
        if clash := self._exists("households", p.household_id, "household"):
            return clash
        problems = []
        token = p.token
        if token is not None and token in self.tokens:
            problems.append(f"token {token} already belongs to household {self.tokens[token]}")
            token = None
        if p.gathering_point_id not in self.locations:
            problems.append(f"gathering point {p.gathering_point_id} is not known")
        self.households[p.household_id] = Household(
            p.household_id, p.gathering_point_id, token, f.recorded_at, f.device_id)
        if token is not None:
            self.tokens[token] = p.household_id
        self._touch("households", p.household_id)
        for member in p.members:
            if refused := self._register(f, p.household_id, member, p.gathering_point_id):
                problems.append(refused)
        return ("; ".join(problems), True) if problems else None

    def _on_PersonRegistered(self, f: Fact, p: ev.PersonRegistered) -> Outcome:
        household = self.households.get(p.household_id)
        if household is None:
            return f"household {p.household_id} is not known", False
        if clash := self._register(f, p.household_id, p.person, household.gathering_point_id):
            return clash, False
        # The others' household names changed: a name index must see them again.
        self.identity_log.extend(self.members[p.household_id])
        return None

    def _on_TokenIssued(self, f: Fact, p: ev.TokenIssued) -> Outcome:
        household = self.households.get(p.household_id)
        if household is None:
            return f"household {p.household_id} is not known", False
        holder = self.tokens.get(p.token)
        if holder is not None and holder != p.household_id:
            return f"token {p.token} already belongs to household {holder}", False
        if household.token is not None:
            del self.tokens[household.token]
        household.token = p.token
        self.tokens[p.token] = p.household_id
        self._touch("households", p.household_id)
        return None

    def _person(self, person_id: str) -> Person | None:
        return self.persons.get(person_id)

    @staticmethod
    def _merged(person: Person) -> Outcome:
        if person.merged_into is None:
            return None
        return (f"person {person.person_id} was merged into {person.merged_into}: record it "
                "for that person", False)

    def _set_status(self, person: Person, status: Status, at: datetime, **where: Any) -> None:
        if person.status == Status.ON_VEHICLE and person.vehicle_id:
            self.on_board[person.vehicle_id].discard(person.person_id)
        person.status = status
        person.status_at = at
        for key, value in where.items():
            setattr(person, key, value)
        if status == Status.ON_VEHICLE and person.vehicle_id:
            self.on_board[person.vehicle_id].add(person.person_id)
        self._touch("persons", person.person_id)

    def _on_PersonStayed(self, f: Fact, p: ev.PersonStayed) -> Outcome:
        person = self._person(p.person_id)
        if person is None:
            return f"person {p.person_id} is not known", False
        if merged := self._merged(person):
            return merged
        if person.status != Status.WAITING:
            return f"person {p.person_id} is {person.status}, not waiting", False
        self._set_status(person, Status.STAYED, f.recorded_at)
        return None

    # --- movement ----------------------------------------------------------------------

    def _on_PersonBoarded(self, f: Fact, p: ev.PersonBoarded) -> Outcome:
        person = self._person(p.person_id)
        vehicle = self.vehicles.get(p.vehicle_id)
        if person is None or vehicle is None:
            missing = "person " + p.person_id if person is None else "vehicle " + p.vehicle_id
            return f"{missing} is not known", False
        convoy_state = self.vehicle_convoy_state(vehicle)
        if convoy_state is not None and convoy_state not in (ConvoyState.PLANNED,
                                                             ConvoyState.HELD):
            return f"vehicle {p.vehicle_id} is {convoy_state}, boarding is closed", False
        if merged := self._merged(person):
            return merged
        if person.status == Status.ON_VEHICLE:
            current = self.vehicles.get(person.vehicle_id or "")
            if current is not None and self.vehicle_convoy_state(current) in MOVING:
                return f"person {p.person_id} is on moving vehicle {current.vehicle_id}", False
        elif person.status != Status.WAITING:
            return f"person {p.person_id} is {person.status}, not waiting", False
        self._set_status(person, Status.ON_VEHICLE, f.recorded_at, vehicle_id=p.vehicle_id,
                         location_id=None)
        self._check_capacity(f, vehicle, p.override_reason)
        return None

    def _check_capacity(self, f: Fact, vehicle: Vehicle, override: str) -> None:
        alert_id = f"over_capacity:{vehicle.vehicle_id}:{vehicle.convoy_id or '-'}"
        aboard = len(self.on_board[vehicle.vehicle_id])
        alert = self.alerts.get(alert_id)
        if aboard > vehicle.capacity and not override and alert is None:
            alert = self.alerts[alert_id] = Alert(
                alert_id, AlertKind.OVER_CAPACITY, vehicle.vehicle_id, vehicle.convoy_id, None,
                vehicle.capacity, aboard, 0, [], f.recorded_at)
        if alert is not None and alert.resolved_by is None:
            alert.counted = aboard
            self._auto_resolve(alert, aboard <= vehicle.capacity, f, "back within capacity")

    def _on_PersonDisembarked(self, f: Fact, p: ev.PersonDisembarked) -> Outcome:
        person = self._person(p.person_id)
        if person is None or person.status != Status.ON_VEHICLE or \
                person.vehicle_id != p.vehicle_id:
            return f"person {p.person_id} is not on vehicle {p.vehicle_id}", False
        vehicle = self.vehicles[p.vehicle_id]
        if self.vehicle_convoy_state(vehicle) in MOVING:
            return f"vehicle {p.vehicle_id} has departed", False
        household = self.households.get(person.household_id)
        self._set_status(person, Status.WAITING, f.recorded_at, vehicle_id=None,
                         location_id=household.gathering_point_id if household else None)
        self._check_capacity(f, vehicle, "")
        return None

    def _convoy(self, convoy_id: str, allowed: set[ConvoyState]) -> Convoy | str:
        convoy = self.convoys.get(convoy_id)
        if convoy is None:
            return f"convoy {convoy_id} is not known"
        if convoy.state not in allowed:
            return f"convoy {convoy_id} is {convoy.state}"
        return convoy

    def _move_convoy(self, f: Fact, convoy: Convoy, state: ConvoyState, reason: str = "",
                     location_id: str | None = None) -> None:
        convoy.state, convoy.reason, convoy.location_id = state, reason, location_id
        convoy.updated_at = f.recorded_at
        self._touch("convoys", convoy.convoy_id)

    def _on_ConvoyDeparted(self, f: Fact, p: ev.ConvoyDeparted) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.PLANNED})
        if isinstance(convoy, str):
            return convoy, False
        convoy.departed_at = f.recorded_at
        self._move_convoy(f, convoy, ConvoyState.DEPARTED)
        return None

    def _on_ConvoyHeld(self, f: Fact, p: ev.ConvoyHeld) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.PLANNED, ConvoyState.DEPARTED})
        if isinstance(convoy, str):
            return convoy, False
        self._move_convoy(f, convoy, ConvoyState.HELD, p.reason, p.location_id)
        return None

    def _on_ConvoyReleased(self, f: Fact, p: ev.ConvoyReleased) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.HELD})
        if isinstance(convoy, str):
            return convoy, False
        resumed = ConvoyState.DEPARTED if convoy.departed_at else ConvoyState.PLANNED
        self._move_convoy(f, convoy, resumed, p.note)
        return None

    def _on_ConvoyTurnedBack(self, f: Fact, p: ev.ConvoyTurnedBack) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.DEPARTED, ConvoyState.HELD})
        if isinstance(convoy, str):
            return convoy, False
        if convoy.departed_at is None:
            return f"convoy {p.convoy_id} has not departed; abort it instead", False
        self._move_convoy(f, convoy, ConvoyState.TURNED_BACK, p.reason, p.location_id)
        return None

    def _unload_to_waiting(self, f: Fact, convoy: Convoy) -> None:
        for vehicle_id in convoy.vehicle_ids:
            for person_id in sorted(self.on_board[vehicle_id]):
                person = self.persons[person_id]
                household = self.households.get(person.household_id)
                self._set_status(person, Status.WAITING, f.recorded_at, vehicle_id=None,
                                 location_id=household.gathering_point_id if household else None)

    def _on_ConvoyReturned(self, f: Fact, p: ev.ConvoyReturned) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.TURNED_BACK})
        if isinstance(convoy, str):
            return convoy, False
        self._unload_to_waiting(f, convoy)
        self._move_convoy(f, convoy, ConvoyState.RETURNED, convoy.reason)
        return None

    def _on_ConvoyAborted(self, f: Fact, p: ev.ConvoyAborted) -> Outcome:
        convoy = self._convoy(p.convoy_id, {ConvoyState.PLANNED, ConvoyState.HELD})
        if isinstance(convoy, str):
            return convoy, False
        if convoy.departed_at is not None:
            return f"convoy {p.convoy_id} has departed; turn it back instead", False
        self._unload_to_waiting(f, convoy)
        self._move_convoy(f, convoy, ConvoyState.ABORTED, p.reason)
        return None

    def _on_CheckpointPassed(self, f: Fact, p: ev.CheckpointPassed) -> Outcome:
        vehicle = self.vehicles.get(p.vehicle_id)
        place = self.locations.get(p.checkpoint_id)
        if vehicle is None:
            return f"vehicle {p.vehicle_id} is not known", False
        if place is None or place.kind not in PASSAGE_KINDS:
            return f"{p.checkpoint_id} is not a known checkpoint or crossing", False
        convoy_id = vehicle.convoy_id or "-"
        key = (convoy_id, p.vehicle_id, p.checkpoint_id)
        previous = self.passages.get(key)
        # Removals already recorded here were on board before the checkpoint.
        before = previous.on_board_before if previous else (
            len(self.on_board[p.vehicle_id]) + self.removals[key])
        self.passages[key] = Passage(convoy_id, p.vehicle_id, p.checkpoint_id, p.headcount,
                                     before, f.recorded_at)
        self._touch("passages", key)
        vehicle.last_checkpoint_id = p.checkpoint_id
        self._touch("vehicles", p.vehicle_id)
        self._reconcile_headcount(f, key)
        if self.vehicle_convoy_state(vehicle) not in MOVING:
            return (f"vehicle {p.vehicle_id} passed a checkpoint before its departure was "
                    "recorded", True)
        return None

    def _reconcile_headcount(self, f: Fact, key: tuple[str, str, str]) -> None:
        """Compare a headcount with who should be aboard: on board before the checkpoint,
        less the removals recorded there. A gap opens an alert that stays until a
        recorded fact explains it or a coordinator resolves it."""
        passage = self.passages[key]
        expected = passage.on_board_before - self.removals[key]
        gap = expected - passage.headcount
        convoy_id, vehicle_id, checkpoint_id = key
        alert_id = f"headcount:{convoy_id}:{vehicle_id}:{checkpoint_id}"
        alert = self.alerts.get(alert_id)
        if gap != 0 and alert is None:
            kind = AlertKind.HEADCOUNT_SHORT if gap > 0 else AlertKind.HEADCOUNT_OVER
            alert = self.alerts[alert_id] = Alert(
                alert_id, kind, vehicle_id, convoy_id if convoy_id != "-" else None,
                checkpoint_id, expected, passage.headcount, gap, [], f.recorded_at)
        if alert is not None and alert.resolved_by is None:
            alert.kind = AlertKind.HEADCOUNT_SHORT if gap >= 0 else AlertKind.HEADCOUNT_OVER
            alert.expected, alert.counted, alert.missing = expected, passage.headcount, gap
            self._auto_resolve(alert, gap == 0, f, "headcount matches the recorded removals")

    def _auto_resolve(self, alert: Alert, explained: bool, f: Fact, why: str) -> None:
        """Open while unexplained; closed by the fact that explains it, reopened if a
        later fact undoes that. A coordinator's resolution (resolved_by) is final."""
        if explained:
            alert.status, alert.resolved_at, alert.resolution = "resolved", f.recorded_at, why
        else:
            alert.status, alert.resolved_at, alert.resolution = "open", None, None
        self._touch("alerts", alert.alert_id)

    def _on_PersonRemoved(self, f: Fact, p: ev.PersonRemoved) -> Outcome:
        person = self._person(p.person_id)
        if person is None:
            return f"person {p.person_id} is not known", False
        if person.status not in (Status.ON_VEHICLE, Status.UNACCOUNTED):
            return f"person {p.person_id} is {person.status}, not on a vehicle", False
        vehicle_id = p.vehicle_id or person.vehicle_id
        if p.vehicle_id and person.vehicle_id and p.vehicle_id != person.vehicle_id:
            return f"person {p.person_id} is on vehicle {person.vehicle_id}", False
        # The trip they were on: for someone found missing at arrival, the bus may
        # since have left on another convoy, so take it from their arrival alert.
        awaited = self.awaited_in.get(person.person_id)
        vehicle = self.vehicles.get(vehicle_id or "")
        convoy_id = (self.alerts[awaited].convoy_id if awaited
                     else vehicle.convoy_id if vehicle else None)
        self._set_status(person, Status.REMOVED, f.recorded_at, vehicle_id=vehicle_id,
                         location_id=p.checkpoint_id, removal_reason=p.reason,
                         removed_by=p.removed_by or None)
        if awaited:
            self._found(f, person.person_id)
        key = (convoy_id or "-", vehicle_id or "-", p.checkpoint_id)
        self.removals[key] += 1
        if key in self.passages:
            self._reconcile_headcount(f, key)
        return None

    def _on_VehicleArrived(self, f: Fact, p: ev.VehicleArrived) -> Outcome:
        vehicle = self.vehicles.get(p.vehicle_id)
        place = self.locations.get(p.location_id)
        if vehicle is None:
            return f"vehicle {p.vehicle_id} is not known", False
        if place is None or place.kind not in ARRIVAL_KINDS:
            return f"{p.location_id} is not a known reception or hospital", False
        if vehicle.arrived_at_id is not None:
            return f"vehicle {p.vehicle_id} has already arrived", False
        vehicle.arrived_at_id = p.location_id
        self._touch("vehicles", p.vehicle_id)
        # Nobody stays "on the vehicle" after it arrives: whoever is not checked in
        # is unaccounted until reception, a removal record or tracing says otherwise.
        aboard = sorted(self.on_board[p.vehicle_id])
        for person_id in aboard:
            self._set_status(self.persons[person_id], Status.UNACCOUNTED, f.recorded_at,
                             location_id=p.location_id)
        if aboard:
            alert_id = f"not_checked_in:{f.event_id}"
            self.awaited_in.update(dict.fromkeys(aboard, alert_id))
            self.alerts[alert_id] = Alert(
                alert_id, AlertKind.NOT_CHECKED_IN, p.vehicle_id, vehicle.convoy_id, p.location_id,
                len(aboard), 0, len(aboard), aboard, f.recorded_at)
            self._touch("alerts", alert_id)
        self._note_convoy_arrival(f, vehicle)
        problem = None
        if self.vehicle_convoy_state(vehicle) not in MOVING | {ConvoyState.ARRIVED}:
            problem = f"vehicle {p.vehicle_id} arrived before its departure was recorded", True
        return problem

    def _note_convoy_arrival(self, f: Fact, vehicle: Vehicle) -> None:
        convoy = self.convoys.get(vehicle.convoy_id or "")
        if convoy is None or convoy.state not in MOVING:
            return
        if all(self.vehicles[v].arrived_at_id for v in convoy.vehicle_ids):
            self._move_convoy(f, convoy, ConvoyState.ARRIVED)

    def _found(self, f: Fact, person_id: str) -> None:
        """An unaccounted person is accounted for again: update their alert."""
        alert_id = self.awaited_in.pop(person_id, None)
        if alert_id is None:
            return
        alert = self.alerts[alert_id]
        alert.person_ids = [p for p in alert.person_ids if p != person_id]
        alert.counted += 1
        alert.missing = len(alert.person_ids)
        if alert.resolved_by is None:
            self._auto_resolve(alert, not alert.person_ids, f, "everyone accounted for")
        else:
            self._touch("alerts", alert.alert_id)

    def _on_PersonCheckedIn(self, f: Fact, p: ev.PersonCheckedIn) -> Outcome:
        person = self._person(p.person_id)
        place = self.locations.get(p.location_id)
        if person is None:
            return f"person {p.person_id} is not known", False
        if place is None or place.kind not in ARRIVAL_KINDS:
            return f"{p.location_id} is not a known reception or hospital", False
        if merged := self._merged(person):
            return merged
        if person.status == Status.ARRIVED:
            return f"person {p.person_id} is already checked in", False
        previous = person.status
        self._set_status(person, Status.ARRIVED, f.recorded_at, location_id=p.location_id)
        if previous == Status.UNACCOUNTED:
            self._found(f, person.person_id)
        # Someone standing at reception has arrived, whatever the record said before.
        if previous in (Status.WAITING, Status.STAYED, Status.REMOVED):
            return f"person {p.person_id} checked in while recorded as {previous}", True
        return None

    # --- incidents and accounting -----------------------------------------------------------

    def _on_IncidentReported(self, f: Fact, p: ev.IncidentReported) -> Outcome:
        if clash := self._exists("incidents", p.incident_id, "incident"):
            return clash
        self.incidents[p.incident_id] = Incident(
            p.incident_id, p.type, p.occurred_at.astimezone(UTC), p.location_id, p.convoy_id,
            p.vehicle_id, p.killed, p.injured, p.reported_by, p.description, f.author)
        self._touch("incidents", p.incident_id)
        return None

    def _on_AlertResolved(self, f: Fact, p: ev.AlertResolved) -> Outcome:
        alert = self.alerts.get(p.alert_id)
        if alert is None:
            return f"alert {p.alert_id} is not known", False
        if alert.resolved_by is not None:
            return f"alert {p.alert_id} was already resolved by {alert.resolved_by}", False
        alert.status, alert.resolved_at = "resolved", f.recorded_at
        alert.resolved_by, alert.resolution = f.author, p.note
        self._touch("alerts", p.alert_id)
        return None

    # --- tracing and duplicates -----------------------------------------------------------

    def _on_TracingRequestFiled(self, f: Fact, p: ev.TracingRequestFiled) -> Outcome:
        if clash := self._exists("tracing_requests", p.request_id, "tracing request"):
            return clash
        sought = p.sought
        self.tracing_requests[p.request_id] = TracingRequest(
            p.request_id, sought.name, sought.sex, sought.born, sought.tolerance, sought.origin,
            sought.father_name, list(sought.household_names), p.requester_name,
            p.relationship, p.contact, p.consent, p.note, f.recorded_at, f.author)
        self._touch("tracing_requests", p.request_id)
        return None

    def _open_request(self, request_id: str) -> TracingRequest | str:
        request = self.tracing_requests.get(request_id)
        if request is None:
            return f"tracing request {request_id} is not known"
        if request.status != "open":
            return f"tracing request {request_id} is closed ({request.outcome})"
        return request

    def _on_TracingCandidateReviewed(self, f: Fact, p: ev.TracingCandidateReviewed) -> Outcome:
        request = self._open_request(p.request_id)
        if isinstance(request, str):
            return request, False
        if p.person_id not in self.persons:
            return f"person {p.person_id} is not known", False
        key = (p.request_id, p.person_id)
        self.tracing_reviews[key] = TracingReview(p.request_id, p.person_id, p.decision, p.note,
                                                  f.recorded_at, f.author)
        self._touch("tracing_reviews", key)
        return None

    def _on_TracingRequestClosed(self, f: Fact, p: ev.TracingRequestClosed) -> Outcome:
        request = self._open_request(p.request_id)
        if isinstance(request, str):
            return request, False
        if p.outcome == "found" and p.person_id not in self.persons:
            return "a request closed as found names the person found", False
        request.status, request.outcome, request.found_person_id = "closed", p.outcome, p.person_id
        request.closed_at, request.closed_by, request.closing_note = f.recorded_at, f.author, p.note
        self._touch("tracing_requests", p.request_id)
        return None

    def _on_DuplicateReviewed(self, f: Fact, p: ev.DuplicateReviewed) -> Outcome:
        kept, other = self.persons.get(p.person_id), self.persons.get(p.other_id)
        if kept is None or other is None or kept is other:
            return f"{p.person_id} and {p.other_id} are not two known persons", False
        key = (min(p.person_id, p.other_id), max(p.person_id, p.other_id))
        if other.merged_into == p.person_id or kept.merged_into == p.other_id:
            return "the two records are merged: unmerge them first", False
        if p.decision == "same":
            if kept.merged_into or other.merged_into:
                return "one of the records is already merged into a third", False
            # Merging a record that has moved would put one person on two vehicles;
            # keep the record that carries the movement instead.
            if other.status != Status.WAITING:
                return (f"person {p.other_id} is {other.status}: merge it the other way "
                        "round", False)
            other.merged_into = p.person_id
            self.identity_log.append(p.other_id)
            self._touch("persons", p.other_id)
        self.duplicate_reviews[key] = DuplicateReview(p.person_id, p.other_id, p.decision,
                                                      p.note, f.recorded_at, f.author)
        self._touch("duplicate_reviews", key)
        return None

    def _on_PersonsUnmerged(self, f: Fact, p: ev.PersonsUnmerged) -> Outcome:
        other = self.persons.get(p.other_id)
        if other is None or other.merged_into != p.person_id:
            return f"person {p.other_id} is not merged into {p.person_id}", False
        other.merged_into = None
        self.identity_log.append(p.other_id)
        self._touch("persons", p.other_id)
        # The pair goes back to the review queue, undecided.
        key = (min(p.person_id, p.other_id), max(p.person_id, p.other_id))
        self.duplicate_reviews.pop(key, None)
        self._touch("duplicate_reviews", key)
        return None
