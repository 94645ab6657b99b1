"""The facts Corridor records, one schema per event type.

Devices send events; the server checks each payload against its schema before it
enters the ledger. Schemas are strict (unknown fields are refused) and bounded
(string lengths, list sizes) because payloads come from phones in the field and
must never be able to break a projection or a database column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError, core_schema

from corridor.domain.vocabulary import (
    IncidentType,
    LocationKind,
    Need,
    PartyKind,
    RemovalReason,
    Sex,
    VehicleKind,
)

# Unicode categories Cc (NUL breaks PostgreSQL text) and Cs (a lone surrogate is not
# UTF-8: it cannot be hashed or stored; stdlib JSON lets "\ud800" through).
_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidirectional controls, refused in names: embeddings and overrides (U+202A-202E) and
# isolates (U+2066-2069) reorder what follows, so a name can display as another; the
# marks (U+200E, U+200F, U+061C) are invisible and make two names that look the same
# different strings, which defeats duplicate detection and search. A name never needs
# them: its own letters give its direction. Free text keeps them (a note mixing
# Arabic and numbers may).
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The validation context of a payload read back from the ledger. Its text was stripped,
# put in NFC and checked when it was pushed (the digest covers that form), so it is
# taken as stored: one stored before a rule was added (a name with a bidi control) is
# still read, never lost to the fold, and a rebuild does not check every text again
# (that was a third of the time spent reading payloads back).
STORED = "stored"


def _normal(text: str) -> str:
    """Stripped and in NFC, so the same Arabic or accented name typed on two phones
    is the same string."""
    text = text.strip()
    if _REFUSED.search(text):
        raise ValueError("control characters and lone surrogates are not allowed")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


@dataclass(frozen=True, slots=True)
class Bounded:
    """Free text, normalised, then bounded: NFC can lengthen a string (U+FB2C is three
    characters in NFC), and the stored, normalised payload must pass the very check
    the pushed one did."""

    max_length: int
    min_length: int = 0
    name: bool = False  # a name: bidirectional controls refused as well

    def check(self, text: str, info: core_schema.ValidationInfo) -> str:
        if info.context and info.context.get(STORED):
            return text
        text = _normal(text)
        if self.name and (found := _BIDI.search(text)):
            raise PydanticCustomError(
                "bidi_control", "a name may not hold the bidirectional control character "
                "{character}", {"character": f"U+{ord(found.group()):04X}"})
        if len(text) > self.max_length:
            raise PydanticKnownError("string_too_long", {"max_length": self.max_length})
        if len(text) < self.min_length:
            raise PydanticKnownError("string_too_short", {"min_length": self.min_length})
        return text

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.with_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        bounds = {"maxLength": self.max_length} | (
            {"minLength": self.min_length} if self.min_length else {})
        return handler(schema) | bounds


Text = Annotated[str, Bounded(2000)]
Note = Annotated[str, Bounded(2000, min_length=1)]  # free text that must be given
Name = Annotated[str, Bounded(120, min_length=1, name=True)]
# A ledger seq or a row offset: at most what a 64-bit database integer holds.
MAX_POSITION = 2**63 - 1

# Device clocks and reported times: anything outside this window is a wrong clock, and
# near the ends of the calendar a conversion to UTC overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:  # compared without converting: cannot overflow
        raise ValueError(f"must be between {EARLIEST.date()} and {LATEST.date()} UTC")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40,
                                         pattern=r"^[A-Za-z0-9-]+$")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- Setting up the operation ---------------------------------------------------


class OperationOpened(Payload):
    name: Name
    description: Text = ""
    illustrative: bool = False  # a demo or training operation: no real people


class PartyRegistered(Payload):
    party_id: Id
    name: Name
    kind: PartyKind
    description: Text = ""


class LocationAdded(Payload):
    location_id: Id
    kind: LocationKind
    name: Name
    latitude: Latitude
    longitude: Longitude
    held_by: Id | None = None  # the party holding a checkpoint


class RouteDefined(Payload):
    route_id: Id
    name: Name
    origin_id: Id
    checkpoint_ids: Annotated[list[Id], Field(max_length=50)]
    destination_id: Id


class VehicleRegistered(Payload):
    vehicle_id: Id
    kind: VehicleKind
    label: Name  # plate or fleet number painted on the vehicle
    capacity: Annotated[int, Field(ge=1, le=200)]
    organisation_id: Id | None = None


class ConvoyPlanned(Payload):
    convoy_id: Id
    label: Name
    route_id: Id
    vehicle_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]


# --- Registration ----------------------------------------------------------------


class PersonDetails(Payload):
    """Least data: what boarding, accounting and tracing need, nothing more."""

    person_id: Id
    given_name: Name
    father_name: Name | None = None
    family_name: Name | None = None
    sex: Sex = Sex.UNKNOWN
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    age: Annotated[int, Field(ge=0, le=120)] | None = None  # when only an age is known
    needs: Annotated[list[Need], Field(max_length=7)] = []
    consent: bool = False  # consent to record and share personal data for the operation
    destination_id: Id | None = None  # the evacuee's own choice (UNSC resolution 2328)

    @model_validator(mode="after")
    def _one_age(self) -> PersonDetails:
        if self.birth_year is not None and self.age is not None:
            raise ValueError("give birth_year or age, not both")
        return self


class HouseholdRegistered(Payload):
    household_id: Id
    gathering_point_id: Id
    token: Token | None = None  # family number or wristband code used at boarding
    members: Annotated[list[PersonDetails], Field(min_length=1, max_length=60)]


class PersonRegistered(Payload):
    """A member added to a household after it was registered."""

    household_id: Id
    person: PersonDetails


class TokenIssued(Payload):
    household_id: Id
    token: Token


class PersonStayed(Payload):
    person_id: Id
    note: Text = ""


# --- Movement --------------------------------------------------------------------


class PersonBoarded(Payload):
    person_id: Id
    vehicle_id: Id
    override_reason: Text = ""  # why a household was split or capacity exceeded


class PersonDisembarked(Payload):
    """Taken off the manifest before departure (no-show, changed mind): back to waiting."""

    person_id: Id
    vehicle_id: Id
    reason: Text = ""


class ConvoyDeparted(Payload):
    convoy_id: Id


class CheckpointPassed(Payload):
    vehicle_id: Id
    checkpoint_id: Id
    headcount: Count


class PersonRemoved(Payload):
    person_id: Id
    checkpoint_id: Id
    vehicle_id: Id | None = None
    reason: RemovalReason
    removed_by: Text = ""  # the force or person responsible, if known
    note: Text = ""


class ConvoyHeld(Payload):
    convoy_id: Id
    location_id: Id | None = None
    reason: Text


class ConvoyReleased(Payload):
    convoy_id: Id
    note: Text = ""


class ConvoyTurnedBack(Payload):
    convoy_id: Id
    location_id: Id | None = None
    reason: Text


class ConvoyReturned(Payload):
    """A turned-back convoy is back at its origin: its passengers wait again."""

    convoy_id: Id


class ConvoyAborted(Payload):
    """Called off before departure: its passengers wait again."""

    convoy_id: Id
    reason: Text


class VehicleArrived(Payload):
    vehicle_id: Id
    location_id: Id


class PersonCheckedIn(Payload):
    person_id: Id
    location_id: Id


# --- Incidents and accounting ---------------------------------------------------------


class IncidentReported(Payload):
    incident_id: Id
    type: IncidentType
    occurred_at: Moment
    location_id: Id | None = None
    convoy_id: Id | None = None
    vehicle_id: Id | None = None
    killed: Count = 0
    injured: Count = 0
    reported_by: Name
    description: Text = ""


# Alert ids are made of other ids: "headcount:{convoy}:{vehicle}:{checkpoint}" is the
# longest (204 characters at the ids' limit); the column and this bound leave room.
ALERT_ID_LENGTH = 255
AlertId = Annotated[str, StringConstraints(min_length=1, max_length=ALERT_ID_LENGTH,
                                           pattern=r"^[A-Za-z0-9_.:-]+$")]


class AlertResolved(Payload):
    alert_id: AlertId
    note: Note


# --- Tracing and duplicates -----------------------------------------------------------


class SoughtPerson(Payload):
    """Who a family is looking for, as they describe them."""

    name: Name  # full or partial, any script
    sex: Sex | None = None
    born: Annotated[int, Field(ge=1900, le=2100)] | None = None
    tolerance: Annotated[int, Field(ge=0, le=15)] = 2  # years either side of `born`
    origin: Id | None = None  # gathering point they left from, if known
    father_name: Name | None = None
    household_names: Annotated[list[Name], Field(max_length=20)] = []


class TracingRequestFiled(Payload):
    request_id: Id
    sought: SoughtPerson
    requester_name: Name
    relationship: Name  # of the requester to the person sought: mother, brother, ...
    contact: Text  # how to reach the requester with news
    consent: bool  # the requester agrees to this being recorded and to being contacted
    note: Text = ""


class TracingCandidateReviewed(Payload):
    request_id: Id
    person_id: Id
    decision: Literal["confirmed", "rejected", "unsure"]
    note: Text = ""


class TracingRequestClosed(Payload):
    request_id: Id
    outcome: Literal["found", "not_found", "withdrawn", "referred"]
    person_id: Id | None = None  # the person found
    note: Text = ""


class DuplicateReviewed(Payload):
    """A reviewer's decision on a candidate pair. "same" merges `other_id` into
    `person_id`; the merge is undone by PersonsUnmerged."""

    person_id: Id
    other_id: Id
    decision: Literal["same", "different", "unsure"]
    note: Text = ""


class PersonsUnmerged(Payload):
    person_id: Id
    other_id: Id
    note: Text = ""


PAYLOADS: dict[str, type[Payload]] = {
    cls.__name__: cls
    for cls in (
        OperationOpened, PartyRegistered, LocationAdded, RouteDefined, VehicleRegistered,
        ConvoyPlanned, HouseholdRegistered, PersonRegistered, TokenIssued, PersonStayed,
        PersonBoarded, PersonDisembarked, ConvoyDeparted, CheckpointPassed, PersonRemoved,
        ConvoyHeld, ConvoyReleased, ConvoyTurnedBack, ConvoyReturned, ConvoyAborted,
        VehicleArrived, PersonCheckedIn, IncidentReported, AlertResolved,
        TracingRequestFiled, TracingCandidateReviewed, TracingRequestClosed,
        DuplicateReviewed, PersonsUnmerged,
    )
}
EventType = Literal[tuple(PAYLOADS)]  # type: ignore[valid-type]


class EventIn(BaseModel):
    """An event as a device sends it. The device makes the UUID, so a retry of the
    same event is recognised however many times it arrives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{32,36}$")] = Field(
        description="client-generated UUID"
    )
    type: str = Field(max_length=40)
    payload: dict[str, Any]
    device_id: Id
    author: Id
    recorded_at: Moment = Field(description="the device's clock when the fact was recorded")


def parse_payload(event_type: str, payload: dict[str, Any]) -> Payload:
    """The typed payload, or ValueError naming the first wrong field."""
    model = PAYLOADS.get(event_type)
    if model is None:
        raise ValueError(f"type: unknown event type {event_type!r}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValueError(describe(exc, prefix="payload")) from None


def describe(exc: ValidationError, prefix: str = "") -> str:
    """One line naming the field and what was wrong with it (an unknown key is quoted
    as sent, made safe to store)."""
    err = exc.errors()[0]
    where = ".".join(quoted(str(p)) for p in (prefix, *err["loc"]) if p != "")
    return f"{where}: {err['msg']}"


def quoted(text: str, limit: int = 64) -> str:
    """Input as a reason or receipt may quote it: control characters and lone
    surrogates escaped (PostgreSQL cannot store NUL, nor UTF-8 carry a surrogate),
    and at most `limit` characters of it."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return _REFUSED.sub(lambda found: f"\\u{ord(found.group()):04x}", cut)

