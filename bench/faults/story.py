"""A consistent evacuation story told by field devices, with what truly happened.

From a seed: a coordinator sets up the places, the route, the vehicles and the
convoys and departs them; registrars register households and board them; a monitor
at each checkpoint counts every vehicle (the true count) and records the people taken
off there; reception records arrivals and checks people in. Some people stay, some
keep waiting, some vanish at a checkpoint without a record and some never check in:
both are truly unaccounted once their vehicle has arrived.

Each device holds its own stream, in its own order, every event with a client UUID,
the device's id, its author and the device's clock (some clocks hours off). Every
event also carries its place in the story's true order, which a delivery may follow
(devices syncing as things happen) or ignore (devices syncing late, in any order).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from corridor.domain.vocabulary import LocationKind, RemovalReason, Role, Status

START = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=3)))
SKEWS_HOURS = (-6, -3, -1, 2, 5)  # how far off a wrong clock is


@dataclass(slots=True)
class Entry:
    """One event a device holds. `at` is its place in the story's true order; an
    injected hostile entry takes its neighbour's."""

    event: Any  # a dict as pushed; a hostile entry may be anything
    at: int
    hostile: bool = False

    @property
    def event_id(self) -> str | None:
        return canonical_id(self.event.get("id") if isinstance(self.event, dict) else None)


def canonical_id(raw: Any) -> str | None:
    """A UUID in the form the ledger stores it; None if it is not one."""
    try:
        return str(uuid.UUID(raw)) if isinstance(raw, str) else None
    except ValueError:
        return None


@dataclass(slots=True)
class Device:
    device_id: str
    role: Role
    username: str  # the account its token belongs to; one per role
    skew: timedelta  # how far its clock is off
    zone: timezone
    entries: list[Entry] = field(default_factory=list)


@dataclass(slots=True)
class Story:
    seed: int
    devices: list[Device]
    truth: dict[str, Status]  # each registered person's status as it happened

    def device(self, role: Role) -> Device:
        return next(d for d in self.devices if d.role == role)

    @property
    def events(self) -> int:
        return sum(not e.hostile for d in self.devices for e in d.entries)


class _Teller:
    """Records events in the story's true order, each on one device."""

    def __init__(self, seed: int, skewed: bool) -> None:
        self.rng = random.Random(f"story-{seed}")
        self.skewed = skewed
        self.clock, self.tick = START, 0
        self.devices: list[Device] = []
        self.truth: dict[str, Status] = {}
        self.registered = 0  # households so far
        self.households: list[list[str]] = []  # registered, not yet boarded
        self.aboard: dict[str, list[str]] = {}  # vehicle -> people physically on it
        self.capacity: dict[str, int] = {}

    def device(self, device_id: str, role: Role) -> Device:
        hours = self.rng.choice(SKEWS_HOURS) if self.skewed and self.rng.random() < 0.4 else 0
        device = Device(device_id, role, role.value.replace("_", "-"),
                        timedelta(hours=hours, minutes=self.rng.randint(0, 59) if hours else 0),
                        self.rng.choice(ZONES))
        self.devices.append(device)
        return device

    def id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def record(self, device: Device, event_type: str, **payload: Any) -> None:
        self.tick += 1
        self.clock += timedelta(seconds=self.rng.randint(10, 120))
        local = (self.clock + device.skew).astimezone(device.zone)
        device.entries.append(Entry({
            "id": self.id(), "type": event_type, "payload": payload,
            "device_id": device.device_id, "author": device.username,
            "recorded_at": local.isoformat()}, self.tick))

    def register(self, registrars: list[Device], households: int) -> None:
        for _ in range(households):
            self.registered += 1
            household_id = f"h{self.registered}"
            people = [f"{household_id}-{n}" for n in range(self.rng.randint(1, 6))]
            members = [{"person_id": p, "given_name": f"Person {p}", "family_name": "Haddad",
                        "birth_year": self.rng.randint(1940, 2015), "consent": True}
                       for p in people]
            self.record(self.rng.choice(registrars), "HouseholdRegistered",
                        household_id=household_id, gathering_point_id="gp", members=members)
            self.truth.update(dict.fromkeys(people, Status.WAITING))
            self.households.append(people)

    def board(self, registrars: list[Device], vehicles: list[str]) -> None:
        """Whole households onto the convoy's vehicles while they fit; a few members
        choose to stay instead."""
        while self.households:
            people = self.households[0]
            vehicle = next((v for v in vehicles
                            if len(self.aboard[v]) + len(people) <= self.capacity[v]), None)
            if vehicle is None:
                return
            self.households.pop(0)
            registrar = self.rng.choice(registrars)
            for person in people:
                if self.rng.random() < 0.08:
                    self.record(registrar, "PersonStayed", person_id=person)
                    self.truth[person] = Status.STAYED
                else:
                    self.record(registrar, "PersonBoarded", person_id=person, vehicle_id=vehicle)
                    self.truth[person] = Status.ON_VEHICLE
                    self.aboard[vehicle].append(person)

    def travel(self, coordinator: Device, monitors: dict[str, Device], reception: Device,
               convoy_id: str, vehicles: list[str]) -> None:
        self.record(coordinator, "ConvoyDeparted", convoy_id=convoy_id)
        checkpoints = list(monitors)
        arrives = {v: self.rng.random() < 0.85 for v in vehicles}
        reach = {v: len(checkpoints) if arrives[v] else self.rng.randint(0, len(checkpoints))
                 for v in vehicles}
        vanished: list[str] = []
        for n, checkpoint in enumerate(checkpoints):
            for vehicle in (v for v in vehicles if n < reach[v]):
                removed = []
                for person in list(self.aboard[vehicle]):
                    fate = self.rng.random()
                    if fate < 0.05:
                        removed.append(person)
                    elif fate < 0.08 and arrives[vehicle]:  # taken off, nobody recorded it
                        vanished.append(person)
                        self.aboard[vehicle].remove(person)
                for person in removed:
                    self.aboard[vehicle].remove(person)
                    self.truth[person] = Status.REMOVED
                self._at_checkpoint(monitors[checkpoint], vehicle, checkpoint, removed)
        for vehicle in (v for v in vehicles if arrives[v]):
            self.record(reception, "VehicleArrived", vehicle_id=vehicle, location_id="rc")
            for person in self.aboard.pop(vehicle):
                if self.rng.random() < 0.9:
                    self.record(reception, "PersonCheckedIn", person_id=person, location_id="rc")
                    self.truth[person] = Status.ARRIVED
                else:
                    self.truth[person] = Status.UNACCOUNTED
        for person in vanished:
            self.truth[person] = Status.UNACCOUNTED

    def _at_checkpoint(self, monitor: Device, vehicle: str, checkpoint: str,
                       removed: list[str]) -> None:
        """The true headcount, and each removal, recorded before or after the count."""
        count = [("CheckpointPassed", {"vehicle_id": vehicle, "checkpoint_id": checkpoint,
                                       "headcount": len(self.aboard[vehicle])})]
        removals = [("PersonRemoved", {
            "person_id": person, "checkpoint_id": checkpoint, "vehicle_id": vehicle,
            "reason": self.rng.choice(list(RemovalReason)),
            "removed_by": self.rng.choice(["", "checkpoint guards", "militia"])})
            for person in removed]
        for event_type, payload in (removals + count if self.rng.random() < 0.5
                                    else count + removals):
            self.record(monitor, event_type, **payload)


