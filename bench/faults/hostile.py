"""Hostile events mixed into a device's stream: each of them has stopped a push or
the fold before (issue 8). They belong to no story: whether the server accepts or
rejects them, the story's facts must count as if they were not there.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

from bench.faults.story import START, Device, Entry, Story
from corridor.domain.vocabulary import Role

# One event per kind except long_ids (a convoy set up to raise a 204-character alert id).
KINDS = ("nfc_name", "ancient_occurred_at", "ancient_recorded_at", "future_recorded_at",
         "long_ids", "nul_id", "nul_key", "malformed")


def _event(rng: random.Random, device: Device, recorded_at: str, event_type: str,
           **payload: Any) -> dict[str, Any]:
    return {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": event_type,
            "payload": payload, "device_id": device.device_id, "author": device.username,
            "recorded_at": recorded_at}


def _nfc_name(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    """41 × U+FB2C is 41 characters as sent and 123 once normalised to NFC."""
    member = {"person_id": f"x{n}-0", "given_name": "\ufb2c" * 41, "consent": True}
    return [_event(rng, device, when, "HouseholdRegistered", household_id=f"x{n}",
                   gathering_point_id="gp", members=[member])]


def _ancient_occurred_at(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    """Year 1 in +01:00 is year 0 in UTC, which Python cannot represent."""
    return [_event(rng, device, when, "IncidentReported", incident_id=f"x{n}", type="other",
                   occurred_at="0001-01-01T00:30:00+01:00", reported_by="monitor")]


def _clock_at(recorded_at: str) -> Callable[[random.Random, Device, str, int], list[Any]]:
    def make(rng: random.Random, device: Device, _when: str, n: int) -> list[Any]:
        return [_event(rng, device, recorded_at, "PersonStayed", person_id=f"x{n}")]
    return make


def _long_ids(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    """Convoy, vehicle and checkpoint ids at their 64-character limit, then a headcount
    that does not match: the alert id made of the three is 204 characters."""
    convoy, vehicle, checkpoint = (f"x{n}{kind}".ljust(64, "9") for kind in "cvp")
    return [_event(rng, device, when, "LocationAdded", location_id=checkpoint,
                   kind="checkpoint", name="Long", latitude=36.2, longitude=37.1),
            _event(rng, device, when, "VehicleRegistered", vehicle_id=vehicle, kind="bus",
                   label="Long", capacity=10),
            _event(rng, device, when, "RouteDefined", route_id=f"x{n}r", name="Long",
                   origin_id="gp", checkpoint_ids=[checkpoint], destination_id="rc"),
            _event(rng, device, when, "ConvoyPlanned", convoy_id=convoy, label="Long",
                   route_id=f"x{n}r", vehicle_ids=[vehicle]),
            _event(rng, device, when, "CheckpointPassed", vehicle_id=vehicle,
                   checkpoint_id=checkpoint, headcount=3)]


def _nul_id(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    event = _event(rng, device, when, "PersonStayed", person_id=f"x{n}")
    event["id"] = event["id"][:8] + "\x00" + event["id"][9:]
    return [event]


def _nul_key(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    event = _event(rng, device, when, "PersonCheckedIn", person_id=f"x{n}", location_id="rc")
    (event if rng.random() < 0.5 else event["payload"])["note\x00"] = "NUL in a key"
    return [event]


def _malformed(rng: random.Random, device: Device, when: str, n: int) -> list[Any]:
    event = _event(rng, device, when, "PersonStayed", person_id=f"x{n}")
    return [rng.choice([
        ["not", "an", "event"], "PersonStayed", 42, None,
        {**event, "type": "DropTable"},
        {**event, "recorded_at": "yesterday"},
        {**event, "recorded_at": "2016-12-15T10:00:00"},  # no time zone
        {key: value for key, value in event.items() if key != "payload"},
        {**event, "payload": {"person_id": ["x"]}},
    ])]


MAKERS: dict[str, tuple[Role, Callable[[random.Random, Device, str, int], list[Any]]]] = {
    "nfc_name": (Role.REGISTRAR, _nfc_name),
    "ancient_occurred_at": (Role.CHECKPOINT_MONITOR, _ancient_occurred_at),
    "ancient_recorded_at": (Role.REGISTRAR, _clock_at("0001-01-01T00:00:00+01:00")),
    "future_recorded_at": (Role.REGISTRAR, _clock_at("9999-12-31T23:59:59-01:00")),
    "long_ids": (Role.COORDINATOR, _long_ids),
    "nul_id": (Role.REGISTRAR, _nul_id),
    "nul_key": (Role.RECEPTION, _nul_key),
    "malformed": (Role.REGISTRAR, _malformed),
}


def inject(story: Story, kinds: tuple[str, ...], seed: int) -> None:
    """Put one of each kind into the stream of a device whose role may record it, at
    a random place after the operation is set up (the coordinator's first events)."""
    rng = random.Random(f"hostile-{seed}")
    for n, kind in enumerate(kinds, 1):
        role, make = MAKERS[kind]
        device = story.device(role)
        entries = device.entries
        set_up = 1 + max((i for i, e in enumerate(entries)
                          if not e.hostile and e.event["type"] == "ConvoyPlanned"), default=-1)
        where = rng.randint(set_up, len(entries))
        neighbour = next((e for e in entries[where:] + entries[::-1] if not e.hostile), None)
        when, at = (neighbour.event["recorded_at"], neighbour.at) if neighbour else (
            START.isoformat(), 0)
        entries[where:where] = [Entry(event, at, hostile=True)
                                for event in make(rng, device, when, n)]
