"""What the fold derives: the operation's records, one dataclass per projection table.

They are plain mutable records: `OperationState` (state.py) and the movement
derivation (movement.py) are the only code that changes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from corridor.domain import events as ev
from corridor.domain.vocabulary import AlertStatus, ConvoyState


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
    status: str = AlertStatus.OPEN
    resolved_at: datetime | None = None  # a coordinator's note: when, who, what
    resolved_by: str | None = None
    resolution: str | None = None
    resolved_pushed_by: str | None = None  # the account that pushed the resolution
    # The recorded facts that account for what the alert is about (a check-in, a
    # removal, a recount, a disembarkation), kept as the facts themselves (storage and
    # reads name each by `named_fact`); explained_at, the latest once they explain all.
    explained_by: list[Fact] = field(default_factory=list)
    explained_at: datetime | None = None


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
    recorded_by: str  # the device's author
    pushed_by: str  # the account that pushed it, attested by the server


@dataclass(slots=True)
class Conflict:
    event_id: str
    seq: int
    event_type: str
    reason: str
    applied: bool  # True: recorded and applied but worth a look; False: refused
    # Refused for now: it names something no fact has recorded yet (a check-in before
    # the registration). It is applied when that fact arrives, and this entry goes.
    waiting: bool = False


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
    filed_pushed_by: str
    status: str = "open"
    outcome: str | None = None
    found_person_id: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing_note: str | None = None
    closed_pushed_by: str | None = None


@dataclass(slots=True)
class TracingReview:
    """A tracing officer's latest word on one candidate for one request."""

    request_id: str
    person_id: str
    decision: str
    note: str
    reviewed_at: datetime
    reviewed_by: str
    reviewed_pushed_by: str


@dataclass(slots=True)
class DuplicateReview:
    """The latest decision on a pair of records that may be one person."""

    person_id: str
    other_id: str
    decision: str
    note: str
    decided_at: datetime
    decided_by: str
    decided_pushed_by: str


def claims_another(author: str | None, pushed_by: str | None) -> bool:
    """Whether a fact's device named a recorder (`author`) other than the account that
    pushed it (`pushed_by`, attested by the server): someone recording in another's
    name, or a phone shared without signing in again."""
    return pushed_by is not None and author != pushed_by


@dataclass(frozen=True, slots=True)
class Fact:
    """One ledger event, as the fold sees it. `recorded_at` is in UTC, so the live
    fold and a rebuild (which reads UTC text back) derive the same values."""

    seq: int
    event_id: str
    type: str
    payload: ev.Payload
    recorded_at: datetime
    author: str  # who the device says recorded it
    device_id: str
    pushed_by: str  # the account the server took it from: attested, not claimed

    @property
    def order(self) -> tuple[datetime, str, int]:
        """When it happened, by the recording device's clock. The device and the
        server sequence only break ties, and two facts of one device keep the order
        the device sent them in, so the key does not depend on how devices' streams
        interleaved on their way to the server."""
        return BY_ORDER(self)


# `Fact.order` as a sort key that runs in C, for the fold's sorting of filed facts.
BY_ORDER = attrgetter("recorded_at", "device_id", "seq")


def named_fact(f: Fact) -> dict[str, str | None]:
    """A fact as an alert names it: its event id and type, who and where it is about."""
    p = f.payload
    return {"event_id": f.event_id, "type": f.type, "person_id": getattr(p, "person_id", None),
            "location_id": getattr(p, "location_id", None) or getattr(p, "checkpoint_id", None)}
