"""The convoy simulation: the fleet, the queues at the gathering points, boarding,
headcounts at the three checkpoints, removals and arrivals.

It keeps its own model of who is where, so every event it writes is one the fold
accepts without a conflict: a vehicle joins a convoy only once back and free, and
a person boards only while waiting. Households board whole, the most urgent need
first, then in the order they registered; an ambulance run to hospital takes the
wounded and sick bound for any reception. The fleet is OCHA's figure citing ICRC,
308 buses and 61 ambulances, scaled, plus private cars that each make one trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from corridor.demo.scenario import (
    ARRIVE,
    CHECKPOINTS,
    COORDINATOR,
    GATHERING,
    HOSPITAL,
    LEG,
    MEDICAL,
    MINUTE,
    RECEPTIONS,
    ROUTES,
    START,
    Operation,
    Route,
    monitor,
    reception,
    registrar,
)
from corridor.domain.vocabulary import NEED_PRIORITY, Need

WAITING, ABOARD, GONE = "waiting", "aboard", "gone"


@dataclass(slots=True)
class Household:
    household_id: str
    gathering_point: str
    destination: str
    members: list[tuple[str, str, int]]  # (person_id, sex, age) of those leaving
    priority: int  # lower boards first
    registered: int
    available: int = 0  # when they can board (again)
    state: str = WAITING


@dataclass(slots=True)
class Vehicle:
    vehicle_id: str
    kind: str
    capacity: int
    free_at: float = 0  # math.inf while in a convoy, and for a private car once used


@dataclass(slots=True)
class Trip:
    convoy_id: str
    route: Route
    vehicles: list[Vehicle]
    loads: list[list[Household]]
    aboard: list[list[str]]  # who is physically on each vehicle
    boarded_by: int


@dataclass(frozen=True, slots=True)
class Removal:
    vehicle: int  # index in the trip
    checkpoint: str
    person_id: str
    reason: str
    removed_by: str
    note: str
    after_count: bool = False  # recorded after the headcount: an alert opens, then resolves


class Convoys:
    """Who waits for which route, the vehicles and where they are, and the convoys run."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.rng = op.rng
        self.queues: dict[tuple[str, str], list[Household]] = {
            (r.origin, r.destination): [] for r in ROUTES}
        self.fleet: dict[str, list[Vehicle]] = {}
        self.planned = 0
        self.movers = 0
        # Fewer people, fewer and smaller convoys: fewer vehicles make a convoy worth
        # sending, and convoys run less often so that loads build up.
        self.smallest = min(5, max(1, op.people // 5000))
        self.spacing = min(4.0, max(1.0, 0.5 / op.scale))

    def register_fleet(self, t: int) -> None:
        """OCHA citing ICRC: 308 buses and 61 ambulances (here scaled), plus private cars."""
        scaled = self.op.scaled
        buses = [Vehicle(f"bus-{n:03d}", "bus", self.rng.choice((50, 55, 55, 60)))
                 for n in range(1, scaled(308, 14) + 1)]
        ambulances = [Vehicle(f"amb-{n:02d}", "ambulance", 4)
                      for n in range(1, scaled(61, 6) + 1)]
        cars = [Vehicle(f"car-{n:03d}", "private_car", 5)
                for n in range(1, scaled(120, 6) + 1)]
        self.fleet = {"bus": buses, "ambulance": ambulances, "private_car": cars}
        for step, vehicle in enumerate([*buses, *ambulances, *cars]):
            number = vehicle.vehicle_id.split("-")[1]
            if vehicle.kind == "private_car":
                organisation = None
                label = f"Private car, Aleppo plate {self.rng.randint(10_000, 99_999)}"
            else:
                organisation = "icrc" if step % 3 == 0 else "sarc"
                label = f"{organisation.upper()} {vehicle.kind} {number}"
            self.op.emit(t + step, "VehicleRegistered", {
                "vehicle_id": vehicle.vehicle_id, "kind": vehicle.kind, "label": label,
                "capacity": vehicle.capacity, "organisation_id": organisation}, COORDINATOR)

    def wait(self, households: list[Household]) -> None:
        """Registered households join the queue for their route."""
        for household in households:
            self.movers += len(household.members)
            self.queues[(household.gathering_point, household.destination)].append(household)

    # --- forming convoys and boarding ----------------------------------------------------

    def waiting(self, route: Route, t: int) -> list[Household]:
        """Households that can board for this route at t, in boarding order. An
        ambulance run to hospital takes the wounded and sick of every destination."""
        if route.destination == HOSPITAL:
            queue = [h for dest in RECEPTIONS for h in self.queues[(route.origin, dest)]
                     if h.priority <= NEED_PRIORITY[Need.MEDICAL]]
        else:
            queue = self.queues[(route.origin, route.destination)]
        ready = [h for h in queue if h.state == WAITING and h.available <= t]
        ready.sort(key=lambda h: (h.priority, h.registered, h.household_id))
        return ready

    def busiest(self, t: int, origin: str | None = None) -> Route | None:
        counts = [(sum(len(h.members) for h in self.waiting(r, t)), -n, r)
                  for n, r in enumerate(ROUTES) if origin in (None, r.origin)]
        people, _, route = max(counts)
        return route if people else None

    def free(self, kind: str, t: int, wanted: int) -> list[Vehicle]:
        """The longest-idle vehicles of a kind that are back and free at t."""
        ready = [v for v in self.fleet[kind] if v.free_at <= t]
        ready.sort(key=lambda v: v.free_at)
        return ready[:wanted]

    @staticmethod
    def fill(queue: list[Household], capacity: int, taken: set[str],
             one_household: bool) -> list[Household]:
        """Whole households in queue order; one too big for the seats left waits."""
        seats, chosen = capacity, list[Household]()
        for household in queue:
            if seats == 0 or (one_household and chosen):
                break
            if household.household_id not in taken and len(household.members) <= seats:
                chosen.append(household)
                taken.add(household.household_id)
                seats -= len(household.members)
        return chosen

    def form(self, planned: int, boarding: int, route: Route, buses: int = 0,
             ambulances: int = 0, cars: int = 0) -> Trip | None:
        """Plan a convoy of the free vehicles that will carry someone, and board them."""
        queue = self.waiting(route, boarding)
        vehicles = (self.free("ambulance", planned, ambulances) + self.free("bus", planned, buses)
                    + self.free("private_car", planned, cars))
        taken: set[str] = set()
        loads = [self.fill(queue, v.capacity, taken, v.kind == "private_car") for v in vehicles]
        used = [(v, load) for v, load in zip(vehicles, loads, strict=True) if load]
        if not used:
            return None
        self.planned += 1
        convoy_id = f"convoy-{self.planned:02d}"
        day = (START + timedelta(seconds=boarding)).day
        self.op.emit(planned, "ConvoyPlanned", {
            "convoy_id": convoy_id,
            "label": f"Convoy {self.planned:02d} · {day} Dec · {route.name}",
            "route_id": route.route_id, "vehicle_ids": [v.vehicle_id for v, _ in used]},
            COORDINATOR)
        trip = Trip(convoy_id, route, [v for v, _ in used], [load for _, load in used], [],
                    boarding)
        post = registrar(route.origin, 1)
        for vehicle, load in used:
            vehicle.free_at = math.inf
            aboard = []
            for k, household in enumerate(load):
                household.state = ABOARD
                for n, (person_id, _, _) in enumerate(household.members):
                    t = boarding + k * 75 + n * 3
                    self.op.emit(t, "PersonBoarded", {"person_id": person_id,
                                                      "vehicle_id": vehicle.vehicle_id}, post)
                    aboard.append(person_id)
                    trip.boarded_by = max(trip.boarded_by, t)
            trip.aboard.append(aboard)
        return trip

    def story_convoy(self, planned: int, boarding: int, route: Route | None,
                     buses: int) -> Trip:
        """A convoy of buses the story needs, formed and boarded."""
        trip = self.form(planned, boarding, route, buses=buses) if route else None
        if trip is None:
            raise RuntimeError("nobody waiting for a convoy the demo needs: too few people")
        return trip

    def man(self, trip: Trip, vehicle: int, exclude: tuple[str, ...] = ()) -> str:
        """A man of fighting age on the vehicle (any adult if there is none)."""
        aboard = [m for h in trip.loads[vehicle] for m in h.members if m[0] not in exclude]
        men = [m for m in aboard if m[1] == "male" and 16 <= m[2] <= 55]
        chosen = men or [m for m in aboard if m[2] >= 16] or aboard
        if not chosen:
            raise RuntimeError("a convoy the demo needs has too few people on board")
        return chosen[0][0]

    # --- on the road ----------------------------------------------------------------------

    def depart(self, trip: Trip, t: int) -> int:
        t = max(t, trip.boarded_by + 10 * MINUTE)
        self.op.emit(t, "ConvoyDeparted", {"convoy_id": trip.convoy_id}, COORDINATOR)
        return t

    def hold(self, trip: Trip, t: int, reason: str, location: str | None = None) -> None:
        self.op.emit(t, "ConvoyHeld", {"convoy_id": trip.convoy_id, "reason": reason,
                                       "location_id": location or trip.route.origin},
                     monitor(location) if location else COORDINATOR)

    def release(self, trip: Trip, t: int, note: str) -> None:
        self.op.emit(t, "ConvoyReleased", {"convoy_id": trip.convoy_id, "note": note},
                     COORDINATOR)

    def drive(self, trip: Trip, departed: int, removals: tuple[Removal, ...] = (),
              vanished: tuple[int, str, str] | None = None) -> int:
        """Headcounts at each checkpoint, arrival and check-in; returns the people who
        left. `vanished` is (vehicle, checkpoint, person) for someone who disappears
        there without any record: counted short, never checked in."""
        destination = trip.route.destination
        arrived_by = departed
        for i, vehicle in enumerate(trip.vehicles):
            aboard = trip.aboard[i]
            stagger = i * 45 + self.rng.randint(0, 40)
            for checkpoint in CHECKPOINTS:
                t = departed + LEG[checkpoint] * MINUTE + stagger
                for removal in removals:
                    if (removal.vehicle, removal.checkpoint) == (i, checkpoint):
                        self.remove(trip, removal, t + (300 if removal.after_count else -120))
                if vanished and vanished[:2] == (i, checkpoint):
                    aboard.remove(vanished[2])
                self.op.emit(t, "CheckpointPassed", {
                    "vehicle_id": vehicle.vehicle_id, "checkpoint_id": checkpoint,
                    "headcount": len(aboard)}, monitor(checkpoint))
            t = departed + ARRIVE[destination] * MINUTE + stagger
            arrived_by = max(arrived_by, t)
            self.op.emit(t, "VehicleArrived", {"vehicle_id": vehicle.vehicle_id,
                                               "location_id": destination},
                         reception(destination))
            for k, person_id in enumerate(aboard):
                self.op.emit(t + 5 * MINUTE + k * 15, "PersonCheckedIn", {
                    "person_id": person_id, "location_id": destination}, reception(destination))
        for load in trip.loads:
            for household in load:
                household.state = GONE
        self.finish(trip, arrived_by + (ARRIVE[destination] + 45) * MINUTE)
        return sum(len(aboard) for aboard in trip.aboard) + len(removals) + bool(vanished)

    def remove(self, trip: Trip, removal: Removal, t: int) -> None:
        trip.aboard[removal.vehicle].remove(removal.person_id)
        for household in trip.loads[removal.vehicle]:
            household.members = [m for m in household.members if m[0] != removal.person_id]
        self.op.emit(t, "PersonRemoved", {
            "person_id": removal.person_id, "checkpoint_id": removal.checkpoint,
            "vehicle_id": trip.vehicles[removal.vehicle].vehicle_id, "reason": removal.reason,
            "removed_by": removal.removed_by, "note": removal.note}, monitor(removal.checkpoint))

    def back_to_waiting(self, trip: Trip, t: int) -> None:
        """Passengers of a convoy that returned or was called off queue again."""
        for load in trip.loads:
            for household in load:
                household.state = WAITING if household.members else GONE
                household.available = t + 30 * MINUTE
        self.finish(trip, t + 30 * MINUTE)

    def finish(self, trip: Trip, free_at: int) -> None:
        for vehicle in trip.vehicles:
            vehicle.free_at = math.inf if vehicle.kind == "private_car" else free_at

    # --- the day's routine ----------------------------------------------------------------

    def regular(self, start: int, end: int, budget: float, last_day: bool = False) -> int:
        """Convoys every hour or two, each slot taking its part of the day's share of
        evacuees: one convoy per route with a worthwhile load, ambulances first. On
        the last day any load goes and the share is everyone still waiting."""
        smallest = 1 if last_day else self.smallest
        ambulances = 1 if last_day else max(2, self.smallest)
        if last_day:
            budget = sum(len(h.members) for queue in self.queues.values() for h in queue
                         if h.state == WAITING and h.available <= end)
        spacing = 85 * MINUTE * self.spacing
        slots = max(1, round((end - start) / spacing))
        moved, t, slot = 0, start, 0
        while t < end and moved < budget:
            slot += 1
            for gp in GATHERING:
                moved += self.medical(t, gp, ambulances)
            boarding = t + 20 * MINUTE
            loads = sorted(((sum(len(h.members) for h in self.waiting(r, boarding)), -n, r)
                            for n, r in enumerate(ROUTES)), reverse=True)
            for n, (people, _, route) in enumerate(loads):
                if moved >= budget * slot / slots or (people < 30 * smallest and not last_day):
                    continue
                buses = min(self.op.scaled(self.rng.randint(20, 46), 5), math.ceil(people / 50))
                cars = min(46 - buses, self.rng.randint(0, self.op.scaled(8, 1)))
                trip = self.form(t + (5 + n) * MINUTE, boarding, route, buses=buses, cars=cars)
                if trip is not None:
                    moved += self.drive(trip, self.depart(trip, t + 15 * MINUTE))
            t += round(self.rng.uniform(0.7, 1.3) * spacing)
        return moved

    def medical(self, t: int, gp: str, smallest: int, wanted: int | None = None) -> int:
        """Ambulances for the wounded and sick (and their households, if small enough)."""
        route = MEDICAL[gp]
        patients = sum(len(h.members) for h in self.waiting(route, t + 15 * MINUTE)
                       if len(h.members) <= 4)
        needed = wanted or math.ceil(patients / 3)
        if needed < smallest:
            return 0
        trip = self.form(t, t + 15 * MINUTE, route, ambulances=needed)
        return self.drive(trip, self.depart(trip, t)) if trip else 0
