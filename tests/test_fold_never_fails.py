"""No fact from the field stops the operation.

Facts of every type, valid under their schemas and otherwise hostile: ids at their
64-character limit, text that grows or shrinks under normalisation, every Unicode
category, times at the ends of the accepted window, counts at their bounds, all
pointed at a small pool of ids so that they run into one another. The fold never
raises, settling after any batching gives the same state, and through the ledger
every projection row fits its column and a rebuild equals live, on both databases.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from conftest import PASSWORD
from events_factory import Device, household, setup_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_events import MINIMAL, TEXTS, put, text_paths
from test_order import derived

from corridor.domain.events import PAYLOADS, EventIn
from corridor.domain.state import Fact, OperationState
from corridor.domain.vocabulary import Role
from corridor.services.ledger import Ledger, Principal
from corridor.storage.projection_store import snapshot
from corridor.storage.schema import events as events_table
from corridor.storage.schema import ledger_meta, rejects

LONG = "L" * 64  # every kind of id also at its limit, so derived ids reach theirs
POOLS = {"location": ["gp", "cp1", "cp2", "rc", LONG], "origin": ["gp", "cp1", LONG],
         "destination": ["rc", "gp", LONG], "checkpoint": ["cp1", "cp2", "rc", LONG],
         "vehicle": ["bus1", "bus2", LONG], "convoy": ["c1", LONG], "route": ["r1", LONG],
         "person": ["p1", "p2", "p3", LONG], "household": ["h1", LONG],
         "request": ["t1", LONG], "party": ["sarc", LONG]}
POOLS["gathering"] = POOLS["held"] = POOLS["origin"]
KINDS = {"gp": "gathering_point", "cp1": "checkpoint", "cp2": "crossing", "rc": "reception"}
EDGES = [datetime(1970, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, 23, 59, tzinfo=UTC),
         datetime(2016, 12, 15, 6, tzinfo=UTC)]
OFFSETS = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-1439, 1439))
MOMENTS = st.one_of(st.sampled_from(EDGES), st.datetimes(
    datetime(1970, 1, 2), datetime(2099, 12, 30), timezones=OFFSETS))
NUMBERS = st.sampled_from([0, 1, 4, 55, 200, 100_000])
MOVEMENT = ["PersonBoarded", "PersonDisembarked", "ConvoyDeparted", "CheckpointPassed",
            "PersonRemoved", "VehicleArrived", "PersonCheckedIn", "AlertResolved"]
TYPES = st.sampled_from(sorted(PAYLOADS) + MOVEMENT * 4)  # where the order matters most


def _pool(key: str) -> st.SearchStrategy[str]:
    """Ids of the kind a key names, the first one most often, so that facts meet."""
    pool = POOLS.get(key.split("_")[0], POOLS["person"])  # other_id: a person
    return st.one_of(st.just(pool[0]), st.sampled_from(pool))


def _ids(draw: Any, value: Any, key: str = "") -> Any:
    """Every id in a payload drawn from a small pool of its kind."""
    if isinstance(value, dict):
        return {k: _ids(draw, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_ids(draw, v, key) for v in value]
    if isinstance(value, str) and key.endswith(("_id", "_ids", "origin")):
        return draw(_pool(key))
    return value


@st.composite
def hostile_fact(draw: Any) -> dict[str, Any]:
    event_type = draw(TYPES)
    payload = _ids(draw, MINIMAL[event_type])
    for path in draw(st.lists(st.sampled_from(text_paths(PAYLOADS[event_type], payload)
                                              or [()]), max_size=3)):
        if path:
            payload = put(payload, path, draw(TEXTS))
    for key in ("headcount", "killed", "injured", "capacity"):
        if key in payload:
            payload[key] = draw(NUMBERS)
    if "occurred_at" in payload:
        payload["occurred_at"] = draw(MOMENTS).isoformat()
    if event_type == "LocationAdded":  # mostly the kind its id suggests
        payload["kind"] = draw(st.sampled_from([KINDS.get(payload["location_id"], "hospital")]
                                               * 3 + ["checkpoint", "reception"]))
    if event_type == "RouteDefined":
        payload["checkpoint_ids"] = draw(st.lists(_pool("checkpoint"), max_size=3))
    if event_type == "ConvoyPlanned":
        payload["vehicle_ids"] = draw(st.lists(_pool("vehicle"), min_size=1, max_size=3))
    if event_type == "AlertResolved":
        payload["alert_id"] = ":".join([draw(st.sampled_from(
            ["headcount", "not_checked_in", "over_capacity"]))] + [
            draw(_pool(k)) for k in ("convoy", "vehicle", "checkpoint")])
    return {"id": str(uuid.uuid4()), "type": event_type, "payload": payload,
            "device_id": draw(st.sampled_from(["phone-1", "phone-2", LONG])),
            "author": draw(st.sampled_from(["amal", LONG])),
            "recorded_at": draw(MOMENTS).isoformat()}


SCAFFOLD = [("LocationAdded", {**MINIMAL["LocationAdded"], "location_id": place, "kind": kind})
            for place, kind in KINDS.items()] + [
    ("RouteDefined", {**MINIMAL["RouteDefined"], "checkpoint_ids": ["cp1", "cp2"]}),
    ("VehicleRegistered", {**MINIMAL["VehicleRegistered"], "capacity": 2}),
    ("VehicleRegistered", {**MINIMAL["VehicleRegistered"], "vehicle_id": LONG}),
    ("ConvoyPlanned", {**MINIMAL["ConvoyPlanned"], "vehicle_ids": ["bus1", LONG]}),
    ("HouseholdRegistered", {**MINIMAL["HouseholdRegistered"], "members": [
        {"person_id": p, "given_name": p} for p in POOLS["person"]]})]


@st.composite
def hostile_story(draw: Any) -> list[dict[str, Any]]:
    """An operation set up somewhere among the hostile facts, so that they meet it."""
    scaffold = [{**draw(hostile_fact()), "type": t, "payload": p} for t, p in SCAFFOLD]
    return draw(st.permutations(scaffold + draw(st.lists(hostile_fact(), max_size=40))))


def valid(events: list[dict[str, Any]]) -> list[EventIn]:
    """The drawn events that pass validation, as a push would take them."""
    kept = []
    for raw in events:
        try:
            event = EventIn.model_validate(raw)
            PAYLOADS[event.type].model_validate(event.payload)
        except ValidationError:
            continue
        kept.append(event)
    return kept


def as_fact(seq: int, event: EventIn) -> Fact:
    payload = PAYLOADS[event.type].model_validate(event.payload)
    return Fact(seq, event.id, event.type, payload, event.recorded_at.astimezone(UTC),
                event.author, event.device_id, event.author)


@settings(max_examples=400, deadline=None)
@given(events=hostile_story(), cuts=st.lists(st.integers(1, 10), max_size=6))
def test_the_fold_never_raises_and_settles_the_same_in_any_batching(
        events: list[dict[str, Any]], cuts: list[int]) -> None:
    facts = [as_fact(n, e) for n, e in enumerate(valid(events), 1)]
    once = OperationState()
    for fact in facts:
        once.apply(fact)
    once.settle()
    batched, start = OperationState(), 0
    for cut in [*cuts, len(facts)]:
        for fact in facts[start:start + cut]:
            batched.apply(fact)
        batched.settle()
        start += cut
    assert derived(batched) == derived(once)
    for person in once.persons.values():  # everyone still has exactly one status
        on_board = person.person_id in once.on_board.get(person.vehicle_id or "", set())
        assert on_board == (person.status == "on_vehicle")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=hostile_story())
def test_hostile_facts_are_stored_and_rebuilt_on_both_databases(
        engine, events: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:  # hypothesis reuses the fixture's database
        conn.execute(events_table.delete())
        conn.execute(rejects.delete())
        conn.execute(ledger_meta.update().values(head_seq=0, head_chain="0" * 64))
    ledger = Ledger(engine)
    ledger.rebuild()
    kept = valid(events)
    receipts = ledger.push(events, Principal("admin", Role.ADMIN, "phone-1")).receipts
    assert sum(r.status == "accepted" for r in receipts) == len(kept)
    ledger.ensure_projected()  # every derived row fits its column
    with engine.connect() as conn:
        live = snapshot(conn)
    Ledger(engine).rebuild()
    with engine.connect() as conn:
        assert snapshot(conn) == live


def test_reads_and_logins_do_not_depend_on_the_fold(api, monkeypatch) -> None:
    """Were the fold ever to fail (a fault in our code: facts cannot make it), people
    still sign in and read the record as last written; a command refuses."""
    coordinator = api.as_("coordinator")
    device = Device()
    assert coordinator.post("/api/sync/push", json={"events": setup_events(device) + [
        household(device, "h1", 3)]}).status_code == 200
    assert len(coordinator.get("/api/persons").json()) == 3

    def broken(self: OperationState) -> None:
        raise RuntimeError("a fault in the fold")

    monkeypatch.setattr(OperationState, "settle", broken)
    late = household(device, "h2", 2)
    assert coordinator.post("/api/sync/push", json={"events": [late]}).status_code == 200
    assert len(coordinator.get("/api/persons").json()) == 3  # as last written
    signed_in = coordinator.post("/api/auth/token", json={
        "username": "coordinator", "password": PASSWORD, "device": "laptop"})
    assert signed_in.status_code == 201
    refused = coordinator.post("/api/convoys/c1/departure")
    assert refused.status_code >= 500 and "Traceback" not in refused.text
    monkeypatch.undo()
    assert len(coordinator.get("/api/persons").json()) == 5  # caught up once it works
