"""Events as a device would push them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from corridor.domain.events import parse_payload
from corridor.domain.state import Fact, OperationState

START = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)


class Device:
    """A field phone: makes event ids and keeps its own clock."""

    def __init__(self, device_id: str = "phone-1", author: str = "coordinator") -> None:
        self.device_id, self.author, self.clock = device_id, author, START

    def event(self, event_type: str, **payload: Any) -> dict[str, Any]:
        self.clock += timedelta(seconds=30)
        return {"id": str(uuid.uuid4()), "type": event_type, "payload": payload,
                "device_id": self.device_id, "author": self.author,
                "recorded_at": self.clock.isoformat()}


def setup_events(device: Device) -> list[dict[str, Any]]:
    """An operation with one route and one bus in a planned convoy."""
    places = [("gp", "gathering_point"), ("cp1", "checkpoint"), ("rc", "reception")]
    return [
        device.event("OperationOpened", name="Sync test"),
        *[device.event("LocationAdded", location_id=i, kind=k, name=i.upper(),
                       latitude=36.2, longitude=37.1) for i, k in places],
        device.event("RouteDefined", route_id="r1", name="R1", origin_id="gp",
                     checkpoint_ids=["cp1"], destination_id="rc"),
        device.event("VehicleRegistered", vehicle_id="bus1", kind="bus", label="Bus 1",
                     capacity=50),
        device.event("ConvoyPlanned", convoy_id="c1", label="C1", route_id="r1",
                     vehicle_ids=["bus1"]),
    ]


def household(device: Device, household_id: str, size: int) -> dict[str, Any]:
    members = [{"person_id": f"{household_id}-{i}", "given_name": f"محمد {i}",
                "family_name": "الحسن", "consent": True} for i in range(size)]
    return device.event("HouseholdRegistered", household_id=household_id,
                        gathering_point_id="gp", members=members)


def fact(seq: int, event: dict[str, Any]) -> Fact:
    """An event as the fold sees it once the ledger has given it a sequence number."""
    return Fact(seq, event["id"], event["type"], parse_payload(event["type"], event["payload"]),
                datetime.fromisoformat(event["recorded_at"]).astimezone(UTC), event["author"],
                event["device_id"], event["author"])


def fold(events: list[dict[str, Any]]) -> OperationState:
    """The state those events give, in that order, settled once at the end."""
    state = OperationState()
    for seq, event in enumerate(events, 1):
        state.apply(fact(seq, event))
    state.settle()
    return state
