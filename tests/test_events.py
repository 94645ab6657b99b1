"""Event schemas: a payload is validated once, and what was stored validates again
with the same answer (the fold reads stored payloads back through these models)."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from corridor.domain.events import (
    EARLIEST,
    LATEST,
    PAYLOADS,
    Bounded,
    EventIn,
    IncidentReported,
    PersonDetails,
    describe,
)
from corridor.ledger.chain import canonical

PERSON = {"person_id": "p1", "given_name": "Amal"}
SOUGHT = {"name": "Omar", "household_names": ["Layla"]}
MINIMAL: dict[str, dict[str, Any]] = {
    "OperationOpened": {"name": "Aleppo"},
    "PartyRegistered": {"party_id": "p", "name": "ICRC", "kind": "organisation"},
    "LocationAdded": {"location_id": "gp", "kind": "gathering_point", "name": "Amiriyah",
                      "latitude": 36.1, "longitude": 37.1},
    "RouteDefined": {"route_id": "r1", "name": "R1", "origin_id": "gp", "checkpoint_ids": [],
                     "destination_id": "rc"},
    "VehicleRegistered": {"vehicle_id": "bus1", "kind": "bus", "label": "Bus 1", "capacity": 40},
    "ConvoyPlanned": {"convoy_id": "c1", "label": "C1", "route_id": "r1",
                      "vehicle_ids": ["bus1"]},
    "HouseholdRegistered": {"household_id": "h1", "gathering_point_id": "gp",
                            "members": [PERSON]},
    "PersonRegistered": {"household_id": "h1", "person": PERSON},
    "TokenIssued": {"household_id": "h1", "token": "F-1"},
    "PersonStayed": {"person_id": "p1"},
    "PersonBoarded": {"person_id": "p1", "vehicle_id": "bus1"},
    "PersonDisembarked": {"person_id": "p1", "vehicle_id": "bus1"},
    "ConvoyDeparted": {"convoy_id": "c1"},
    "CheckpointPassed": {"vehicle_id": "bus1", "checkpoint_id": "cp1", "headcount": 3},
    "PersonRemoved": {"person_id": "p1", "checkpoint_id": "cp1", "reason": "detained"},
    "ConvoyHeld": {"convoy_id": "c1", "reason": "firing"},
    "ConvoyReleased": {"convoy_id": "c1"},
    "ConvoyTurnedBack": {"convoy_id": "c1", "reason": "road closed"},
    "ConvoyReturned": {"convoy_id": "c1"},
    "ConvoyAborted": {"convoy_id": "c1", "reason": "no agreement"},
    "VehicleArrived": {"vehicle_id": "bus1", "location_id": "rc"},
    "PersonCheckedIn": {"person_id": "p1", "location_id": "rc"},
    "IncidentReported": {"incident_id": "i1", "type": "shooting",
                         "occurred_at": "2016-12-16T09:00:00+02:00", "reported_by": "Amal"},
    "AlertResolved": {"alert_id": "headcount:c1:bus1:cp1", "note": "counted again"},
    "TracingRequestFiled": {"request_id": "t1", "sought": SOUGHT, "requester_name": "Huda",
                            "relationship": "mother", "contact": "by phone", "consent": True},
    "TracingCandidateReviewed": {"request_id": "t1", "person_id": "p1", "decision": "unsure"},
    "TracingRequestClosed": {"request_id": "t1", "outcome": "withdrawn"},
    "DuplicateReviewed": {"person_id": "p1", "other_id": "p2", "decision": "different"},
    "PersonsUnmerged": {"person_id": "p1", "other_id": "p2"},
}

Path = tuple[str | int, ...]


def _bounded(annotation: Any) -> bool:
    """Whether a field's type is free text (a Bounded string, possibly optional)."""
    if get_origin(annotation) is Annotated:
        return any(isinstance(m, Bounded) for m in annotation.__metadata__)
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_bounded(arg) for arg in get_args(annotation))
    return False


def _inner(annotation: Any) -> Any:
    """The element type of list[X] (also inside Annotated), else the type itself."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return get_args(annotation)[0] if get_origin(annotation) is list else None


def text_paths(model: type[BaseModel], sample: dict[str, Any]) -> list[Path]:
    """Where in a payload like `sample` free text goes, nested models and lists included."""
    paths: list[Path] = []
    for name, field in model.model_fields.items():
        element = _inner(field.annotation)
        if _bounded(field.annotation) or any(isinstance(m, Bounded) for m in field.metadata):
            paths.append((name,))
        elif element is not None and _bounded(element):
            paths.append((name, 0))
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            paths += [(name, *p) for p in text_paths(field.annotation, sample.get(name) or {})]
        elif isinstance(element, type) and issubclass(element, BaseModel):
            paths += [(name, 0, *p) for p in text_paths(element, sample[name][0])]
    return paths


def put(payload: Any, path: Path, value: str) -> Any:
    """A copy of `payload` with `value` at `path` (list positions made to exist)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(payload or [None])
        items[head] = put(items[head], rest, value)
        return items
    return {**payload, head: put(payload.get(head), rest, value)}


