"""Property tests of the ledger: whatever facts arrive, in whatever order and
batching, everyone is accounted for once and a rebuild reproduces the state."""

from __future__ import annotations

from typing import Any

import pytest
from events_factory import Device, fold, setup_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.domain.vocabulary import Role, Status
from corridor.services.ledger import Ledger, Principal, verify
from corridor.storage.projection_store import snapshot

PEOPLE = [f"p{n}" for n in range(12)]
VEHICLES = ["bus1", "bus2"]
CHECKPOINTS = ["cp1", "cp2"]
CONVOYS = ["c1", "c2"]
ALERTS = [f"headcount:c1:{v}:{c}" for v in VEHICLES for c in CHECKPOINTS]

person = st.sampled_from(PEOPLE)
vehicle = st.sampled_from(VEHICLES)
convoy = st.sampled_from(CONVOYS)
checkpoint = st.sampled_from(CHECKPOINTS)
reason = st.sampled_from(["firing", "blocked road"])


@st.composite
def household(draw: Any) -> tuple[str, dict[str, Any]]:
    start = draw(st.integers(0, len(PEOPLE) - 1))
    size = draw(st.integers(1, 3))
    members = [{"person_id": p, "given_name": p, "needs": draw(st.sampled_from(
        [[], ["wounded"], ["elderly", "disability"]]))} for p in PEOPLE[start:start + size]]
    return "HouseholdRegistered", {"household_id": f"h{start}", "gathering_point_id": "gp",
                                   "members": members}


BOARDED = st.tuples(st.just("PersonBoarded"), st.fixed_dictionaries(
    {"person_id": person, "vehicle_id": vehicle}))
CHECKED_IN = st.tuples(st.just("PersonCheckedIn"), st.fixed_dictionaries(
    {"person_id": person, "location_id": st.just("rc")}))
DEPARTED = st.tuples(st.just("ConvoyDeparted"), st.fixed_dictionaries({"convoy_id": convoy}))
ARRIVED = st.tuples(st.just("VehicleArrived"), st.fixed_dictionaries(
    {"vehicle_id": vehicle, "location_id": st.just("rc")}))
# Weighted towards the main path (board, depart, arrive, check in) so that most
# stories reach on-vehicle, removed and unaccounted people, not just refusals.
FACTS = st.one_of(
    household(), BOARDED, BOARDED, BOARDED, BOARDED, DEPARTED, ARRIVED, CHECKED_IN, CHECKED_IN,
    st.tuples(st.just("PersonDisembarked"), st.fixed_dictionaries(
        {"person_id": person, "vehicle_id": vehicle})),
    st.tuples(st.just("PersonStayed"), st.fixed_dictionaries({"person_id": person})),
    st.tuples(st.just("ConvoyPlanned"), st.fixed_dictionaries(
        {"convoy_id": st.just("c2"), "label": st.just("C2"), "route_id": st.just("r1"),
         "vehicle_ids": st.just(["bus2"])})),
    st.tuples(st.just("ConvoyHeld"), st.fixed_dictionaries({"convoy_id": convoy,
                                                            "reason": reason})),
    st.tuples(st.just("ConvoyReleased"), st.fixed_dictionaries({"convoy_id": convoy})),
    st.tuples(st.just("ConvoyTurnedBack"), st.fixed_dictionaries({"convoy_id": convoy,
                                                                  "reason": reason})),
    st.tuples(st.just("ConvoyReturned"), st.fixed_dictionaries({"convoy_id": convoy})),
    st.tuples(st.just("ConvoyAborted"), st.fixed_dictionaries({"convoy_id": convoy,
                                                               "reason": reason})),
    st.tuples(st.just("CheckpointPassed"), st.fixed_dictionaries(
        {"vehicle_id": vehicle, "checkpoint_id": checkpoint, "headcount": st.integers(0, 6)})),
    st.tuples(st.just("PersonRemoved"), st.fixed_dictionaries(
        {"person_id": person, "checkpoint_id": checkpoint,
         "reason": st.sampled_from(["detained", "medical", "other"])})),
    st.tuples(st.just("AlertResolved"), st.fixed_dictionaries(
        {"alert_id": st.sampled_from(ALERTS), "note": st.just("checked by phone")})),
)


