"""The illustrative east-Aleppo demo: deterministic, fully accepted, and containing
every planted case the demo is there to show."""

from __future__ import annotations

import collections
import hashlib
import random
from datetime import datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from corridor import demo
from corridor.cli import DEMO_USERS
from corridor.domain.vocabulary import Role
from corridor.services.ledger import Ledger, Principal
from corridor.services.scoped_pull import pull
from corridor.services.tracing import Tracing
from corridor.storage.database import connect, initialise
from corridor.storage.schema import (
    alerts,
    conflicts,
    convoys,
    events,
    incidents,
    operation,
    persons,
    rejects,
)

PEOPLE = 1500


@pytest.fixture(scope="module")
def stream() -> list[dict[str, Any]]:
    return list(demo.generate(seed=2016, people=PEOPLE))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, int, list[int]]:
    engine = connect(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    initialise(engine)
    batches: list[int] = []
    accepted = demo.load(Ledger(engine), seed=2016, people=PEOPLE, progress=batches.append)
    return engine, accepted, batches


def rows(engine: Engine, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query))


def test_same_seed_same_events_different_seed_different(stream: list[dict[str, Any]]) -> None:
    again = list(demo.generate(seed=2016, people=PEOPLE))
    assert orjson.dumps(again) == orjson.dumps(stream)
    other = list(demo.generate(seed=2017, people=PEOPLE))
    assert [e["payload"] for e in other] != [e["payload"] for e in stream]


def test_the_seed_s_events_are_pinned(stream: list[dict[str, Any]]) -> None:
    """Opening mid-operation withholds events; it never changes them (nor may anything
    else without saying so here)."""
    assert hashlib.sha256(orjson.dumps(stream)).hexdigest() == (
        "6412fd5aef5d033c022c11abe9297bb167d5f39ba6ba45297b62cc1cb54855d7")


def test_events_are_well_formed_and_in_clock_order(stream: list[dict[str, Any]]) -> None:
    assert stream[0]["type"] == "OperationOpened"
    assert len({e["id"] for e in stream}) == len(stream)
    times = [datetime.fromisoformat(e["recorded_at"]) for e in stream]
    assert times == sorted(times)
    assert {e["recorded_at"][-6:] for e in stream} == {"+00:00", "+02:00"}
    local = [t.astimezone(demo.SYRIA) for t in times]
    assert min(local).date().isoformat() == "2016-12-15"
    assert max(local).date().isoformat() == "2016-12-22"


def test_everything_is_accepted_without_conflicts(
        loaded: tuple[Engine, int, list[int]], stream: list[dict[str, Any]]) -> None:
    engine, accepted, batches = loaded
    assert accepted == len(stream)
    assert sum(batches) == len(stream) and max(batches) == 1000
    assert rows(engine, select(func.count()).select_from(events))[0][0] == len(stream)
    assert rows(engine, select(rejects)) == []
    assert rows(engine, select(conflicts)) == []  # not even applied-with-a-warning ones


def test_everyone_is_accounted_for(loaded: tuple[Engine, int, list[int]],
                                   stream: list[dict[str, Any]],
                                   planted: demo.Evacuation) -> None:
    engine = loaded[0]
    members = [m["person_id"] for e in stream if e["type"] == "HouseholdRegistered"
               for m in e["payload"]["members"]]
    again = {second for _, second in planted.registered_again}
    # Beyond the operation's people: families registered twice, and the epilogue's latecomers.
    late = [p for p in members if p > f"p-{PEOPLE:06d}" and p not in again]
    assert len(members) == PEOPLE + len(again) + len(late)
    assert 40 <= len(late) <= 200
    statuses = dict(rows(engine, select(persons.c.status, func.count()).group_by(
        persons.c.status)))
    assert sum(statuses.values()) == len(members)
    assert set(statuses) <= {"arrived", "on_vehicle", "removed", "stayed", "unaccounted",
                             "waiting"}
    assert statuses["unaccounted"] >= 1 and statuses["removed"] >= 1
    assert 1 <= statuses["stayed"] <= 0.03 * PEOPLE  # about 1%
    assert statuses["arrived"] > 0.95 * PEOPLE
    # Only latecomers are still on a vehicle: the week's convoys all arrived.
    on_vehicle = {p for (p,) in rows(engine, select(persons.c.person_id).where(
        persons.c.status == "on_vehicle"))}
    assert on_vehicle and on_vehicle <= set(late)


