"""Two phones recording contradicting facts: both are kept, both listed as conflicts
naming what they contradict, the record derives one answer, and all of it whatever
order the phones synced in (docs/accounting.md, "Conflicts between phones").
On the fold, through the ledger and the scoped pull on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import random
from datetime import datetime, timedelta
from typing import Any

from conftest import PASSWORD
from events_factory import fold
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operation_setup import ok
from sqlalchemy import Engine, select
from stories import ROLES, Device, Story, _setup
from test_order import _reset, derived
from test_scope import _signed_in

from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Role
from corridor.services.access import add_user, issue_token
from corridor.services.ledger import Ledger, Principal
from corridor.storage.schema import conflicts

ZERO = timedelta(0)


def phones(*names: str, skews: list[float] | None = None) -> dict[str, Device]:
    """The coordinator's phone and these, each clock off by its skew (minutes)."""
    off = [timedelta(minutes=m) for m in skews or []]
    devices = {name: Device(f"{name}-phone", name.rstrip("0123456789"),
                            off[n] if n < len(off) else ZERO)
               for n, name in enumerate(("coordinator", *names))}
    _setup(devices["coordinator"])
    return devices


def registered(registrar: Device, *people: str) -> None:
    registrar.record(5, "HouseholdRegistered", household_id="f0", gathering_point_id="gp",
                     members=[{"person_id": p, "given_name": p} for p in people])


def boarded_by_two_registrars(skews: list[float] | None = None) -> Story:
    """p1 boarded onto bus1 by one registrar, then onto bus2 by another: no one got
    off between. p2 moved from bus1 to bus2 by one registrar before the departure."""
    devices = phones("registrar1", "registrar2", skews=skews)
    one, two = devices["registrar1"], devices["registrar2"]
    registered(one, "p1", "p2")
    one.record(20, "PersonBoarded", person_id="p1", vehicle_id="bus1")
    two.record(22, "PersonBoarded", person_id="p1", vehicle_id="bus2")
    one.record(21, "PersonBoarded", person_id="p2", vehicle_id="bus1")
    one.record(23, "PersonBoarded", person_id="p2", vehicle_id="bus2")
    devices["coordinator"].record(60, "ConvoyDeparted", convoy_id="c1")
    return Story(devices, {"p1": "on_vehicle", "p2": "on_vehicle"})


def counted_by_three_monitors(skews: list[float] | None = None) -> Story:
    """bus1 counted at cp1 by two phones, 3 and 2, and at cp2 by a third phone 30
    seconds after both. bus2 counted at cp1 by two phones whose last counts agree
    (one recounted)."""
    devices = phones("registrar", "monitor1", "monitor2", "monitor3", skews=skews)
    registered(devices["registrar"], "p1", "p2", "p3")
    for person in ("p1", "p2", "p3"):
        devices["registrar"].record(20, "PersonBoarded", person_id=person, vehicle_id="bus1")
    devices["coordinator"].record(60, "ConvoyDeparted", convoy_id="c1")
    one, two, three = devices["monitor1"], devices["monitor2"], devices["monitor3"]
    one.record(90, "CheckpointPassed", vehicle_id="bus1", checkpoint_id="cp1", headcount=3)
    two.record(91, "CheckpointPassed", vehicle_id="bus1", checkpoint_id="cp1", headcount=2)
    three.record(90.5, "CheckpointPassed", vehicle_id="bus1", checkpoint_id="cp2",
                 headcount=3)
    two.record(120, "CheckpointPassed", vehicle_id="bus2", checkpoint_id="cp1", headcount=0)
    two.record(121, "CheckpointPassed", vehicle_id="bus2", checkpoint_id="cp1", headcount=0)
    one.record(125, "CheckpointPassed", vehicle_id="bus2", checkpoint_id="cp1", headcount=1)
    one.record(126, "CheckpointPassed", vehicle_id="bus2", checkpoint_id="cp1", headcount=0)
    return Story(devices, {p: "on_vehicle" for p in ("p1", "p2", "p3")})


def reasons(state: OperationState, story: Story) -> dict[tuple[str, str, int], str]:
    """Conflicts by (device, type, position in the device's stream)."""
    found = {}
    for name, device in story.devices.items():
        for n, event in enumerate(device.stream()):
            if event["id"] in state.conflicts:
                conflict = state.conflicts[event["id"]]
                assert conflict.applied and not conflict.waiting
                found[(name, event["type"], n)] = conflict.reason
    return found


