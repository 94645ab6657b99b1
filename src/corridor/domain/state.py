"""The operation's current state, folded from the ledger.

`OperationState.apply` is the only way facts change state, and `settle` finishes
what a batch of them changed. Both are pure: the same facts always give the same
state, **whatever order they arrived in**, so the live server and `corridor
rebuild` agree, and so do servers whose phones synced in different orders.

Events are facts recorded in the field, often offline, so the fold never raises.
A fact is judged against the record and, where it does not fit, listed as a
conflict for a coordinator: *applied* where doing so keeps people accounted for
(a check-in always counts), *refused* where it would corrupt the count, or
*waiting* where it names something not recorded yet (a boarding of a person whose
registration is still on another phone); a waiting fact is applied when what it
waits for arrives.

Setting up, registration, tracing and incidents are handled here, one handler per
fact. Movement (boarding, convoys, headcounts, arrival, check-in, removal) is
derived in `movement.py` from every movement fact filed so far, because there
the order of arrival would otherwise decide where a person is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from corridor.domain import events as ev
from corridor.domain.control import ConvoyFact, convoy_objection
from corridor.domain.entities import (
    Alert,
    Conflict,
    Convoy,
    DuplicateReview,
    Fact,
    Household,
    Incident,
    Location,
    Operation,
    Party,
    Passage,
    Person,
    Route,
    TracingRequest,
    TracingReview,
    Vehicle,
)
from corridor.domain.layer import layered
from corridor.domain.movement import FILED, FINISHED, MOVING, Movements
from corridor.domain.vocabulary import (
    ARRIVAL_KINDS,
    PASSAGE_KINDS,
    LocationKind,
    Status,
)

__all__ = ["FINISHED", "MOVING", "Fact", "OperationState", "Person"]


@dataclass(frozen=True, slots=True)
class Objection:
    """Why a command may not record a fact: the field at fault (as the command's input
    names it, e.g. `members.2.destination_id`) and whether it clashes with something
    already recorded (a token in use) rather than naming what is not there."""

    field: str | None
    reason: str
    clash: bool = False


@dataclass(frozen=True, slots=True)
class Wait:
    """A handler's answer for a fact that names something not recorded yet."""

    kind: str  # location, route, vehicle, household, person, request
    key: str
    reason: str


NO_PAYLOAD = ev.Payload()


class Judged:
    """A handler's answer when it has judged the fact itself (a registration, whose
    conflict can change when a later fact arrives)."""