def story(facts: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Two checkpoints, a planned convoy with bus1 and a spare bus2, four households,
    then the facts."""
    device = Device()
    events = [device.event("LocationAdded", location_id="cp2", kind="crossing", name="CP2",
                           latitude=36.1, longitude=37.0),
              device.event("VehicleRegistered", vehicle_id="bus2", kind="bus", label="Bus 2",
                           capacity=4)]
    for event in setup_events(device):
        if event["type"] == "RouteDefined":
            event["payload"]["checkpoint_ids"] = ["cp1", "cp2"]
        events.append(event)
    families = [("HouseholdRegistered", {
        "household_id": f"family{n}", "gathering_point_id": "gp",
        "members": [{"person_id": p, "given_name": p} for p in PEOPLE[n * 3:n * 3 + 3]]})
        for n in range(4)]
    return events + [device.event(kind, **payload) for kind, payload in families + facts]


@settings(max_examples=300, deadline=None)
@given(st.lists(FACTS, max_size=60))
def test_everyone_has_the_status_their_facts_give(facts: list[Any]) -> None:
    state = fold(story(facts))
    assert set(state.persons) == set(PEOPLE)
    for person in state.persons.values():
        assert person.status in set(Status)
        # On a vehicle exactly when the on-board index says so, and then on that one.
        aboard = [v for v in VEHICLES if person.person_id in state.on_board[v]]
        assert aboard == ([person.vehicle_id] if person.status == Status.ON_VEHICLE else [])
        checked_in = [f for f in facts if f[0] == "PersonCheckedIn"
                      and f[1]["person_id"] == person.person_id]
        assert (person.status == Status.ARRIVED) == bool(checked_in)  # a check-in counts
    # Unaccounted people are exactly those listed by a not-checked-in alert.
    listed = [p for a in state.alerts.values() if a.kind == "not_checked_in"
              for p in a.person_ids]
    assert sorted(listed) == sorted(p.person_id for p in state.persons.values()
                                    if p.status == Status.UNACCOUNTED)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=st.lists(FACTS, max_size=40), cuts=st.lists(st.integers(1, 15), max_size=8))
def test_rebuild_reproduces_the_state_built_by_any_batching(engine, facts, cuts) -> None:
    ledger = Ledger(engine)
    ledger.rebuild()  # hypothesis reuses the fixture's database: start each example empty
    with engine.begin() as conn:
        from corridor.storage.schema import events as events_table
        from corridor.storage.schema import ledger_meta, rejects
        conn.execute(events_table.delete())
        conn.execute(rejects.delete())
        conn.execute(ledger_meta.update().values(head_seq=0, head_chain="0" * 64))
    ledger.rebuild()
    who = Principal("coordinator", Role.COORDINATOR, "phone-1")
    events = story(facts)
    start = 0
    for cut in [*cuts, len(events)]:
        receipts = ledger.push(events[start:start + cut], who).receipts
        assert {r.status for r in receipts} <= {"accepted"}
        ledger.ensure_projected()  # projections written in as many passes as batches
        start += cut
        if start >= len(events):
            break
    with engine.connect() as conn:
        live = snapshot(conn)
    Ledger(engine).rebuild()
    with engine.connect() as conn:
        assert snapshot(conn) == live
    assert live["persons"] or not any(k == "HouseholdRegistered" for k, _ in facts)


@pytest.mark.parametrize("batch", [1, 7])
def test_a_rebuild_gives_the_same_projection_rows(engine, batch: int) -> None:
    """A fixed story through every kind of fact, pushed one by one or in batches."""
    facts: list[Any] = [
        *[("PersonBoarded", {"person_id": p, "vehicle_id": "bus1"}) for p in PEOPLE[:3]],
        ("ConvoyDeparted", {"convoy_id": "c1"}),
        ("CheckpointPassed", {"vehicle_id": "bus1", "checkpoint_id": "cp1", "headcount": 1}),
        ("PersonRemoved", {"person_id": "p1", "checkpoint_id": "cp1", "reason": "detained"}),
        ("VehicleArrived", {"vehicle_id": "bus1", "location_id": "rc"}),
        ("PersonCheckedIn", {"person_id": "p0", "location_id": "rc"}),
        ("PersonCheckedIn", {"person_id": "p0", "location_id": "rc"}),  # a conflict
    ]
    ledger = Ledger(engine)
    who = Principal("coordinator", Role.COORDINATOR, "phone-1")
    events = story(facts)
    for start in range(0, len(events), batch):
        ledger.push(events[start:start + batch], who)
    ledger.ensure_projected()
    with engine.connect() as conn:
        live = snapshot(conn)
    assert len(live["persons"]) == 12 and len(live["conflicts"]) == 1
    assert len(live["alerts"]) == 2  # one short at cp1, p2 not checked in
    Ledger(engine).rebuild()
    with engine.connect() as conn:
        assert snapshot(conn) == live


def test_a_rebuild_of_the_demo_equals_what_its_pushes_built(engine) -> None:
    """At the demo's size projection writes take the bulk path (COPY on PostgreSQL),
    on the live path and in a rebuild alike: both must give the same rows."""
    from corridor import demo

    ledger = Ledger(engine)
    demo.load(ledger, people=1000)
    with engine.connect() as conn:
        live = snapshot(conn)
    registered = sum(len(e["payload"]["members"]) for e in demo.generate(people=1000)
                     if e["type"] == "HouseholdRegistered")
    assert len(live["persons"]) == registered > 1000 and len(live["person_needs"]) > 0
    assert verify(engine).broken is None  # events appended in bulk chain like any other
    Ledger(engine).rebuild()
    with engine.connect() as conn:
        assert snapshot(conn) == live