def test_one_person_boarded_onto_two_vehicles_by_two_phones_is_two_conflicts() -> None:
    story = boarded_by_two_registrars()
    state = fold(story.as_happened())
    found = reasons(state, story)
    first, second = story.devices["registrar1"].stream()[1], story.devices["registrar2"].stream()[0]
    assert set(found) == {("registrar1", "PersonBoarded", 1), ("registrar2", "PersonBoarded", 0)}
    assert found[("registrar1", "PersonBoarded", 1)] == (
        f"person p1 was then boarded onto vehicle bus2 (registrar2-phone, event {second['id']})"
        " with no disembarkation between; the later boarding counts")
    assert found[("registrar2", "PersonBoarded", 0)] == (
        f"person p1 was on vehicle bus1 (registrar1-phone, event {first['id']}) with no "
        "disembarkation between; this later boarding counts")
    # One answer: the later boarding. A move by one phone before the departure is no conflict.
    assert (state.persons["p1"].vehicle_id, state.persons["p2"].vehicle_id) == ("bus2", "bus2")
    assert {p.status for p in state.persons.values()} == {"on_vehicle"}
    assert state.on_board["bus1"] == set()


def test_a_boarding_onto_a_second_vehicle_after_the_first_left_lists_both() -> None:
    devices = phones("registrar")
    registered(devices["registrar"], "p1")
    devices["registrar"].record(20, "PersonBoarded", person_id="p1", vehicle_id="bus1")
    devices["coordinator"].record(60, "ConvoyDeparted", convoy_id="c1")
    devices["registrar"].record(90, "PersonBoarded", person_id="p1", vehicle_id="bus2")
    story = Story(devices, {})
    found = reasons(fold(story.as_happened()), story)
    assert found[("registrar", "PersonBoarded", 1)].startswith(
        "person p1 was then boarded onto vehicle bus2")
    assert found[("registrar", "PersonBoarded", 2)].startswith(
        "person p1 was on moving vehicle bus1 when this was recorded")


def test_counts_that_cannot_all_be_true_are_each_listed() -> None:
    story = counted_by_three_monitors()
    state = fold(story.as_happened())
    found = reasons(state, story)
    streams = {name: story.devices[name].stream() for name in ("monitor1", "monitor2",
                                                                "monitor3")}
    assert set(found) == {("monitor1", "CheckpointPassed", 0),
                          ("monitor2", "CheckpointPassed", 0),
                          ("monitor3", "CheckpointPassed", 0)}
    assert found[("monitor1", "CheckpointPassed", 0)] == (
        f"vehicle bus1 was counted 2 at cp1 by monitor2-phone (event "
        f"{streams['monitor2'][0]['id']}); the latest count stands; vehicle bus1 was counted "
        f"at cp2 by monitor3-phone (event {streams['monitor3'][0]['id']}) 30 s from this "
        "count at cp1: it cannot have been at both")
    assert found[("monitor2", "CheckpointPassed", 0)].startswith(
        "vehicle bus1 was counted 3 at cp1 by monitor1-phone")
    assert "counted at cp1 by monitor2-phone" in found[("monitor3", "CheckpointPassed", 0)]
    # One answer: the latest count at each checkpoint. bus2: each phone's own recount
    # replaced its count and the last ones agree, so nothing contradicts.
    assert state.passages[("c1", "bus1", "cp1")].headcount == 2
    assert state.passages[("c1", "bus2", "cp1")].headcount == 0


def test_counts_far_apart_in_time_or_space_do_not_clash() -> None:
    """The route's 30 minutes between checkpoints, and two places 20 km apart counted
    5 minutes apart (100 km/h covers 20 km in 12)."""
    devices = phones("registrar", "monitor1", "monitor2")
    registered(devices["registrar"], "p1")
    devices["registrar"].record(20, "PersonBoarded", person_id="p1", vehicle_id="bus1")
    devices["coordinator"].record(60, "ConvoyDeparted", convoy_id="c1")
    devices["monitor1"].record(90, "CheckpointPassed", vehicle_id="bus1", checkpoint_id="cp1",
                               headcount=1)
    devices["monitor2"].record(120, "CheckpointPassed", vehicle_id="bus1",
                               checkpoint_id="cp2", headcount=1)
    story = Story(devices, {})
    assert reasons(fold(story.as_happened()), story) == {}
    counted = story.devices["monitor1"].stream()[0]
    at = datetime.fromisoformat(counted["recorded_at"]) + timedelta(minutes=5)
    far = [dict(e, payload=dict(e["payload"], latitude=36.4)) if e["type"] == "LocationAdded"
           and e["payload"]["location_id"] == "cp2" else
           dict(e, recorded_at=at.isoformat()) if e["device_id"] == "monitor2-phone" else e
           for e in story.as_happened()]
    moved = next(e for e in far if e["device_id"] == "monitor2-phone")
    clashes = {c.reason.split(":")[0] for c in fold(far).conflicts.values()}
    assert clashes == {f"vehicle bus1 was counted at cp2 by monitor2-phone (event {moved['id']})"
                       " 5 min from this count at cp1",
                       f"vehicle bus1 was counted at cp1 by monitor1-phone (event {counted['id']})"
                       " 5 min from this count at cp2"}