# What a handler says about a fact: None when it fits, a Wait, Judged, or the reason
# it does not fit and whether it was applied anyway.
Outcome = tuple[str, bool] | Wait | type[Judged] | None


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
        self.movements = Movements(self)
        self.on_board: dict[str, set[str]] = defaultdict(set)
        self.tokens: dict[str, str] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        self.parked: dict[str, list[Fact]] = defaultdict(list)  # "kind:key" -> waiting facts
        # household -> (its registration, the clashes found when it was applied, the
        # destinations it named): judged again when a place it names is recorded.
        self.household_problems: dict[str, tuple[Fact, list[str], tuple[str, ...]]] = {}
        self.parked_households: dict[str, set[str]] = defaultdict(set)  # place -> households
        self.merges: dict[str, Fact] = {}  # merged person -> the decision that merged it
        # Facts a field device may record but a command may not (a removal of someone
        # nobody boarded): the reason, for `would_refuse` to give.
        self.command_refusals: dict[str, str] = {}
        # Persons whose searchable identity changed (registered, merged, unmerged), in
        # order: a name index follows this log instead of rescanning everyone.
        self.identity_log: list[str] = []
        self.seq = 0
        # The records that changed since storage last took them, by collection name
        # (persons: person ids, ...): the fold says what changed, storage writes it.
        self.changed: dict[str, set[Any]] = defaultdict(set)

    # --- reading -----------------------------------------------------------------

    def take_changes(self) -> dict[str, set[Any]]:
        changed, self.changed = self.changed, defaultdict(set)
        return changed

    def vehicle_convoy_state(self, vehicle: Vehicle) -> str | None:
        convoy = self.convoys.get(vehicle.convoy_id) if vehicle.convoy_id else None
        return convoy.state if convoy else None

    def would_refuse(self, facts: list[Fact]) -> Objection | None:
        """Why a command may not record these facts, or None if it may. They are judged
        as a whole, each as if those before it were recorded, by the fold itself run on
        a trial (layer.py): the state does not change, whatever the answer."""
        trial = self._trial()
        for fact in facts:
            if objection := trial.command_refusal(fact.payload):
                return objection
            trial.apply(fact)
            trial.settle()
            if reason := trial._refusal(fact):
                return Objection(None, reason, clash=True)
        return None

    def _trial(self) -> OperationState:
        """A scratch state over this one: what the fold does to it stays in it. Its
        change records start empty: they are for storage, which never sees a trial."""
        trial = layered(self, movements=None, changed=defaultdict(set), identity_log=[])
        trial.movements = layered(self.movements, state=trial)
        return trial

    def _refusal(self, f: Fact) -> str | None:
        """Why a command may not record this fact now that it is applied, if it may not:
        the fold refuses it, leaves it waiting, or accepts it only from the field."""
        conflict = self.conflicts.get(f.event_id)
        if conflict is not None and (not conflict.applied or conflict.waiting):
            return conflict.reason
        return self.command_refusals.get(f.event_id)

    # --- the fold ------------------------------------------------------------------

    def apply(self, fact: Fact) -> None:
        """Take one fact in. Movement facts are filed; `settle` derives what they say."""
        self.seq = max(self.seq, fact.seq)
        if fact.type in FILED:
            self.movements.file(fact)
        else:
            self._handle(fact)

    def settle(self) -> None:
        """Derive every record the facts applied since the last settle changed."""
        self.movements.settle()

    def command_refusal(self, payload: ev.Payload) -> Objection | None:
        """Why a command may not record this, for facts the fold would accept from the
        field as a record of what happened (a second convoy for a vehicle still on the
        road, a registration naming the wrong kind of place): asked before the fold."""
        if isinstance(payload, ev.ConvoyPlanned):
            reason = self.plan_refusal(payload)
            return Objection("vehicle_ids", reason, clash=True) if reason else None
        if isinstance(payload, ConvoyFact):
            return convoy_objection(self, payload)
        if isinstance(payload, ev.RouteDefined):
            return next(iter(self.route_problems(payload)), None)
        if isinstance(payload, ev.LocationAdded) and payload.held_by is not None:
            if payload.kind not in PASSAGE_KINDS:
                return Objection("held_by", "only a checkpoint or crossing is held by a party")
            return self.party_objection("held_by", payload.held_by)
        if isinstance(payload, ev.VehicleRegistered) and payload.organisation_id is not None:
            return self.party_objection("organisation_id", payload.organisation_id)
        if isinstance(payload, ev.HouseholdRegistered):
            return next(iter(self.registration_problems(payload)), None)
        if isinstance(payload, ev.PersonDisembarked):
            # A field record judges against the departure's time, with clock drift
            # allowed; a decision taken now knows the vehicle has left.
            vehicle = self.vehicles.get(payload.vehicle_id)
            if vehicle is not None and self.vehicle_convoy_state(vehicle) in MOVING:
                return Objection("vehicle_id", f"vehicle {payload.vehicle_id} has departed",
                                 clash=True)
        return None

    def unreadable(self, seq: int, event_id: str, event_type: str, why: str) -> None:
        """A stored event the fold cannot read: refused, with the reason, for a
        coordinator; every other fact still counts."""
        self.seq = max(self.seq, seq)
        self.conflicts[event_id] = Conflict(event_id, seq, event_type,
                                            f"the stored event cannot be read: {why}", False)
        self.touch("conflicts", event_id)

    def _handle(self, fact: Fact) -> None:
        outcome = HANDLERS[fact.type](self, fact, fact.payload)
        if isinstance(outcome, Wait):
            self.parked[f"{outcome.kind}:{outcome.key}"].append(fact)
            self.judge(fact, outcome.reason, waiting=True)
        elif isinstance(outcome, tuple):
            self.judge(fact, outcome[0], applied=outcome[1])
        elif outcome is None:
            self.judge(fact, None)

    def _recorded(self, kind: str, key: str) -> None:
        """Something facts may wait for is recorded: apply them now."""
        for fact in self.parked.pop(f"{kind}:{key}", ()):
            self._handle(fact)
        self.movements.recorded(kind, key)
        for household_id in self.parked_households.pop(key, ()) if kind == "location" else ():
            self._judge_household(household_id)

    def judge(self, f: Fact, reason: str | None, *, applied: bool = False,
              waiting: bool = False, strict: bool = False) -> None:
        """Set what the record says about a fact: nothing (it fits) or a conflict.
        `strict`: an applied fact that a command would not be allowed to record."""
        if strict and reason is not None:
            self.command_refusals[f.event_id] = reason
        else:
            self.command_refusals.pop(f.event_id, None)
        if reason is None:
            if self.conflicts.pop(f.event_id, None) is not None:
                self.touch("conflicts", f.event_id)
            return
        conflict = Conflict(f.event_id, f.seq, f.type, reason, applied, waiting)
        if self.conflicts.get(f.event_id) != conflict:
            self.conflicts[f.event_id] = conflict
            self.touch("conflicts", f.event_id)

    def touch(self, collection: str, key: Any) -> None:
        self.changed[collection].add(key)

    def place(self, person: Person, status: Status, at: datetime | None, **where: Any) -> None:
        """Give a person their one status, keeping the on-board index with it."""
        if person.status == Status.ON_VEHICLE and person.vehicle_id:
            self.on_board[person.vehicle_id].discard(person.person_id)
        person.status = status
        person.status_at = at
        for key, value in where.items():
            setattr(person, key, value)
        if status == Status.ON_VEHICLE and person.vehicle_id:
            self.on_board[person.vehicle_id].add(person.person_id)
        self.touch("persons", person.person_id)

    def _exists(self, table: str, key: str, what: str) -> Outcome:
        if key in getattr(self, table):
            return f"{what} {key} is already recorded", False
        return None

    # --- setting up ----------------------------------------------------------------

    def _on_OperationOpened(self, f: Fact, p: ev.OperationOpened) -> Outcome:
        if self.operation:
            return "the operation is already opened", False
        self.operation["operation"] = Operation(p.name, p.description, p.illustrative,
                                                f.recorded_at)
        self.touch("operation", "operation")
        return None

    def _on_PartyRegistered(self, f: Fact, p: ev.PartyRegistered) -> Outcome:
        if clash := self._exists("parties", p.party_id, "party"):
            return clash
        self.parties[p.party_id] = Party(p.party_id, p.name, p.kind, p.description)
        self.touch("parties", p.party_id)
        return None

    def _on_LocationAdded(self, f: Fact, p: ev.LocationAdded) -> Outcome:
        if clash := self._exists("locations", p.location_id, "location"):
            return clash
        self.locations[p.location_id] = Location(
            p.location_id, p.kind, p.name, p.latitude, p.longitude, p.held_by
        )
        self.touch("locations", p.location_id)
        self._recorded("location", p.location_id)
        return None

    def party_objection(self, field: str, party_id: str) -> Objection | None:
        if party_id in self.parties:
            return None
        return Objection(field, f"party {party_id} is not known")

    def route_problems(self, p: ev.RouteDefined) -> list[Objection]:
        """Each stop of a route that is not recorded, or not of the kind its place on
        the route needs, named by its field (`checkpoint_ids.2`)."""
        found = []
        for field, location_id, kinds in route_stops(p):
            place = self.locations.get(location_id)
            if place is None:
                found.append(Objection(field, f"route {p.route_id}: location {location_id} "
                                       "is not known"))
            elif place.kind not in kinds:
                found.append(Objection(field, f"route {p.route_id}: {location_id} is not a "
                                       + " or ".join(sorted(kinds))))
        return found

    def _on_RouteDefined(self, f: Fact, p: ev.RouteDefined) -> Outcome:
        if clash := self._exists("routes", p.route_id, "route"):
            return clash
        for _, location_id, kinds in route_stops(p):
            place = self.locations.get(location_id)
            if place is None:
                return Wait("location", location_id, f"route {p.route_id}: location "
                            f"{location_id} is not known")
            if place.kind not in kinds:
                return f"route {p.route_id}: {location_id} is not a " + " or ".join(
                    sorted(kinds)), False
        self.routes[p.route_id] = Route(p.route_id, p.name, p.origin_id, list(p.checkpoint_ids),
                                        p.destination_id)
        self.touch("routes", p.route_id)
        self._recorded("route", p.route_id)
        return None

    def _on_VehicleRegistered(self, f: Fact, p: ev.VehicleRegistered) -> Outcome:
        if clash := self._exists("vehicles", p.vehicle_id, "vehicle"):
            return clash
        self.vehicles[p.vehicle_id] = Vehicle(p.vehicle_id, p.kind, p.label, p.capacity,
                                              p.organisation_id)
        self.touch("vehicles", p.vehicle_id)
        self._recorded("vehicle", p.vehicle_id)
        return None

    def _on_ConvoyPlanned(self, f: Fact, p: ev.ConvoyPlanned) -> Outcome:
        if clash := self._exists("convoys", p.convoy_id, "convoy"):
            return clash
        if p.route_id not in self.routes:
            return Wait("route", p.route_id, f"route {p.route_id} is not known")
        for vehicle_id in p.vehicle_ids:
            if vehicle_id not in self.vehicles:
                return Wait("vehicle", vehicle_id, f"vehicle {vehicle_id} is not known")
        self.convoys[p.convoy_id] = Convoy(p.convoy_id, p.label, p.route_id, list(p.vehicle_ids),
                                           updated_at=f.recorded_at)
        self.touch("convoys", p.convoy_id)
        self.movements.planned(f, p)
        return None

    def plan_refusal(self, p: ev.ConvoyPlanned) -> str | None:
        """Why a coordinator may not plan this convoy now. Checked for commands only:
        a plan recorded on a device is a fact, and a vehicle's trips are told apart
        by time (movement.py)."""
        return next(filter(None, map(self.busy, p.vehicle_ids)), None)

    def busy(self, vehicle_id: str) -> str | None:
        """Why a vehicle cannot be planned into a new convoy now, if it cannot."""
        vehicle = self.vehicles.get(vehicle_id)
        if vehicle is None:
            return f"vehicle {vehicle_id} is not known"
        current = self.vehicle_convoy_state(vehicle)
        if current is not None and current not in FINISHED:
            return f"vehicle {vehicle_id} is still in convoy {vehicle.convoy_id}"
        if self.on_board.get(vehicle_id):
            return f"vehicle {vehicle_id} still has people on board"
        return None

    # --- registration ----------------------------------------------------------------

    def _register(self, f: Fact, household_id: str, d: ev.PersonDetails,
                  gathering_point_id: str) -> str | None:
        if clash := self.person_problem(d.person_id):
            return clash
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
        self.touch("persons", d.person_id)
        self._recorded("person", d.person_id)
        return None

    # The rules a registration must meet, each stated once: the fold keeps a fact that
    # breaks one as a conflict, a command is refused (`registration_problems`), and the
    # importer reports it by line.

    def gathering_point_problem(self, location_id: str) -> str | None:
        place = self.locations.get(location_id)
        if place is None:
            return f"gathering point {location_id} is not known"
        if place.kind != LocationKind.GATHERING_POINT:
            return f"{location_id} is a {place.kind}, not a gathering point"
        return None

    def destination_problem(self, location_id: str) -> str | None:
        place = self.locations.get(location_id)
        if place is None:
            return f"destination {location_id} is not known"
        if place.kind not in ARRIVAL_KINDS:
            return f"{location_id} is a {place.kind}, not a reception or hospital"
        return None

    def token_problem(self, token: str, household_id: str) -> str | None:
        owner = self.tokens.get(token)
        if owner is not None and owner != household_id:
            return f"token {token} already belongs to household {owner}"
        return None

    def person_problem(self, person_id: str) -> str | None:
        if person_id in self.persons:
            return f"person {person_id} is already registered"
        return None

    def registration_problems(self, p: ev.HouseholdRegistered) -> list[Objection]:
        """Everything that keeps a registration from being recorded as it stands."""
        found = []
        if p.household_id in self.households:
            found.append(Objection("household_id", f"household {p.household_id} is "
                                   "already recorded", clash=True))
        if place := self.gathering_point_problem(p.gathering_point_id):
            found.append(Objection("gathering_point_id", place))
        if p.token is not None and (clash := self.token_problem(p.token, p.household_id)):
            found.append(Objection("token", clash, clash=True))
        for i, member in enumerate(p.members):
            if clash := self.person_problem(member.person_id):
                found.append(Objection(f"members.{i}.person_id", clash, clash=True))
            elif member.person_id in (m.person_id for m in p.members[:i]):
                found.append(Objection(f"members.{i}.person_id", f"person "
                                       f"{member.person_id} is given twice", clash=True))
            if member.destination_id and (
                    place := self.destination_problem(member.destination_id)):
                found.append(Objection(f"members.{i}.destination_id", place))
        return found

    def _on_HouseholdRegistered(self, f: Fact, p: ev.HouseholdRegistered) -> Outcome:
        if clash := self._exists("households", p.household_id, "household"):
            return clash
        problems = []
        token = p.token
        if token is not None and (taken := self.token_problem(token, p.household_id)):
            problems.append(taken)
            token = None
        self.households[p.household_id] = Household(
            p.household_id, p.gathering_point_id, token, f.recorded_at, f.device_id)
        if token is not None:
            self.tokens[token] = p.household_id
        self.touch("households", p.household_id)
        for member in p.members:
            if refused := self._register(f, p.household_id, member, p.gathering_point_id):
                problems.append(refused)
        # Kept to judge the registration again when a place it names arrives; without
        # its payload, whose members are in `persons` (it was half the state's memory).
        destinations = tuple(dict.fromkeys(m.destination_id for m in p.members
                                           if m.destination_id))
        self.household_problems[p.household_id] = (replace(f, payload=NO_PAYLOAD), problems,
                                                   destinations)
        self._recorded("household", p.household_id)
        self._judge_household(p.household_id)
        return Judged

    def _judge_household(self, household_id: str) -> None:
        """A registration is applied whatever the places it names; the conflict says
        what is wrong with it, and goes once a late LocationAdded puts it right."""
        fact, problems, destinations = self.household_problems[household_id]
        gathering_point = self.households[household_id].gathering_point_id
        place_problems = [problem for problem in (
            self.gathering_point_problem(gathering_point),
            *(self.destination_problem(d) for d in destinations)) if problem]
        unknown = [place for place in (gathering_point, *destinations)
                   if place not in self.locations]
        for place in unknown:
            self.parked_households[place].add(household_id)
        reasons = problems + place_problems
        self.judge(fact, "; ".join(reasons) if reasons else None, applied=True,
                   waiting=bool(unknown), strict=bool(place_problems) and not unknown)

    def _on_PersonRegistered(self, f: Fact, p: ev.PersonRegistered) -> Outcome:
        household = self.households.get(p.household_id)
        if household is None:
            return Wait("household", p.household_id,
                        f"household {p.household_id} is not known")
        if clash := self._register(f, p.household_id, p.person, household.gathering_point_id):
            return clash, False
        # The others' household names changed: a name index must see them again.
        self.identity_log.extend(self.members[p.household_id])
        return None

    def _on_TokenIssued(self, f: Fact, p: ev.TokenIssued) -> Outcome:
        household = self.households.get(p.household_id)
        if household is None:
            return Wait("household", p.household_id,
                        f"household {p.household_id} is not known")
        holder = self.tokens.get(p.token)
        if holder is not None and holder != p.household_id:
            return f"token {p.token} already belongs to household {holder}", False
        if household.token is not None:
            del self.tokens[household.token]
        household.token = p.token
        self.tokens[p.token] = p.household_id
        self.touch("households", p.household_id)
        return None

    # --- incidents -----------------------------------------------------------------

    def _on_IncidentReported(self, f: Fact, p: ev.IncidentReported) -> Outcome:
        if clash := self._exists("incidents", p.incident_id, "incident"):
            return clash
        self.incidents[p.incident_id] = Incident(
            p.incident_id, p.type, p.occurred_at.astimezone(UTC), p.location_id, p.convoy_id,
            p.vehicle_id, p.killed, p.injured, p.reported_by, p.description, f.author,
            f.pushed_by)
        self.touch("incidents", p.incident_id)
        return None

    # --- tracing and duplicates -----------------------------------------------------------

    def _on_TracingRequestFiled(self, f: Fact, p: ev.TracingRequestFiled) -> Outcome:
        if clash := self._exists("tracing_requests", p.request_id, "tracing request"):
            return clash
        sought = p.sought
        self.tracing_requests[p.request_id] = TracingRequest(
            p.request_id, sought.name, sought.sex, sought.born, sought.tolerance, sought.origin,
            sought.father_name, list(sought.household_names), p.requester_name,
            p.relationship, p.contact, p.consent, p.note, f.recorded_at, f.author, f.pushed_by)
        self.touch("tracing_requests", p.request_id)
        self._recorded("request", p.request_id)
        return None

    def _open_request(self, request_id: str) -> TracingRequest | Outcome:
        request = self.tracing_requests.get(request_id)
        if request is None:
            return Wait("request", request_id, f"tracing request {request_id} is not known")
        if request.status != "open":
            return f"tracing request {request_id} is closed ({request.outcome})", False
        return request

    def _known_person(self, person_id: str) -> Wait | None:
        if person_id in self.persons:
            return None
        return Wait("person", person_id, f"person {person_id} is not known")

    def _on_TracingCandidateReviewed(self, f: Fact, p: ev.TracingCandidateReviewed) -> Outcome:
        request = self._open_request(p.request_id)
        if not isinstance(request, TracingRequest):
            return request
        if waiting := self._known_person(p.person_id):
            return waiting
        key = (p.request_id, p.person_id)
        self.tracing_reviews[key] = TracingReview(p.request_id, p.person_id, p.decision, p.note,
                                                  f.recorded_at, f.author, f.pushed_by)
        self.touch("tracing_reviews", key)
        return None

    def _on_TracingRequestClosed(self, f: Fact, p: ev.TracingRequestClosed) -> Outcome:
        request = self._open_request(p.request_id)
        if not isinstance(request, TracingRequest):
            return request
        if p.outcome == "found":
            if p.person_id is None:
                return "a request closed as found names the person found", False
            if waiting := self._known_person(p.person_id):
                return waiting
        request.status, request.outcome, request.found_person_id = "closed", p.outcome, p.person_id
        request.closed_at, request.closed_by, request.closing_note = f.recorded_at, f.author, p.note
        request.closed_pushed_by = f.pushed_by
        self.touch("tracing_requests", p.request_id)
        return None

    def _on_DuplicateReviewed(self, f: Fact, p: ev.DuplicateReviewed) -> Outcome:
        for person_id in (p.person_id, p.other_id):
            if waiting := self._known_person(person_id):
                return waiting
        kept, other = self.persons[p.person_id], self.persons[p.other_id]
        if kept is other:
            return f"{p.person_id} and {p.other_id} are not two persons", False
        key = (min(p.person_id, p.other_id), max(p.person_id, p.other_id))
        if other.merged_into == p.person_id or kept.merged_into == p.other_id:
            return "the two records are merged: unmerge them first", False
        if p.decision == "same":
            if kept.merged_into or other.merged_into:
                return "one of the records is already merged into a third", False
            # Merging a record that has moved would put one person on two vehicles;
            # keep the record that carries the movement instead.
            if self.movements.by_person.get(p.other_id):
                return (f"person {p.other_id} has movement recorded: merge it the other way "
                        "round", False)
            other.merged_into = p.person_id
            self.merges[p.other_id] = f
            self.identity_log.append(p.other_id)
            self.touch("persons", p.other_id)
        self.duplicate_reviews[key] = DuplicateReview(p.person_id, p.other_id, p.decision,
                                                      p.note, f.recorded_at, f.author,
                                                      f.pushed_by)
        self.touch("duplicate_reviews", key)
        return None

    def keep_apart(self, person: Person) -> None:
        """Movement was recorded for a merged record (it arrived after the merge): the
        merge cannot hold, as it could not had the movement arrived first."""
        merge = self.merges.pop(person.person_id, None)
        person.merged_into = None
        self.identity_log.append(person.person_id)
        self.touch("persons", person.person_id)
        if merge is not None:
            p: ev.DuplicateReviewed = merge.payload  # type: ignore[assignment]
            key = (min(p.person_id, p.other_id), max(p.person_id, p.other_id))
            self.duplicate_reviews.pop(key, None)
            self.touch("duplicate_reviews", key)
            self.judge(merge, f"person {p.other_id} has movement recorded: merge it the "
                       "other way round")

    def _on_PersonsUnmerged(self, f: Fact, p: ev.PersonsUnmerged) -> Outcome:
        if waiting := self._known_person(p.other_id):
            return waiting
        other = self.persons[p.other_id]
        if other.merged_into != p.person_id:
            return f"person {p.other_id} is not merged into {p.person_id}", False
        other.merged_into = None
        self.merges.pop(p.other_id, None)
        self.identity_log.append(p.other_id)
        self.touch("persons", p.other_id)
        # The pair goes back to the review queue, undecided.
        key = (min(p.person_id, p.other_id), max(p.person_id, p.other_id))
        self.duplicate_reviews.pop(key, None)
        self.touch("duplicate_reviews", key)
        return None


def route_stops(p: ev.RouteDefined) -> list[tuple[str, str, frozenset[LocationKind]]]:
    """(field, location, the kinds it may be) for each stop of a route, in order."""
    return [("origin_id", p.origin_id, frozenset({LocationKind.GATHERING_POINT})),
            *((f"checkpoint_ids.{n}", c, PASSAGE_KINDS) for n, c in enumerate(p.checkpoint_ids)),
            ("destination_id", p.destination_id, ARRIVAL_KINDS)]


# One handler per fact that is not filed for movement.py: looked up once, here, so a
# payload type without a handler fails at import rather than inside a fold.
HANDLERS: dict[str, Callable[[OperationState, Fact, Any], Outcome]] = {
    name: getattr(OperationState, "_on_" + name) for name in ev.PAYLOADS if name not in FILED
}