def test_planted_cases_are_there(loaded: tuple[Engine, int, list[int]]) -> None:
    engine = loaded[0]
    alert_states = collections.Counter(rows(engine, select(alerts.c.kind, alerts.c.status)))
    assert alert_states[("headcount_short", "open")] >= 1
    assert alert_states[("headcount_short", "explained")] >= 1  # removal recorded after the count
    assert alert_states[("not_checked_in", "open")] >= 1
    assert alert_states[("not_checked_in", "explained")] >= 1  # everyone checked in
    convoy_states = {state for (state,) in rows(engine, select(convoys.c.state))}
    assert {"returned", "aborted", "arrived", "departed", "planned"} <= convoy_states
    held = rows(engine, select(events.c.payload).where(events.c.type == "ConvoyHeld"))
    released = {orjson.loads(p)["convoy_id"] for (p,) in rows(
        engine, select(events.c.payload).where(events.c.type == "ConvoyReleased"))}
    assert len(held) >= 3 and len(released) >= 2
    assert {state for (state,) in rows(engine, select(convoys.c.state).where(
        convoys.c.convoy_id.in_(released)))} == {"arrived"}
    removed = rows(engine, select(persons.c.removal_reason, persons.c.removed_by).where(
        persons.c.status == "removed"))
    assert ("detained", demo.MILITIA) in removed and any(r == "medical" for r, _ in removed)
    incident_types = {t for (t,) in rows(engine, select(incidents.c.type))}
    assert {"shooting", "detention", "weather", "medical"} <= incident_types
    assert rows(engine, select(operation.c.illustrative)) == [(True,)]


def test_households_stay_together_and_vehicles_are_never_over_capacity(
        stream: list[dict[str, Any]]) -> None:
    household_of, capacity, convoy_of, needs = {}, {}, {}, {}
    seats: collections.Counter[tuple[str, str]] = collections.Counter()
    vehicles_of: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    kinds: dict[str, str] = {}
    for event in stream:
        p = event["payload"]
        if event["type"] == "HouseholdRegistered":
            for member in p["members"]:
                household_of[member["person_id"]] = p["household_id"]
                needs[member["person_id"]] = member.get("needs", [])
        elif event["type"] == "VehicleRegistered":
            capacity[p["vehicle_id"]], kinds[p["vehicle_id"]] = p["capacity"], p["kind"]
        elif event["type"] == "ConvoyPlanned":
            convoy_of.update(dict.fromkeys(p["vehicle_ids"], p["convoy_id"]))
        elif event["type"] == "PersonBoarded":
            trip = (convoy_of[p["vehicle_id"]], p["vehicle_id"])
            seats[trip] += 1
            vehicles_of[(trip[0], household_of[p["person_id"]])].add(p["vehicle_id"])
    assert seats and all(count <= capacity[vehicle] for (_, vehicle), count in seats.items())
    assert all(len(vehicles) == 1 for vehicles in vehicles_of.values())
    # Ambulances carry households with someone wounded or sick.
    patients = {household_of[p] for p, n in needs.items() if {"wounded", "medical"} & set(n)}
    on_ambulances = {household for (_, household), vehicles in vehicles_of.items()
                     if kinds[next(iter(vehicles))] == "ambulance"}
    assert on_ambulances and on_ambulances <= patients


@pytest.fixture(scope="module")
def planted() -> demo.Evacuation:
    story = demo.Evacuation(random.Random(2016), PEOPLE)
    story.run()
    return story


TRACER = Principal("tracer", Role.TRACING_OFFICER, "desk")


def test_people_registered_twice_wait_in_the_duplicate_queue(
        loaded: tuple[Engine, int, list[int]], planted: demo.Evacuation) -> None:
    engine = loaded[0]
    assert 2 * demo.twice(PEOPLE) <= len(planted.registered_again) <= 4 * demo.twice(PEOPLE)
    queue = Tracing(engine, Ledger(engine)).duplicate_queue(TRACER)
    pairs = {frozenset((row["person"]["person_id"], row["other"]["person_id"]))
             for row in queue}
    for first, second in planted.registered_again:
        assert frozenset((first, second)) in pairs
    second_ids = {second for _, second in planted.registered_again}
    statuses = dict(rows(engine, select(persons.c.person_id, persons.c.status).where(
        persons.c.person_id.in_(second_ids))))
    assert set(statuses.values()) == {"waiting"}  # never boards: the queue explains them


def test_families_requests_find_the_people_they_seek(
        loaded: tuple[Engine, int, list[int]], planted: demo.Evacuation) -> None:
    engine = loaded[0]
    tracing = Tracing(engine, Ledger(engine))
    assert len(planted.sought) == demo.asking(PEOPLE) + 1
    assert {r["request_id"] for r in tracing.open_requests()} == set(planted.sought)
    for request_id, person_id in planted.sought.items():
        view = tracing.request_view(TRACER, request_id)
        assert view is not None
        found = {c["person_id"]: c for c in view["candidates"]}
        assert person_id in found, request_id
        if person_id == planted.unaccounted_sought:
            assert found[person_id]["status"] == "unaccounted"
        else:  # filed before they arrived: news for the family
            assert found[person_id]["status"] == "arrived" and found[person_id]["since_filed"]