@settings(max_examples=80, deadline=None)
@given(story_of=st.sampled_from([boarded_by_two_registrars, counted_by_three_monitors]),
       skews=st.lists(st.floats(-10, 10), min_size=5, max_size=5),
       orders=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=4))
def test_the_conflicts_are_the_same_in_every_order(story_of: Any, skews: list[float],
                                                   orders: list[int]) -> None:
    """Whatever the phones' clocks (up to ten minutes off) and the order they synced in."""
    story = story_of(skews)
    expected = fold(story.as_happened())
    assert expected.conflicts
    for order in orders:
        state = fold(story.interleave(random.Random(order)))
        assert derived(state) == derived(expected)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story_of=st.sampled_from([boarded_by_two_registrars, counted_by_three_monitors]),
       orders=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
       batch=st.integers(1, 5))
def test_phones_pushing_in_any_order_give_the_same_conflicts_in_the_database(
        engine: Engine, story_of: Any, orders: tuple[int, int], batch: int) -> None:
    """Through the ledger, each phone pushing its own stream in batches, interleaved at
    random: the conflicts table is what the fold says, whatever the order."""
    story = story_of()
    expected = {c.event_id: (c.reason, c.applied, c.waiting)
                for c in fold(story.as_happened()).conflicts.values()}
    for order in orders:
        _reset(engine)
        ledger, rng = Ledger(engine), random.Random(order)
        queues = {name: device.stream() for name, device in story.devices.items()}
        while any(queues.values()):
            name = rng.choice([n for n, q in queues.items() if q])
            chunk, queues[name] = queues[name][:batch], queues[name][batch:]
            who = Principal(name, Role(ROLES[name.rstrip("0123456789")]), f"{name}-phone")
            assert {r.status for r in ledger.push(chunk, who).receipts} == {"accepted"}
        ledger.ensure_projected()
        with engine.connect() as conn:
            held = {row.event_id: (row.reason, row.applied, row.waiting)
                    for row in conn.execute(select(conflicts))}
        assert held == expected


def test_the_scoped_pull_gives_each_phone_its_own_conflicts(api, app, engine) -> None:
    """Through the sync API: each registrar's scope lists the conflict on what it
    pushed, and only that; GET /api/conflicts lists both."""
    story = boarded_by_two_registrars()
    coordinator = api.as_("coordinator")
    ok(coordinator.post("/api/sync/push", json={"events": story.devices["coordinator"].stream()}))
    clients: dict[str, TestClient] = {}
    for name in ("registrar1", "registrar2"):
        add_user(engine, name, "registrar", PASSWORD, "gp")
        clients[name] = TestClient(app, raise_server_exceptions=False)
        clients[name].headers["Authorization"] = "Bearer " + issue_token(
            engine, name, f"{name}-phone")
        receipts = ok(clients[name].post("/api/sync/push", json={
            "events": story.devices[name].stream()}))["receipts"]
        assert {r["status"] for r in receipts} == {"accepted"}
    listed = {c["event_id"]: c for c in ok(coordinator.get("/api/conflicts"))}
    for name in ("registrar1", "registrar2"):
        scope = ok(clients[name].get("/api/sync/scope"))
        mine = {e["id"] for e in story.devices[name].stream()}
        assert scope["conflicts"], name
        assert {c["event_id"] for c in scope["conflicts"]} == mine & set(listed)
        for c in scope["conflicts"]:
            assert c == {"event_id": c["event_id"], "reason": listed[c["event_id"]]["reason"],
                         "waiting": False}
    assert len(listed) == 2

    # The coordinator's conflicts page lists both, each saying what it contradicts.
    add_user(engine, "coordinator-web", "coordinator", PASSWORD, None)
    page = _signed_in(app, "coordinator-web").get("/conflicts")
    assert page.status_code == 200
    for event_id, conflict in listed.items():
        assert f'data-conflict="{event_id}"' in page.text
        assert html.escape(conflict["reason"]) in page.text
    assert "Applied, to check" in page.text
    assert _signed_in(app, "registrar1").get("/conflicts").status_code == 403
