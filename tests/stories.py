"""Consistent stories told by several field devices, with what really happened.

A story is an operation as it happened: a coordinator sets it up and moves the
convoys, a registrar registers and boards families, a checkpoint monitor counts
each vehicle and records removals, reception records arrivals and check-ins. Each
device records its own facts in its own order, on its own clock (some hours off),
and `truth` says where every person ended up. The tests deliver the devices'
streams in different interleavings and compare what the server derived.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
CHECKPOINTS = ["cp1", "cp2"]
ROLES = {"coordinator": "coordinator", "registrar": "registrar",
         "monitor": "checkpoint_monitor", "reception": "reception"}


@dataclass
class Device:
    device_id: str
    author: str
    skew: timedelta  # how far its clock is off
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def record(self, minute: float, event_type: str, **payload: Any) -> None:
        """A fact at `minute` of real time, stamped by this device's clock."""
        at = START + timedelta(minutes=minute) + self.skew
        self.events.append((minute, {
            "id": str(uuid.uuid4()), "type": event_type, "payload": payload,
            "device_id": self.device_id, "author": self.author,
            "recorded_at": at.isoformat()}))

    def stream(self) -> list[dict[str, Any]]:
        """The device's facts in the order it recorded them."""
        return [event for _, event in sorted(self.events, key=lambda item: item[0])]


@dataclass
class Story:
    devices: dict[str, Device]
    truth: dict[str, str]  # person -> status

    def interleave(self, rng: random.Random) -> list[dict[str, Any]]:
        """The devices' streams merged in a random order, each device's kept."""
        queues = {name: device.stream() for name, device in self.devices.items()}
        merged: list[dict[str, Any]] = []
        while any(queues.values()):
            name = rng.choice([n for n, q in queues.items() if q])
            merged.append(queues[name].pop(0))
        return merged

    def as_happened(self) -> list[dict[str, Any]]:
        """Every fact in real-time order: the order an always-online operation sees."""
        timed = [item for device in self.devices.values() for item in device.events]
        return [event for _, event in sorted(timed, key=lambda item: item[0])]


FATES = ["waiting", "stayed", "disembarked", "arrived", "removed", "vanished", "returned"]


def tell(rng: random.Random, max_skew_hours: float = 3.0, families: int = 5,
         second_trip: bool = False) -> Story:
    """A random consistent story. Two buses of four seats ride convoy c1, which may
    or may not have arrived; a third rides c2, which is counted at the first
    checkpoint, turned back and returns. With `second_trip`, that bus then takes some
    of its passengers again in convoy c3, which arrives: which trip a fact about a
    reused bus belongs to is told by the clocks, so keep their skew small then."""
    skew = lambda: timedelta(minutes=rng.uniform(-max_skew_hours, max_skew_hours) * 60)  # noqa: E731
    devices = {name: Device(f"{name}-phone", name, skew()) for name in ROLES}
    coordinator, registrar = devices["coordinator"], devices["registrar"]
    monitor, reception = devices["monitor"], devices["reception"]
    _setup(coordinator)
    c1_arrives = rng.random() < 0.7
    seats = {"bus1": 4, "bus2": 4, "bus3": 4}
    truth: dict[str, str] = {}
    aboard: dict[str, list[tuple[str, str]]] = {bus: [] for bus in seats}  # (person, fate)
    for family in range(families):
        members = [f"f{family}p{n}" for n in range(rng.randint(1, 3))]
        registrar.record(5 + family, "HouseholdRegistered", household_id=f"f{family}",
                         gathering_point_id="gp",
                         members=[{"person_id": p, "given_name": p} for p in members])
        for person in members:
            fate = rng.choice(FATES)
            bus = "bus3" if fate == "returned" else rng.choice(["bus1", "bus2"])
            if fate in ("waiting", "stayed") or len(aboard[bus]) >= seats[bus]:
                fate = "stayed" if fate == "stayed" else "waiting"
                if fate == "stayed":
                    registrar.record(30 + family, "PersonStayed", person_id=person)
                truth[person] = fate
                continue
            registrar.record(20 + family, "PersonBoarded", person_id=person, vehicle_id=bus)
            if fate == "disembarked":
                registrar.record(40 + family, "PersonDisembarked", person_id=person,
                                 vehicle_id=bus)
                truth[person] = "waiting"
                continue
            aboard[bus].append((person, fate))
    coordinator.record(60, "ConvoyDeparted", convoy_id="c1")
    coordinator.record(61, "ConvoyDeparted", convoy_id="c2")
    coordinator.record(100, "ConvoyTurnedBack", convoy_id="c2", reason="firing on the road")
    monitor.record(90, "CheckpointPassed", vehicle_id="bus3", checkpoint_id="cp1",
                   headcount=len(aboard["bus3"]))
    coordinator.record(150, "ConvoyReturned", convoy_id="c2")
    for person, _ in aboard["bus3"]:
        truth[person] = "waiting"
    if second_trip:
        again = [(p, "arrived") for p, _ in aboard["bus3"] if rng.random() < 0.7]
        coordinator.record(160, "ConvoyPlanned", convoy_id="c3", label="C3", route_id="r1",
                           vehicle_ids=["bus3"])
        for n, (person, _) in enumerate(again):
            registrar.record(170 + n, "PersonBoarded", person_id=person, vehicle_id="bus3")
        coordinator.record(200, "ConvoyDeparted", convoy_id="c3")
        _ride(rng, "bus3", again, True, monitor, reception, truth, start=230)
    for bus in ("bus1", "bus2"):
        _ride(rng, bus, aboard[bus], c1_arrives, monitor, reception, truth)
    return Story(devices, truth)