def test_names_mix_scripts_and_children_carry_the_heads_name(
        stream: list[dict[str, Any]]) -> None:
    households = [e["payload"]["members"] for e in stream if e["type"] == "HouseholdRegistered"]
    given = [m["given_name"] for members in households for m in members]
    assert any("\u0600" <= name[0] <= "\u06ff" for name in given)
    assert any(name.isascii() for name in given)
    for members in households:
        assert len({m["family_name"] for m in members}) == 1
        assert 1 <= len(members) <= 12
    families = [members for members in households if len(members) >= 4]
    assert sum(members[-1]["father_name"] == f"{members[0]['given_name']} "
               f"{members[0]['father_name']}" for members in families) > 0.9 * len(families)


def test_full_scale_follows_the_reported_figures() -> None:
    fleet: collections.Counter[str] = collections.Counter()
    households, convoy_sizes = 0, collections.defaultdict(list)
    for event in demo.generate():
        p = event["payload"]
        if event["type"] == "VehicleRegistered":
            fleet[p["kind"]] += 1
        elif event["type"] == "HouseholdRegistered":
            households += 1
        elif event["type"] == "ConvoyPlanned":
            convoy_sizes[p["route_id"]].append(len(p["vehicle_ids"]))
    assert fleet["bus"] == 308 and fleet["ambulance"] == 61
    assert 7000 <= households <= 8000
    assert max(max(sizes) for sizes in convoy_sizes.values()) == 46
    assert convoy_sizes["amiriyah-idlib"][-1] == 4  # the last 4 buses, 22 Dec
    assert convoy_sizes["amiriyah-atareb"][-2:] == [2, 1]  # the epilogue's, on the road, boarding


def test_too_few_people_is_refused() -> None:
    with pytest.raises(ValueError):
        next(demo.generate(people=demo.MIN_PEOPLE - 1))


def test_a_rejected_event_is_a_bug(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connect(str(tmp_path / "demo.db"))
    initialise(engine)
    broken = {"id": "00000000-0000-0000-0000-000000000001", "type": "NoSuchEvent",
              "payload": {}, "device_id": "x", "author": "x",
              "recorded_at": "2016-12-15T00:00:00+02:00"}
    monkeypatch.setattr(demo, "generate", lambda seed, people: iter([broken]))
    with pytest.raises(RuntimeError, match="rejected"):
        demo.load(Ledger(engine), people=PEOPLE)


def test_the_field_accounts_find_their_work_waiting(
        loaded: tuple[Engine, int, list[int]]) -> None:
    """The epilogue: each demo field account, at its post, pulls a task to do."""
    engine = loaded[0]
    scope = {}
    for name in ("registrar", "monitor", "reception"):
        role, post = DEMO_USERS[name]
        scope[name] = pull(engine, Ledger(engine), Principal(name, role, f"{name}-phone", post),
                           None)
    registrar = scope["registrar"]
    assert 8 <= len(registrar["queue"]) <= 15  # a handful of households waiting to board
    assert all(entry["person_ids"] for entry in registrar["queue"])
    queued = {p for entry in registrar["queue"] for p in entry["person_ids"]}
    aboard = {p for v in registrar["vehicles"] for p in v["person_ids"]}
    assert queued <= {p["person_id"] for p in registrar["persons"]} and not queued & aboard
    boarding = [v for v in registrar["vehicles"] if v["convoy"]["state"] == "planned"]
    assert boarding and {v["convoy"]["route_id"] for v in boarding} == {"amiriyah-atareb"}
    assert all(v["vehicle"]["capacity"] > len(v["person_ids"]) for v in boarding)  # seats left

    def on_the_road(answer: dict[str, Any]) -> dict[str, list[str]]:
        return {v["vehicle"]["vehicle_id"]: v["person_ids"] for v in answer["vehicles"]
                if v["convoy"]["state"] == "departed"}

    expected = on_the_road(scope["monitor"])
    assert expected and all(expected.values())
    # Not yet counted at Salah al-Din on this trip (the bus's earlier trips do not count).
    assert all(not v["passages"] for v in scope["monitor"]["vehicles"]
               if v["vehicle"]["vehicle_id"] in expected)
    heading = on_the_road(scope["reception"])
    # The same vehicles and people, heading to Atareb. Reception's manifest of a bus also
    # holds anyone an earlier trip of it left unaccounted (a person records no trip).
    assert heading.keys() == expected.keys()
    assert all(set(aboard) <= set(heading[vehicle]) for vehicle, aboard in expected.items())
    assert {v["convoy"]["route_id"] for v in scope["reception"]["vehicles"]
            if v["vehicle"]["vehicle_id"] in heading} == {"amiriyah-atareb"}