def test_every_payload_type_has_a_sample_and_its_text_fields_are_found() -> None:
    assert set(MINIMAL) == set(PAYLOADS)
    for event_type, sample in MINIMAL.items():
        PAYLOADS[event_type].model_validate(sample)
    paths = text_paths(PAYLOADS["HouseholdRegistered"], MINIMAL["HouseholdRegistered"])
    assert ("members", 0, "given_name") in paths and ("members", 0, "family_name") in paths
    assert ("sought", "household_names", 0) in text_paths(
        PAYLOADS["TracingRequestFiled"], MINIMAL["TracingRequestFiled"])
    assert ("note",) in text_paths(PAYLOADS["AlertResolved"], MINIMAL["AlertResolved"])


# Characters that change under NFC (U+FB2C grows to three, U+0301 composes, U+2000
# becomes U+2002), whitespace, controls, and anything else.
TRICKY = st.sampled_from(["\ufb2c", "\u0301", "e", " ", "\u2000", "\u00a0", "\n", "\x00",
                          "\u0627", "\u0644", "\u1100", "\u1161", "\U0001d4a9"])
CHARS = st.one_of(TRICKY, st.characters())
TEXTS = st.one_of(st.text(CHARS, max_size=130),
                  st.builds(lambda c, n, edge: edge + c * n + edge, CHARS,
                            st.sampled_from([1, 40, 41, 60, 119, 120, 121, 666, 667, 2000, 2001]),
                            st.sampled_from(["", " ", "\u0301"])))
TEXT_FIELDS = [(t, p) for t, sample in MINIMAL.items()
               for p in text_paths(PAYLOADS[t], sample)]


@pytest.mark.parametrize(("event_type", "path"), TEXT_FIELDS,
                         ids=[f"{t}.{'.'.join(map(str, p))}" for t, p in TEXT_FIELDS])
@settings(max_examples=60, deadline=None)
@given(text=TEXTS)
def test_a_payload_that_validates_validates_again_as_stored(event_type: str, path: Path,
                                                           text: str) -> None:
    model = PAYLOADS[event_type]
    try:
        pushed = model.model_validate(put(MINIMAL[event_type], path, text))
    except ValidationError:
        return
    dumped = pushed.model_dump(mode="json")
    assert model.model_validate(dumped) == pushed
    stored = model.model_validate_json(canonical(dumped))  # as the fold reads it back
    assert stored == pushed and stored.model_dump(mode="json") == dumped


def test_a_limit_is_on_the_normalised_text() -> None:
    grows = "\ufb2c" * 41  # 41 characters as typed, 123 in NFC
    with pytest.raises(ValidationError) as refused:
        PersonDetails(person_id="p1", given_name=grows)
    assert describe(refused.value) == "given_name: String should have at most 120 characters"
    shrinks = "e\u0301" * 120  # 240 as typed, 120 in NFC
    assert PersonDetails(person_id="p1", given_name=shrinks).given_name == "\u00e9" * 120
    with pytest.raises(ValidationError, match="at least 1 character"):
        PersonDetails(person_id="p1", given_name=" \u2000 ")


EVENT = {"id": "0b7c5d0e-7f35-4a8e-9a3e-3f1f8c1b2a10", "type": "ConvoyDeparted",
         "payload": {}, "device_id": "phone-1", "author": "amal"}
OVERFLOWING = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00",
               "0001-01-01T00:00:00+01:00"]
OUTSIDE = [*OVERFLOWING, "1969-12-31T23:59:59+00:00", "2100-01-01T00:00:00+00:00",
           "2100-01-01T00:30:00+00:01"]


@pytest.mark.parametrize("moment", OUTSIDE)
def test_times_outside_the_window_are_refused_naming_the_field(moment: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EventIn.model_validate({**EVENT, "recorded_at": moment})
    assert describe(refused.value).startswith("recorded_at: ")
    assert "between 1970-01-01 and 2100-01-01 UTC" in describe(refused.value)
    with pytest.raises(ValidationError) as refused:
        IncidentReported.model_validate({**MINIMAL["IncidentReported"], "occurred_at": moment})
    assert describe(refused.value).startswith("occurred_at: ")


OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)),
                    st.integers(-23 * 60 - 59, 23 * 60 + 59))


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=OFFSETS))
def test_a_time_that_validates_validates_again_as_stored(moment: datetime) -> None:
    inside = EARLIEST <= moment < LATEST
    try:
        pushed = EventIn.model_validate({**EVENT, "recorded_at": moment.isoformat()})
    except ValidationError:
        assert not inside
        return
    assert inside
    pushed.recorded_at.astimezone(UTC)  # never overflows
    assert EventIn.model_validate_json(canonical(pushed.model_dump(mode="json"))) == pushed