def _setup(coordinator: Device) -> None:
    places = [("gp", "gathering_point"), ("cp1", "checkpoint"), ("cp2", "crossing"),
              ("rc", "reception")]
    coordinator.record(0, "OperationOpened", name="Order test", illustrative=True)
    for n, (place, kind) in enumerate(places):
        coordinator.record(0.1 * (n + 1), "LocationAdded", location_id=place, kind=kind,
                           name=place.upper(), latitude=36.2, longitude=37.1)
    coordinator.record(1, "RouteDefined", route_id="r1", name="R1", origin_id="gp",
                       checkpoint_ids=CHECKPOINTS, destination_id="rc")
    for n, bus in enumerate(["bus1", "bus2", "bus3"]):
        coordinator.record(2 + 0.1 * n, "VehicleRegistered", vehicle_id=bus, kind="bus",
                           label=bus.upper(), capacity=4)
    coordinator.record(3, "ConvoyPlanned", convoy_id="c1", label="C1", route_id="r1",
                       vehicle_ids=["bus1", "bus2"])
    coordinator.record(3.1, "ConvoyPlanned", convoy_id="c2", label="C2", route_id="r1",
                       vehicle_ids=["bus3"])


def _ride(rng: random.Random, bus: str, aboard: list[tuple[str, str]], arrives: bool,
          monitor: Device, reception: Device, truth: dict[str, str], start: float = 90) -> None:
    """Convoy c1's journey for one bus: a headcount at each checkpoint (after that
    checkpoint's removals; a vanished person is missing from the second count
    without a record), then the arrival and check-ins."""
    present = [person for person, _ in aboard]
    for n, checkpoint in enumerate(CHECKPOINTS):
        minute = start + 30 * n
        for person, fate in aboard:
            if fate == "removed" and rng.random() < 0.5 + 0.5 * n and person in present:
                monitor.record(minute, "PersonRemoved", person_id=person,
                               checkpoint_id=checkpoint, vehicle_id=bus,
                               reason=rng.choice(["detained", "medical", "other"]))
                present.remove(person)
                truth[person] = "removed"
            if fate == "vanished" and n == 1 and person in present:
                present.remove(person)
        monitor.record(minute + 1, "CheckpointPassed", vehicle_id=bus,
                       checkpoint_id=checkpoint, headcount=len(present))
    if not arrives:  # everyone not removed is on board, the vanished as recorded
        for person, _ in aboard:
            truth.setdefault(person, "on_vehicle")
        return
    reception.record(start + 90, "VehicleArrived", vehicle_id=bus, location_id="rc")
    for n, person in enumerate(present):
        reception.record(start + 91 + n, "PersonCheckedIn", person_id=person, location_id="rc")
        truth[person] = "arrived"
    for person, _ in aboard:
        truth.setdefault(person, "unaccounted")
