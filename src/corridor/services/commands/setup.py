"""Setting up the operation: the operation itself, the parties, places, routes,
vehicles and convoys. Coordinators and admins record these; the fold checks what
they name (a route's places of the right kinds, a convoy's vehicles free)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError, PydanticKnownError

from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import VehicleKind
from corridor.services.commands import Recorded, record
from corridor.services.ledger import Ledger, Principal, Refused


def open_operation(ledger: Ledger, who: Principal, operation: ev.OperationOpened) -> Recorded:
    return record(ledger, who, operation)


def add_party(ledger: Ledger, who: Principal, party: ev.PartyRegistered) -> Recorded:
    return record(ledger, who, party)


def add_location(ledger: Ledger, who: Principal, location: ev.LocationAdded) -> Recorded:
    return record(ledger, who, location)


def define_route(ledger: Ledger, who: Principal, route: ev.RouteDefined) -> Recorded:
    return record(ledger, who, route)


def register_vehicle(ledger: Ledger, who: Principal, vehicle: ev.VehicleRegistered) -> Recorded:
    return record(ledger, who, vehicle)


def plan_convoy(ledger: Ledger, who: Principal, convoy: ev.ConvoyPlanned) -> Recorded:
    return record(ledger, who, convoy)


# --- many vehicles at once -------------------------------------------------------------

# The number in a label pattern: {n}, or {n:03} for at least three digits, zero-padded.
PLACEHOLDER = re.compile(r"\{n(?::0?([1-9]))?\}")


class FleetIn(BaseModel):
    """Vehicles alike but for their labels, "20 SARC buses, 55 seats": one command."""

    model_config = ConfigDict(extra="forbid")
    fleet_id: Annotated[str, StringConstraints(min_length=1, max_length=40,
                                               pattern=r"^[A-Za-z0-9_.:-]+$")] = Field(
        description="the vehicles' ids are this, a dash and their number")
    kind: VehicleKind
    count: Annotated[int, Field(ge=1, le=500)]
    capacity: Annotated[int, Field(ge=1, le=200)]
    organisation_id: ev.Id | None = None
    start: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    pattern: ev.Name = Field(description="each vehicle's label: {n} is its number, {n:03} "
                             "pads it to three digits")

    @field_validator("pattern")
    @classmethod
    def _one_number(cls, pattern: str, info: ValidationInfo) -> str:
        found, rest = PLACEHOLDER.findall(pattern), PLACEHOLDER.sub("", pattern)
        if len(found) > 1 or "{" in rest or "}" in rest:
            raise PydanticCustomError("label_pattern", "give the number once, as {n} or {n:03}")
        if not found and info.data.get("count", 1) > 1:
            raise PydanticCustomError("label_pattern", "vehicles need different labels: put "
                                      "{n} where the number goes")
        last = label(pattern, info.data.get("start", 1) + info.data.get("count", 1) - 1)
        if len(last) > 120:
            raise PydanticKnownError("string_too_long", {"max_length": 120})
        return pattern

    def labels(self) -> list[str]:
        return [label(self.pattern, n) for n in range(self.start, self.start + self.count)]

    def vehicles(self) -> list[ev.VehicleRegistered]:
        return [ev.VehicleRegistered(vehicle_id=f"{self.fleet_id}-{n}", kind=self.kind,
                                     label=text, capacity=self.capacity,
                                     organisation_id=self.organisation_id)
                for n, text in enumerate(self.labels(), start=1)]


def label(pattern: str, n: int) -> str:
    return PLACEHOLDER.sub(lambda m: str(n).zfill(int(m.group(1) or 0)), pattern)


@dataclass(frozen=True, slots=True)
class Fleet(Recorded):
    vehicle_ids: list[str]


def register_fleet(ledger: Ledger, who: Principal, fleet: FleetIn) -> Fleet:
    """Every vehicle of the fleet or none; refused when a label is already painted on
    a recorded vehicle (compared without case)."""
    vehicles = fleet.vehicles()

    def decide(state: OperationState) -> list[ev.Payload]:
        taken = {v.label.casefold(): v.vehicle_id for v in state.vehicles.values()}
        for vehicle in vehicles:
            if (owner := taken.get(vehicle.label.casefold())) is not None:
                raise Refused(f"label {vehicle.label} is already used by vehicle {owner}",
                              "pattern")
        return list(vehicles)

    recorded = record(ledger, who, decide)
    return Fleet(recorded.recorded, [v.vehicle_id for v in vehicles])