def tell(seed: int, skewed: bool = False) -> Story:
    """The story of one small operation: 2–4 convoys of 1–2 buses, 2–3 checkpoints."""
    t = _Teller(seed, skewed)
    rng = t.rng
    coordinator = t.device("coord-1", Role.COORDINATOR)
    registrars = [t.device(f"reg-{n}", Role.REGISTRAR) for n in (1, 2)]
    checkpoints = [f"cp{n}" for n in range(1, rng.randint(2, 3) + 1)]
    monitors = {cp: t.device(f"mon-{cp}", Role.CHECKPOINT_MONITOR) for cp in checkpoints}
    reception = t.device("rec-1", Role.RECEPTION)

    t.record(coordinator, "OperationOpened", name=f"Fault run {seed}")
    places = [("gp", LocationKind.GATHERING_POINT), ("rc", LocationKind.RECEPTION)] + [
        (cp, rng.choice([LocationKind.CHECKPOINT, LocationKind.CROSSING])) for cp in checkpoints]
    for location_id, kind in places:
        t.record(coordinator, "LocationAdded", location_id=location_id, kind=kind,
                 name=location_id.upper(), latitude=36.2, longitude=37.1)
    t.record(coordinator, "RouteDefined", route_id="r1", name="Route 1", origin_id="gp",
             checkpoint_ids=checkpoints, destination_id="rc")
    convoys: dict[str, list[str]] = {}
    for c in range(1, rng.randint(2, 4) + 1):
        vehicles = convoys[f"c{c}"] = [f"c{c}-bus{v}" for v in range(1, rng.randint(1, 2) + 1)]
        for vehicle in vehicles:
            t.capacity[vehicle], t.aboard[vehicle] = rng.randint(10, 30), []
            t.record(coordinator, "VehicleRegistered", vehicle_id=vehicle, kind="bus",
                     label=vehicle, capacity=t.capacity[vehicle])
        t.record(coordinator, "ConvoyPlanned", convoy_id=f"c{c}", label=f"Convoy {c}",
                 route_id="r1", vehicle_ids=vehicles)

    for convoy_id, vehicles in convoys.items():
        t.register(registrars, rng.randint(3, 7))
        t.board(registrars, vehicles)
        if rng.random() < 0.85:  # the others never leave: their passengers stay on board
            t.travel(coordinator, monitors, reception, convoy_id, vehicles)
    t.register(registrars, rng.randint(1, 3))  # still waiting at the end
    return Story(seed, t.devices, t.truth)
