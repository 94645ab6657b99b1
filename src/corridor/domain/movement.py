"""Where everyone is, derived from the movement facts whatever order they arrived in.

Phones sync hours apart, so the server receives a check-in before the registration,
a removal before the boarding, a boarding after the departure was recorded. The
fold therefore does not apply movement facts one after another: it files each one
under the person, convoy or vehicle it is about (`Movements.file`) and then derives
those records again from everything filed about them (`Movements.settle`). What it
derives depends only on which facts have arrived, never on their order, so phones
syncing in any order give one record, and a rebuild reproduces it.

The rules, in the order they decide (docs/accounting.md states them for users):
- a check-in counts whatever else is recorded: the person is standing at reception;
- then a removal at a checkpoint;
- then the person's last boarding that was not undone (disembarked, or moved to
  another vehicle, before departure); a convoy aborted or returned leaves its
  passengers waiting again;
- a vehicle's arrival makes whoever departed on it, and is neither checked in nor
  removed, *unaccounted*;
- a headcount is compared with who departed on the vehicle less the removals at
  earlier checkpoints of its route (the route's order, not clocks), then with the
  removals recorded at that checkpoint.

An alert is *explained* once the facts filed account for all of it (a check-in, a
removal, a recount, a disembarkation), and names them; a coordinator's note alone
*resolves* it and places nobody (docs/accounting.md, "Alerts").

Clocks decide only what nothing else can: the order of one person's own boardings,
disembarkations and choice to stay (mostly recorded on one phone), which of a
vehicle's trips (convoys) a fact belongs to, and whether a fact came after a
departure, allowing `CLOCK_TOLERANCE` for phones whose clocks drift. Such a fact
(a boarding, a disembarkation) still counts, since a phone whose clock runs ahead
must not lose a passenger; the conflict list says so, and a command is refused.

A fact that names something not recorded yet (a person, vehicle, place, convoy)
waits: it is listed as a waiting conflict, and the record that names it is derived
again when that thing arrives.

Two phones that contradict each other — one person boarded onto two vehicles with no
disembarkation between, one vehicle counted differently at one checkpoint, or at two
checkpoints closer in time than it could drive — are both kept, applied and listed,
each naming the other; the record follows the later boarding and the latest count
(docs/accounting.md, "Conflicts between phones").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from corridor.domain import events as ev
from corridor.domain.entities import BY_ORDER, Alert, Fact, Passage, Person
from corridor.domain.vocabulary import (
    ARRIVAL_KINDS,
    PASSAGE_KINDS,
    AlertKind,
    AlertStatus,
    ConvoyState,
    Status,
)

if TYPE_CHECKING:
    from corridor.domain.state import OperationState

CLOCK_TOLERANCE = timedelta(minutes=15)
# Two counts of one vehicle's trip at two checkpoints closer in time than this speed
# over the straight line between them (and than a minute) put it in two places at once.
TOP_SPEED_KMH = 100
AT_ONCE = timedelta(minutes=1)
EARTH_RADIUS_KM = 6371.0

PERSON_FACTS = frozenset({"PersonBoarded", "PersonDisembarked", "PersonStayed",
                          "PersonRemoved", "PersonCheckedIn"})
CONVOY_FACTS = frozenset({"ConvoyDeparted", "ConvoyHeld", "ConvoyReleased",
                          "ConvoyTurnedBack", "ConvoyReturned", "ConvoyAborted"})
VEHICLE_FACTS = frozenset({"CheckpointPassed", "VehicleArrived"})
FILED = PERSON_FACTS | CONVOY_FACTS | VEHICLE_FACTS | {"AlertResolved"}
# Where each filed fact goes: the Movements attribute it is filed in, the kind of
# record it is about, and the payload field naming that record.
SHELVES = {t: ("by_person", "person", "person_id") for t in PERSON_FACTS} \
    | {t: ("by_convoy", "convoy", "convoy_id") for t in CONVOY_FACTS} \
    | {t: ("by_vehicle", "vehicle", "vehicle_id") for t in VEHICLE_FACTS} \
    | {"AlertResolved": ("resolutions", "alert", "alert_id")}
NAMING_VEHICLE = frozenset({"PersonBoarded", "PersonDisembarked", "PersonRemoved"})

MOVING = frozenset({ConvoyState.DEPARTED, ConvoyState.HELD, ConvoyState.TURNED_BACK})
FINISHED = frozenset({ConvoyState.ARRIVED, ConvoyState.RETURNED, ConvoyState.ABORTED})
VOID = frozenset({ConvoyState.ABORTED, ConvoyState.RETURNED})  # passengers wait again

Trip = tuple[str, str]  # (convoy_id, vehicle_id): one journey of one vehicle
_by_order = BY_ORDER


class Ride:
    """One boarding of a person onto a trip: when they left the vehicle, if they did,
    by which fact, and whether they count among those who departed on it."""

    __slots__ = ("trip", "boarded", "left_by", "departed")

    def __init__(self, trip: Trip, boarded: Fact) -> None:
        self.trip, self.boarded = trip, boarded
        self.left_by: Fact | None = None  # a disembarkation, a stay, another boarding
        self.departed = True  # False once undone before departure

    def leave(self, by: Fact, undone: bool) -> None:
        self.left_by, self.departed = by, not undone


class Movements:
    """The movement facts filed by what they are about, what was last derived from
    them, and which records must be derived again."""

    def __init__(self, state: OperationState) -> None:
        self.state = state
        self.by_person: dict[str, list[Fact]] = defaultdict(list)
        self.by_convoy: dict[str, list[Fact]] = defaultdict(list)
        self.by_vehicle: dict[str, list[Fact]] = defaultdict(list)
        self.resolutions: dict[str, list[Fact]] = defaultdict(list)  # alert id -> facts
        self.plans: dict[str, list[Fact]] = defaultdict(list)  # vehicle -> its convoys' plans
        self.planned_at: dict[str, datetime] = {}
        self.boarders: dict[str, set[str]] = defaultdict(set)  # vehicle -> persons naming it
        # Derived, kept so a record can be derived again from its neighbours'.
        self.departures: dict[str, set[Trip]] = {}  # person -> the trips they departed on
        self.riding: dict[str, Trip] = {}  # person -> the trip their status is about
        # person -> the removal that counts, and the trip they were taken off
        self.removal_of: dict[str, tuple[Fact, Trip | None]] = {}
        self.rides: dict[str, list[Ride]] = {}
        self.riders: dict[Trip, set[str]] = defaultdict(set)
        self.manifests: dict[Trip, set[str]] = defaultdict(set)
        self.passages: dict[Trip, dict[str, Fact]] = {}  # trip -> checkpoint -> last count
        self.counts: dict[Trip, list[Fact]] = {}  # trip -> every count, in order
        self.placed_by: dict[str, Fact] = {}  # person -> the fact deciding their status
        self.arrivals: dict[Trip, Fact] = {}
        self.trips_of_vehicle: dict[str, set[Trip]] = defaultdict(set)
        self.alert_trip: dict[str, Trip] = {}
        self.trip_alerts: dict[Trip, set[str]] = defaultdict(set)
        self.trip_passages: dict[Trip, set[str]] = defaultdict(set)  # checkpoints written
        self.waiting_on: dict[str, set[tuple[str, str]]] = defaultdict(set)  # place -> records
        self.dirty: dict[str, set[str]] = {"convoy": set(), "vehicle": set(), "person": set()}
        self.dirty_trips: set[Trip] = set()
        self.dirty_resolutions: set[str] = set()

    # --- filing ------------------------------------------------------------------------

    def file(self, f: Fact) -> None:
        shelf, kind, about = SHELVES[f.type]
        key = getattr(f.payload, about)
        getattr(self, shelf)[key].append(f)
        if f.type in NAMING_VEHICLE and (vehicle_id := said(f).vehicle_id):
            self.boarders[vehicle_id].add(key)
        self._stale(kind, key)

    def _stale(self, kind: str, key: str) -> None:
        if kind != "alert":
            self.dirty[kind].add(key)
            return
        self.dirty_resolutions.add(key)
        if key in self.alert_trip:
            self.dirty_trips.add(self.alert_trip[key])

    def planned(self, f: Fact, p: ev.ConvoyPlanned) -> None:
        """A convoy's plan is recorded: its vehicles' facts may belong to it."""
        for vehicle_id in p.vehicle_ids:
            self.plans[vehicle_id].append(f)
            self.plans[vehicle_id].sort(key=_by_order)
            self.dirty["vehicle"].add(vehicle_id)
            self.dirty["person"].update(self.boarders[vehicle_id])
        self.planned_at[p.convoy_id] = f.recorded_at
        self.dirty["convoy"].add(p.convoy_id)

    def recorded(self, kind: str, key: str) -> None:
        """A person, vehicle or place is recorded: derive again what named it."""
        if kind == "person":
            self.dirty["person"].add(key)
        elif kind == "vehicle":
            self.dirty["vehicle"].add(key)
            self.dirty["person"].update(self.boarders[key])
        for entity, entity_key in self.waiting_on.pop(key, ()) if kind == "location" else ():
            self.dirty[entity].add(entity_key)

    def _unknown_place(self, f: Fact, entity: str, entity_key: str, location_id: str) -> None:
        self.waiting_on[location_id].add((entity, entity_key))
        self.state.judge(f, f"location {location_id} is not known", waiting=True)

    # --- reading: what the views show of a trip or a convoy (nothing is changed) ----------

    def trip_people(self, trip: Trip) -> frozenset[str]:
        """Who boarded this trip and was not taken off before it left (who departed on
        it, once it has), wherever they are now."""
        return frozenset(self.manifests.get(trip, ()))

    def trip_of(self, person_id: str) -> Trip | None:
        """The trip the person's status is about (their last boarding that counts)."""
        return self.riding.get(person_id)

    def trip_arrival(self, trip: Trip) -> tuple[str, datetime] | None:
        """Where and when the trip's vehicle arrived, if it has."""
        f = self.arrivals.get(trip)
        return (said(f).location_id, f.recorded_at) if f is not None else None

    def convoy_story(self, convoy_id: str) -> tuple[datetime | None, list[Fact]]:
        """When the convoy was planned, and its movement facts in the order they happened."""
        return (self.planned_at.get(convoy_id),
                sorted(self.by_convoy.get(convoy_id, ()), key=_by_order))

    # --- deriving ------------------------------------------------------------------------

    def settle(self) -> None:
        """Derive again every record whose facts, or whose neighbours, changed."""
        while any(self.dirty.values()):
            convoys, self.dirty["convoy"] = self.dirty["convoy"], set()
            for convoy_id in sorted(convoys):
                self._derive_convoy(convoy_id)
            vehicles, self.dirty["vehicle"] = self.dirty["vehicle"], set()
            for vehicle_id in sorted(vehicles):
                self._derive_vehicle(vehicle_id)
            if self.dirty["convoy"] or self.dirty["vehicle"]:
                continue  # an arrival changed a convoy: persons read both
            persons, self.dirty["person"] = self.dirty["person"], set()
            for person_id in sorted(persons):
                self._derive_person(person_id)
        trips, self.dirty_trips = self.dirty_trips, set()
        for trip in sorted(trips):
            self._derive_trip(trip)
        resolutions, self.dirty_resolutions = self.dirty_resolutions, set()
        for alert_id in sorted(resolutions):
            if alert_id not in self.state.alerts:
                for f in self.resolutions.get(alert_id, ()):
                    self.state.judge(f, f"alert {alert_id} is not raised", waiting=True)

    def trip_for(self, vehicle_id: str, f: Fact) -> str | None:
        """The convoy a fact about a vehicle belongs to: the last one the vehicle was
        planned into by the fact's time (its first, for a clock running behind), or
        the next one, planned within the clocks' tolerance after the fact, when the
        first was over by then: returned or aborted, or for a boarding, departed."""
        plans = self.plans.get(vehicle_id)
        if not plans:
            return None
        chosen = 0
        for n, plan in enumerate(plans):
            if _by_order(plan) <= _by_order(f):
                chosen = n
        while chosen + 1 < len(plans) and self._over(plans[chosen], f) \
                and plans[chosen + 1].recorded_at <= f.recorded_at + CLOCK_TOLERANCE:
            chosen += 1
        convoy_id: str = said(plans[chosen]).convoy_id
        return convoy_id

    def _over(self, plan: Fact, f: Fact) -> bool:
        """Was the planned trip over for this fact at the fact's time?"""
        convoy = self.state.convoys[said(plan).convoy_id]
        if convoy.state in VOID and convoy.updated_at is not None \
                and convoy.updated_at <= f.recorded_at:
            return True
        return f.type == "PersonBoarded" and self._left_before(
            (convoy.convoy_id, said(f).vehicle_id), f.recorded_at)

    def _left_before(self, trip: Trip, at: datetime) -> bool:
        """Had the trip's convoy departed (beyond clock drift) by `at`?"""
        convoy = self.state.convoys.get(trip[0])
        departed = convoy.departed_at if convoy else None
        return departed is not None and at > departed + CLOCK_TOLERANCE

    # --- convoys -------------------------------------------------------------------------

    def _derive_convoy(self, convoy_id: str) -> None:
        state = self.state
        convoy = state.convoys.get(convoy_id)
        facts = sorted(self.by_convoy.get(convoy_id, ()), key=_by_order)
        if convoy is None:  # derived again when the plan is recorded
            for f in facts:
                state.judge(f, f"convoy {convoy_id} is not planned", waiting=True)
            return
        departed = aborted = turned = returned = hold = released = None
        has = {f.type for f in facts}
        for f in facts:
            reason = None
            if f.type == "ConvoyDeparted":
                if departed or aborted:
                    reason = f"convoy {convoy_id} is {'departed' if departed else 'aborted'}"
                else:
                    departed = f
            elif f.type == "ConvoyAborted":
                if departed:
                    reason = f"convoy {convoy_id} has departed; turn it back instead"
                elif aborted:
                    reason = f"convoy {convoy_id} is aborted"
                else:
                    aborted = f
            elif f.type == "ConvoyHeld":
                if aborted or returned:
                    reason = f"convoy {convoy_id} is {'aborted' if aborted else 'returned'}"
                else:
                    hold = f
            elif f.type == "ConvoyReleased":
                if hold is None:
                    reason = f"convoy {convoy_id} is not held"
                else:
                    hold, released = None, f
            elif f.type == "ConvoyTurnedBack":
                if "ConvoyDeparted" not in has:  # derived again when it is recorded
                    state.judge(f, f"convoy {convoy_id} has not departed; abort it instead",
                                waiting=True)
                    continue
                if turned or aborted:
                    reason = f"convoy {convoy_id} is {'turned back' if turned else 'aborted'}"
                else:
                    turned = f
            else:  # ConvoyReturned
                if "ConvoyTurnedBack" not in has:
                    state.judge(f, f"convoy {convoy_id} is not turned back", waiting=True)
                    continue
                if returned:
                    reason = f"convoy {convoy_id} is returned"
                else:
                    returned = f
            state.judge(f, reason)
        before = (convoy.state, convoy.departed_at)
        convoy.departed_at = departed.recorded_at if departed else None
        convoy.location_id, convoy.reason = None, ""
        if aborted:
            convoy.state, convoy.reason = ConvoyState.ABORTED, said(aborted).reason
            convoy.updated_at = aborted.recorded_at
        elif returned and turned:
            convoy.state, convoy.reason = ConvoyState.RETURNED, said(turned).reason
            convoy.updated_at = returned.recorded_at
        elif (arrived := self._convoy_arrival(convoy_id)) is not None and departed:
            convoy.state, convoy.updated_at = ConvoyState.ARRIVED, arrived
        elif turned:
            convoy.state, convoy.updated_at = ConvoyState.TURNED_BACK, turned.recorded_at
            convoy.reason = said(turned).reason
            convoy.location_id = said(turned).location_id
        elif hold:
            convoy.state, convoy.updated_at = ConvoyState.HELD, hold.recorded_at
            convoy.reason = said(hold).reason
            convoy.location_id = said(hold).location_id
        else:
            convoy.state = ConvoyState.DEPARTED if departed else ConvoyState.PLANNED
            last = max((f for f in (departed, released) if f), key=_by_order, default=None)
            convoy.updated_at = last.recorded_at if last else self.planned_at[convoy_id]
            if released and last is released:
                convoy.reason = said(released).note
        state.touch("convoys", convoy_id)
        if (convoy.state, convoy.departed_at) != before:
            for vehicle_id in convoy.vehicle_ids:
                # Its vehicles' facts may now belong to another of their trips.
                self.dirty["vehicle"].add(vehicle_id)
                self.dirty["person"].update(self.boarders[vehicle_id])

    def _convoy_arrival(self, convoy_id: str) -> datetime | None:
        """When the last of the convoy's vehicles arrived, if all have."""
        convoy = self.state.convoys[convoy_id]
        times = [self.arrivals[(convoy_id, v)].recorded_at for v in convoy.vehicle_ids
                 if (convoy_id, v) in self.arrivals]
        return max(times) if len(times) == len(convoy.vehicle_ids) else None

    # --- vehicles: which trip each headcount and arrival belongs to ----------------------

    def _derive_vehicle(self, vehicle_id: str) -> None:
        state = self.state
        facts = sorted(self.by_vehicle.get(vehicle_id, ()), key=_by_order)
        passages: dict[Trip, dict[str, Fact]] = defaultdict(dict)
        counts: dict[Trip, list[Fact]] = defaultdict(list)  # every count, in order
        arrivals: dict[Trip, Fact] = {}
        vehicle = state.vehicles.get(vehicle_id)
        for f in facts:
            if vehicle is None:  # derived again when these are recorded
                state.judge(f, f"vehicle {vehicle_id} is not known", waiting=True)
                continue
            convoy_id = self.trip_for(vehicle_id, f)
            if convoy_id is None:
                state.judge(f, f"vehicle {vehicle_id} is in no planned convoy", waiting=True)
                continue
            trip = (convoy_id, vehicle_id)
            place_id = said(f).checkpoint_id if f.type == "CheckpointPassed" \
                else said(f).location_id
            place = state.locations.get(place_id)
            if place is None:
                self._unknown_place(f, "vehicle", vehicle_id, place_id)
                continue
            departed = state.convoys[convoy_id].departed_at is not None
            if f.type == "CheckpointPassed":
                if place.kind not in PASSAGE_KINDS:
                    state.judge(f, f"{place_id} is not a checkpoint or crossing")
                    continue
                passages[trip][place_id] = f  # a recount replaces the count before it
                counts[trip].append(f)
                route = state.routes[state.convoys[convoy_id].route_id]
                if place_id not in route.checkpoint_ids:
                    state.judge(f, f"{place_id} is not on the route of convoy {convoy_id}",
                                applied=True, strict=True)
                elif not departed:
                    state.judge(f, f"vehicle {vehicle_id} passed a checkpoint before its "
                                "departure was recorded", applied=True)
                else:
                    state.judge(f, None)
            else:
                if place.kind not in ARRIVAL_KINDS:
                    state.judge(f, f"{place_id} is not a known reception or hospital")
                elif trip in arrivals:
                    state.judge(f, f"vehicle {vehicle_id} has already arrived")
                else:
                    arrivals[trip] = f
                    state.judge(f, None if departed else (
                        f"vehicle {vehicle_id} arrived before its departure was recorded"),
                        applied=True)
        for trip in sorted(counts):
            self._clashing_counts(vehicle_id, counts[trip])
        trips = set(passages) | set(arrivals) | self.trips_of_vehicle[vehicle_id]
        for trip in trips:
            self.passages[trip] = passages.get(trip, {})
            self.counts[trip] = counts.get(trip, [])
            if self.arrivals.get(trip) is not arrivals.get(trip):
                self.dirty["person"].update(self.riders[trip])
                self.dirty["convoy"].add(trip[0])
            if trip in arrivals:
                self.arrivals[trip] = arrivals[trip]
            else:
                self.arrivals.pop(trip, None)
        self.trips_of_vehicle[vehicle_id] = trips
        self.dirty_trips.update(trips)
        if vehicle is not None:
            self._position(vehicle_id)

    def _clashing_counts(self, vehicle_id: str, counts: list[Fact]) -> None:
        """Counts of one trip that cannot all be true, each listed with what it
        contradicts: two devices whose last counts at one checkpoint differ (a device's
        own recount replaces its count; the latest count stands), and counts at two
        checkpoints closer in time than the vehicle could drive between them."""
        last: dict[tuple[str, str], Fact] = {}  # (checkpoint, device) -> its last count
        for f in counts:
            last[(said(f).checkpoint_id, f.device_id)] = f
        for (checkpoint, device), f in sorted(last.items()):
            for (elsewhere, other), g in sorted(last.items()):
                if elsewhere == checkpoint and other != device \
                        and said(g).headcount != said(f).headcount:
                    self._contradicts(f, f"vehicle {vehicle_id} was counted "
                                      f"{said(g).headcount} at {checkpoint} by {other} "
                                      f"(event {g.event_id}); the latest count stands")
        for f in counts:
            for g in counts:
                here, there = said(f).checkpoint_id, said(g).checkpoint_id
                gap = abs(f.recorded_at - g.recorded_at)
                if here != there and gap < self._drive(here, there):
                    self._contradicts(f, f"vehicle {vehicle_id} was counted at {there} by "
                                      f"{g.device_id} (event {g.event_id}) {_minutes(gap)} "
                                      f"from this count at {here}: it cannot have been at both")

    def _drive(self, a: str, b: str) -> timedelta:
        """The least time a vehicle takes from one place to another: the straight line
        at `TOP_SPEED_KMH`, and never less than `AT_ONCE`."""
        one, two = self.state.locations[a], self.state.locations[b]
        lat1, lat2 = math.radians(one.latitude), math.radians(two.latitude)
        half = (math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2)
                * math.sin(math.radians(two.longitude - one.longitude) / 2) ** 2)
        km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, half)))
        return max(AT_ONCE, timedelta(hours=km / TOP_SPEED_KMH))

    def _position(self, vehicle_id: str) -> None:
        """The vehicle's current trip: its last convoy, furthest checkpoint, arrival."""
        state = self.state
        vehicle = state.vehicles[vehicle_id]
        plans = self.plans.get(vehicle_id)
        convoy_id = said(plans[-1]).convoy_id if plans else None
        last = arrived = None
        if convoy_id is not None:
            trip = (convoy_id, vehicle_id)
            route = state.routes[state.convoys[convoy_id].route_id].checkpoint_ids
            passed = [c for c in route if c in self.passages.get(trip, {})]
            last = passed[-1] if passed else None
            arrival = self.arrivals.get(trip)
            arrived = said(arrival).location_id if arrival else None
        vehicle.convoy_id, vehicle.last_checkpoint_id, vehicle.arrived_at_id = (
            convoy_id, last, arrived)
        state.touch("vehicles", vehicle_id)

    # --- persons -------------------------------------------------------------------------

    def _derive_person(self, person_id: str) -> None:
        state = self.state
        facts = sorted(self.by_person.get(person_id, ()), key=_by_order)
        person = state.persons.get(person_id)
        if person is None:  # derived again when the registration arrives
            for f in facts:
                state.judge(f, f"person {person_id} is not registered", waiting=True)
            self._ride(person_id, [])
            return
        if person.merged_into is not None and facts:
            state.keep_apart(person)  # movement recorded for it: the merge cannot hold
        rides: list[Ride] = []
        ride: Ride | None = None  # the boarding that counts now
        stayed = removal = checkin = None
        since = person.registered_at
        for f in facts:
            p = said(f)
            if f.type == "PersonBoarded":
                taken = self._board(person_id, f, p, ride)
                if taken is not None:
                    if ride is not None:  # moved on: undone unless that trip had left
                        ride.leave(f, undone=self._open(ride.trip, f.recorded_at))
                    if stayed is not None:
                        state.judge(f, f"person {person_id} boarded after choosing to stay",
                                    applied=True, strict=True)
                    ride, stayed, since = taken, None, f.recorded_at
                    rides.append(ride)
            elif f.type == "PersonDisembarked":
                if ride is None or ride.trip[1] != p.vehicle_id:
                    named = any(r.trip[1] == p.vehicle_id for r in rides)
                    state.judge(f, f"person {person_id} is not on vehicle {p.vehicle_id}",
                                waiting=not named)
                    continue
                # Taken at its word even if its clock says after the departure: a
                # phone whose clock runs ahead must not keep a person on a bus they
                # left. The conflict says so, and a command is refused.
                late = self._left_before(ride.trip, f.recorded_at) and not self._void(ride.trip)
                state.judge(f, f"vehicle {p.vehicle_id} had departed when this was recorded"
                            if late else None, applied=True, strict=True)
                ride.leave(f, undone=True)
                ride, since = None, f.recorded_at
            elif f.type == "PersonStayed":
                if ride is not None and not self._void(ride.trip):
                    state.judge(f, f"person {person_id} is on vehicle {ride.trip[1]}, "
                                "not waiting")
                else:  # waiting, or back from a convoy that returned
                    state.judge(f, None)
                    if ride is not None:
                        ride.leave(f, undone=False)
                    stayed, ride, since = f, None, f.recorded_at
            elif f.type == "PersonRemoved":
                removal = self._first(f, removal, "removed")
            else:
                checkin = self._first(f, checkin, "checked in")
        trip = ride.trip if ride is not None else None
        removal = self._judge_removal(person_id, removal, trip)
        checkin = self._judge_checkin(person_id, checkin, removal, trip)
        self._ride(person_id, rides)
        if trip is not None:
            self.riding[person_id] = trip
        else:
            self.riding.pop(person_id, None)
        if removal is not None:
            self.removal_of[person_id] = (removal, trip)
        else:
            self.removal_of.pop(person_id, None)
        self._place(person, trip, stayed, removal, checkin, since)

    def _first(self, f: Fact, first: Fact | None, what: str) -> Fact | None:
        """A person is removed, or checked in, once: the earliest record counts."""
        if first is None:
            return f
        self.state.judge(f, f"person {said(f).person_id} is already {what}")
        return first

    def _board(self, person_id: str, f: Fact, p: ev.PersonBoarded,
               ride: Ride | None) -> Ride | None:
        state = self.state
        if p.vehicle_id not in state.vehicles:
            state.judge(f, f"vehicle {p.vehicle_id} is not known", waiting=True)
            return None
        convoy_id = self.trip_for(p.vehicle_id, f)
        if convoy_id is None:
            state.judge(f, f"vehicle {p.vehicle_id} is in no planned convoy", waiting=True)
            return None
        trip = (convoy_id, p.vehicle_id)
        departed = state.convoys[convoy_id].departed_at
        aboard = ride is not None and ride.trip != trip and not self._void(ride.trip) \
            and ride.trip not in self.arrivals
        moving = aboard and ride is not None and self._left_before(ride.trip, f.recorded_at)
        if moving and ride is not None:
            reason: str | None = (f"person {person_id} was on moving vehicle {ride.trip[1]} "
                                  "when this was recorded")
        elif departed is not None and self._left_before(trip, f.recorded_at):
            reason = (f"person {person_id} was recorded boarding vehicle {p.vehicle_id} "
                      f"{_minutes(f.recorded_at - departed)} after convoy {convoy_id} departed")
        else:
            reason = None
        # Counted either way: a phone whose clock runs ahead must not lose a passenger.
        state.judge(f, reason, applied=True, strict=True)
        if aboard and ride is not None and ride.trip[1] != p.vehicle_id and (
                moving or ride.boarded.device_id != f.device_id):
            # Two vehicles, no disembarkation between: both facts are kept and listed.
            first = ride.boarded
            self._contradicts(first, f"person {person_id} was then boarded onto vehicle "
                              f"{p.vehicle_id} ({f.device_id}, event {f.event_id}) with no "
                              "disembarkation between; the later boarding counts")
            if not moving:  # else its reason says so already
                self._contradicts(f, f"person {person_id} was on vehicle {ride.trip[1]} "
                                  f"({first.device_id}, event {first.event_id}) with no "
                                  "disembarkation between; this later boarding counts")
        return Ride(trip, f)

    def _contradicts(self, f: Fact, reason: str) -> None:
        """List an applied fact as contradicting another, keeping whatever else this
        derivation already said about it."""
        held = self.state.conflicts.get(f.event_id)
        if held is not None and reason in held.reason:
            return
        self.state.judge(f, f"{held.reason}; {reason}" if held is not None else reason,
                         applied=True, strict=f.event_id in self.state.command_refusals)

    def _open(self, trip: Trip, at: datetime) -> bool:
        """Could one still get on or off this trip at `at` (by the fact's clock)?"""
        return not self._left_before(trip, at) and not self._void(trip)

    def _void(self, trip: Trip) -> bool:
        convoy = self.state.convoys.get(trip[0])
        return convoy is not None and convoy.state in VOID

    def _judge_removal(self, person_id: str, removal: Fact | None,
                       trip: Trip | None) -> Fact | None:
        if removal is None:
            return None
        state = self.state
        p = said(removal)
        place = state.locations.get(p.checkpoint_id)
        if place is None:
            self._unknown_place(removal, "person", person_id, p.checkpoint_id)
            return None
        if place.kind not in PASSAGE_KINDS:
            state.judge(removal, f"{p.checkpoint_id} is not a checkpoint or crossing")
            return None
        if trip is None:
            state.judge(removal, f"person {person_id} was removed, but no boarding is "
                        "recorded for them", applied=True, strict=True)
        elif p.vehicle_id and p.vehicle_id != trip[1]:
            state.judge(removal, f"person {person_id} is on vehicle {trip[1]}")
            return None
        elif p.checkpoint_id not in state.routes[state.convoys[trip[0]].route_id].checkpoint_ids:
            state.judge(removal, f"{p.checkpoint_id} is not on the route of convoy {trip[0]}",
                        applied=True, strict=True)
        else:
            state.judge(removal, None)
        return removal

    def _judge_checkin(self, person_id: str, checkin: Fact | None, removal: Fact | None,
                       trip: Trip | None) -> Fact | None:
        """The check-in, if it counts (it names a reception or hospital)."""
        if checkin is None:
            return None
        state = self.state
        location_id = said(checkin).location_id
        place = state.locations.get(location_id)
        if place is None:
            self._unknown_place(checkin, "person", person_id, location_id)
            return None
        if place.kind not in ARRIVAL_KINDS:
            state.judge(checkin, f"{location_id} is not a known reception or hospital")
            return None
        if removal is not None:
            state.judge(checkin, f"person {person_id} checked in while recorded as removed",
                        applied=True)
        elif trip is None or self._void(trip):
            state.judge(checkin, f"person {person_id} checked in without a recorded boarding",
                        applied=True)
        else:
            state.judge(checkin, None)
        return checkin

    def _ride(self, person_id: str, rides: list[Ride]) -> None:
        """Record which trips the person rode and which they departed on."""
        for old in self.rides.get(person_id, ()):
            self.riders[old.trip].discard(person_id)
            self.dirty_trips.add(old.trip)
        for old_trip in self.departures.pop(person_id, ()):
            self.manifests[old_trip].discard(person_id)
        self.rides[person_id] = rides
        departed = {ride.trip for ride in rides if ride.departed}
        for ride in rides:
            self.riders[ride.trip].add(person_id)
            self.dirty_trips.add(ride.trip)
        for trip in departed:
            self.manifests[trip].add(person_id)
        if departed:
            self.departures[person_id] = departed

    def _place(self, person: Person, trip: Trip | None, stayed: Fact | None,
               removal: Fact | None, checkin: Fact | None, since: datetime | None) -> None:
        """Set the person's one status from the facts that decide it."""
        household = self.state.households.get(person.household_id)
        home = household.gathering_point_id if household else None
        vehicle_id = trip[1] if trip else None
        removal_reason = removed_by = None
        placed_by = checkin or removal or stayed
        if checkin is not None:
            status, since = Status.ARRIVED, checkin.recorded_at
            location_id = said(checkin).location_id
        elif removal is not None:
            p = said(removal)
            status, location_id, since = Status.REMOVED, p.checkpoint_id, removal.recorded_at
            vehicle_id = p.vehicle_id or vehicle_id
            removal_reason, removed_by = p.reason, p.removed_by or None
        elif stayed is not None:
            status, location_id, vehicle_id = Status.STAYED, home, None
        elif trip is not None and self._void(trip):
            status, location_id, vehicle_id = Status.WAITING, home, None
            since = self.state.convoys[trip[0]].updated_at
        elif trip is not None:
            arrival = self.arrivals.get(trip)
            if arrival is not None:
                status, location_id = Status.UNACCOUNTED, said(arrival).location_id
                since = arrival.recorded_at
            else:
                status, location_id = Status.ON_VEHICLE, None
        else:
            status, location_id = Status.WAITING, home
        if placed_by is not None:
            self.placed_by[person.person_id] = placed_by
        else:
            self.placed_by.pop(person.person_id, None)
        self.state.place(person, status, since, vehicle_id=vehicle_id, location_id=location_id,
                         removal_reason=removal_reason, removed_by=removed_by)

    # --- trips: headcounts, arrivals and capacity ----------------------------------------

    def _derive_trip(self, trip: Trip) -> None:
        state = self.state
        convoy_id, vehicle_id = trip
        alerts: list[Alert] = []
        convoy, vehicle = state.convoys.get(convoy_id), state.vehicles.get(vehicle_id)
        if convoy is not None and vehicle is not None:
            route = state.routes[convoy.route_id].checkpoint_ids
            manifest = self.manifests.get(trip, set())
            removed: dict[str, list[Fact]] = defaultdict(list)
            for person_id in manifest:
                removal, taken_off = self.removal_of.get(person_id, (None, None))
                if removal is not None and taken_off == trip:
                    removed[said(removal).checkpoint_id].append(removal)
            alerts += self._headcounts(trip, route, len(manifest), removed)
            alerts += self._not_checked_in(trip, manifest)
            alerts += self._capacity(trip, vehicle.capacity)
        raised = {alert.alert_id for alert in alerts}
        for alert_id in self.trip_alerts[trip] - raised:
            del self.alert_trip[alert_id], state.alerts[alert_id]
            state.touch("alerts", alert_id)
            self.dirty_resolutions.add(alert_id)  # its resolutions wait again
        self.trip_alerts[trip] = raised
        for alert in alerts:
            self._resolve(alert)
            self.alert_trip[alert.alert_id] = trip
            state.alerts[alert.alert_id] = alert
            state.touch("alerts", alert.alert_id)

    def _headcounts(self, trip: Trip, route: list[str], departed: int,
                    removed: dict[str, list[Fact]]) -> Iterable[Alert]:
        """Each checkpoint's count against who departed, less the removals at the
        checkpoints before it on the route, then less those recorded there. The alert
        is explained once the last count matches: by the removals recorded there, and
        by that count if an earlier one there did not match (a recount)."""
        convoy_id, vehicle_id = trip
        position = {checkpoint: n for n, checkpoint in enumerate(route)}
        counts = self.passages.get(trip, {})
        every: dict[str, list[Fact]] = defaultdict(list)
        for f in self.counts.get(trip, ()):
            every[said(f).checkpoint_id].append(f)
        for checkpoint_id in self.trip_passages[trip] - set(counts):
            key = (convoy_id, vehicle_id, checkpoint_id)
            del self.state.passages[key]
            self.state.touch("passages", key)
        self.trip_passages[trip] = set(counts)
        for checkpoint_id, f in counts.items():
            here = position.get(checkpoint_id, len(route))
            earlier = sum(len(r) for c, r in removed.items()
                          if position.get(c, len(route)) < here)
            before = departed - earlier
            headcount = said(f).headcount
            key = (convoy_id, vehicle_id, checkpoint_id)
            self.state.passages[key] = Passage(convoy_id, vehicle_id, checkpoint_id, headcount,
                                               before, f.recorded_at)
            self.state.touch("passages", key)
            removals = sorted(removed.get(checkpoint_id, []), key=_by_order)
            expected = before - len(removals)
            gap = expected - headcount
            off = [c for c in every[checkpoint_id] if said(c).headcount != expected]
            if not removals and not off:
                continue
            first_gap = gap or (expected - said(off[0]).headcount if off else 0)
            alert = Alert(f"headcount:{convoy_id}:{vehicle_id}:{checkpoint_id}",
                          AlertKind.HEADCOUNT_SHORT if first_gap >= 0
                          else AlertKind.HEADCOUNT_OVER,
                          vehicle_id, convoy_id, checkpoint_id, expected, headcount, gap, [],
                          off[0].recorded_at if off else f.recorded_at)
            _explain(alert, [*removals, *([f] if off and gap == 0 else [])], gap == 0)
            yield alert

    def _not_checked_in(self, trip: Trip, manifest: set[str]) -> Iterable[Alert]:
        arrival = self.arrivals.get(trip)
        expected = sorted(p for p in manifest if self.removal_of.get(p, (None, None))[1] != trip)
        if arrival is None or not expected:
            return
        persons = self.state.persons
        missing = [p for p in expected if persons[p].status == Status.UNACCOUNTED
                   and self.riding.get(p) == trip]
        alert = Alert(f"not_checked_in:{trip[0]}:{trip[1]}", AlertKind.NOT_CHECKED_IN, trip[1],
                      trip[0], said(arrival).location_id, len(expected),
                      len(expected) - len(missing), len(missing), missing, arrival.recorded_at)
        # Who is accounted for, and by what: a check-in, a removal on this trip, or a
        # disembarkation or stay that undid the boarding before departure.
        unmissed = set(manifest) - set(missing)
        placing = [self.placed_by[p] for p in sorted(unmissed) if p in self.placed_by]
        placing += [ride.left_by for p in sorted(self.riders.get(trip, set()) - manifest)
                    for ride in self.rides.get(p, ()) if ride.trip == trip and not ride.departed
                    and ride.left_by is not None and ride.left_by.type != "PersonBoarded"]
        _explain(alert, sorted(placing, key=_by_order), not missing, since=arrival.recorded_at)
        yield alert

    def _capacity(self, trip: Trip, capacity: int) -> Iterable[Alert]:
        """More aboard than seats at any moment, by boarding time, without a stated
        reason (a boarding recorded offline; the server refuses it as a command)."""
        steps: list[tuple[datetime, int, Fact | None]] = []
        left: list[Fact] = []
        for person_id in self.riders.get(trip, ()):
            for ride in self.rides[person_id]:
                if ride.trip == trip:
                    steps.append((ride.boarded.recorded_at, 1, ride.boarded))
                    if ride.left_by is not None:
                        steps.append((ride.left_by.recorded_at, -1, None))
                        left.append(ride.left_by)
        steps.sort(key=lambda s: (s[0], -s[1], s[2].order if s[2] else ()))
        aboard, opened = 0, None
        for at, step, boarded in steps:
            aboard += step
            if step > 0 and aboard > capacity and opened is None and boarded is not None \
                    and not said(boarded).override_reason:
                opened = at
        if opened is None:
            return
        alert = Alert(f"over_capacity:{trip[1]}:{trip[0]}", AlertKind.OVER_CAPACITY, trip[1],
                      trip[0], None, capacity, aboard, 0, [], opened)
        # Explained by those who got off (or moved, or stayed) once it was over.
        _explain(alert, sorted((f for f in left if f.recorded_at >= opened), key=_by_order),
                 aboard <= capacity)
        yield alert

    def _resolve(self, alert: Alert) -> None:
        """A coordinator's note, the earliest recorded, closes the alert for good; facts
        that explain it take precedence, the note kept beside them."""
        resolutions = sorted(self.resolutions.get(alert.alert_id, ()), key=_by_order)
        for n, f in enumerate(resolutions):
            if n == 0:
                if alert.status != AlertStatus.EXPLAINED:
                    alert.status = AlertStatus.RESOLVED
                alert.resolved_at = f.recorded_at
                alert.resolved_by, alert.resolution = f.author, said(f).note
                alert.resolved_pushed_by = f.pushed_by
                self.state.judge(f, None)
            else:
                self.state.judge(f, f"alert {alert.alert_id} was already resolved by "
                                 f"{resolutions[0].author}")


def said(f: Fact) -> Any:
    """What a filed fact says: its payload, of the type its filing went by."""
    return f.payload


def _explain(alert: Alert, facts: list[Fact], explained: bool,
             since: datetime | None = None) -> None:
    """Name the facts that account for what the alert is about; when they account for
    all of it, the alert is explained as of the latest of them (or of `since`)."""
    alert.explained_by = facts
    if explained:
        alert.status = AlertStatus.EXPLAINED
        alert.explained_at = max((f.recorded_at for f in facts), default=alert.opened_at)
        if since is not None:
            alert.explained_at = max(alert.explained_at, since)



def _minutes(delta: timedelta) -> str:
    if delta < timedelta(minutes=1):
        return f"{int(delta.total_seconds())} s"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
