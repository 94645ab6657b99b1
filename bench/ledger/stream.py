"""The events the benchmark pushes, in push format (what a device sends).

The demo generator (`corridor.demo.generate`) is the realistic stream and is used
when it exists. Until then, and with `--stream synthetic`, a built-in stream of
the same shape is used: the operation's setup, then waves of household
registrations (1–8 members), a convoy that boards them, headcounts at each
checkpoint, arrival and check-in. Both are deterministic for a given seed.
"""

from __future__ import annotations

import importlib.util
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

Event = dict[str, Any]
SEED = 2016
START = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
CHECKPOINTS = ("cp-1", "cp-2")
GATHERING_POINTS = ("gp-1", "gp-2", "gp-3", "gp-4")
BUSES, CAPACITY = 20, 50
GIVEN = ("محمد", "أحمد", "فاطمة", "عائشة", "علي", "مريم", "خالد", "زينب", "عمر", "نور")
FAMILY = ("الحسن", "الأحمد", "الخطيب", "العلي", "الشامي", "حداد", "الحلبي", "النجار")


def demo_available() -> bool:
    return importlib.util.find_spec("corridor.demo") is not None


def events(count: int, kind: str = "auto", seed: int = SEED) -> tuple[str, list[Event]]:
    """The first `count` events of the chosen stream, and the stream's name."""
    if kind == "demo" or (kind == "auto" and demo_available()):
        return "demo", _demo_events(count, seed)
    return "synthetic", list(islice(synthetic(seed), count))


def _demo_events(count: int, seed: int) -> list[Event]:
    """Enough of the demo operation to fill `count` events: the generator is asked for
    more people until its stream is long enough, then cut (any prefix of a stream is a
    stream a device could have pushed)."""
    from corridor.demo import MIN_PEOPLE, generate

    people = max(MIN_PEOPLE, int(count / 2.2))  # the demo makes about 2.36 events a person
    while True:
        taken = list(islice(generate(seed=seed, people=people), count))
        if len(taken) == count:
            return taken
        people *= 2


def batches(items: list[Event], size: int) -> list[list[Event]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


class _Device:
    """A field phone with its own clock, making reproducible event ids."""

    def __init__(self, rng: random.Random, device_id: str, author: str) -> None:
        self.rng, self.device_id, self.author, self.clock = rng, device_id, author, START

    def event(self, event_type: str, **payload: Any) -> Event:
        self.clock += timedelta(seconds=self.rng.randint(5, 40))
        return {"id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                "type": event_type, "payload": payload, "device_id": self.device_id,
                "author": self.author, "recorded_at": self.clock.isoformat()}


def synthetic(seed: int = SEED) -> Iterator[Event]:
    """An endless operation: setup, then one convoy wave after another."""
    rng = random.Random(seed)
    office = _Device(rng, "office-1", "coordinator")
    yield from _setup(office)
    registrar = _Device(rng, "registrar-1", "registrar")
    checkpoint = _Device(rng, "checkpoint-1", "monitor")
    reception = _Device(rng, "reception-1", "reception")
    waiting: list[str] = []
    for wave in range(1, 10**9):
        gathering_point = GATHERING_POINTS[wave % len(GATHERING_POINTS)]
        while len(waiting) < BUSES * CAPACITY:
            event = _household(registrar, rng, f"hh-{wave}-{len(waiting)}", gathering_point)
            waiting += [m["person_id"] for m in event["payload"]["members"]]
            yield event
        aboard, waiting = waiting[:BUSES * CAPACITY], waiting[BUSES * CAPACITY:]
        yield from _convoy(office, checkpoint, reception, wave, aboard)


def _setup(office: _Device) -> Iterator[Event]:
    yield office.event("OperationOpened", name="Benchmark operation", illustrative=True)
    yield office.event("PartyRegistered", party_id="icrc", name="ICRC", kind="organisation")
    places = [(gp, "gathering_point") for gp in GATHERING_POINTS]
    places += [("cp-1", "checkpoint"), ("cp-2", "crossing"), ("rc-1", "reception"),
               ("hospital-1", "hospital")]
    for location_id, kind in places:
        yield office.event("LocationAdded", location_id=location_id, kind=kind,
                           name=location_id.upper(), latitude=36.2, longitude=37.1)
    for n, gp in enumerate(GATHERING_POINTS, 1):
        yield office.event("RouteDefined", route_id=f"route-{n}", name=f"{gp} to rc-1",
                           origin_id=gp, checkpoint_ids=list(CHECKPOINTS), destination_id="rc-1")
    for n in range(1, BUSES + 1):
        yield office.event("VehicleRegistered", vehicle_id=f"bus-{n}", kind="bus",
                           label=f"Bus {n}", capacity=CAPACITY, organisation_id="icrc")


def _household(registrar: _Device, rng: random.Random, household_id: str,
               gathering_point: str) -> Event:
    family = rng.choice(FAMILY)
    members = []
    for i in range(rng.randint(1, 8)):
        member: dict[str, Any] = {
            "person_id": f"{household_id}-{i}", "given_name": rng.choice(GIVEN),
            "father_name": rng.choice(GIVEN), "family_name": family,
            "sex": rng.choice(("female", "male")), "consent": True}
        if rng.random() < 0.2:
            member["age"] = rng.randint(0, 90)  # only an age is known
        else:
            member["birth_year"] = rng.randint(1930, 2016)
        if rng.random() < 0.1:
            member["needs"] = [rng.choice(("medical", "elderly", "pregnant", "disability"))]
        members.append(member)
    return registrar.event("HouseholdRegistered", household_id=household_id,
                           gathering_point_id=gathering_point, members=members)


def _convoy(office: _Device, checkpoint: _Device, reception: _Device, wave: int,
            aboard: list[str]) -> Iterator[Event]:
    convoy_id = f"convoy-{wave}"
    buses = [f"bus-{n}" for n in range(1, BUSES + 1)]
    route = f"route-{wave % len(GATHERING_POINTS) + 1}"
    yield office.event("ConvoyPlanned", convoy_id=convoy_id, label=f"Convoy {wave}",
                       route_id=route, vehicle_ids=buses)
    seats = {bus: aboard[i * CAPACITY:(i + 1) * CAPACITY] for i, bus in enumerate(buses)}
    for bus, people in seats.items():
        for person_id in people:
            yield office.event("PersonBoarded", person_id=person_id, vehicle_id=bus)
    yield office.event("ConvoyDeparted", convoy_id=convoy_id)
    for checkpoint_id in CHECKPOINTS:
        for bus, people in seats.items():
            yield checkpoint.event("CheckpointPassed", vehicle_id=bus,
                                   checkpoint_id=checkpoint_id, headcount=len(people))
    for bus, people in seats.items():
        yield reception.event("VehicleArrived", vehicle_id=bus, location_id="rc-1")
        for person_id in people:
            yield reception.event("PersonCheckedIn", person_id=person_id, location_id="rc-1")
