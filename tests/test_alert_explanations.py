"""Alerts closed by the facts that explain them, derived in the fold with no database.

Each kind of alert is explained by each fact the domain allows, whichever arrives
first: the fact synced before the alert's cause or after it gives the same alert,
`explained`, naming the fact by event id and type. A coordinator's note alone
`resolves` an alert and leaves the person it names unaccounted.
"""

from __future__ import annotations

from typing import Any

import pytest
from events_factory import Device, fact, household, setup_events

from corridor.domain.entities import Alert, named_fact
from corridor.domain.state import OperationState

Event = dict[str, Any]


class Story:
    """An operation told by four phones: who boards bus1, what the monitor counts and
    reception records. Each returns its event, to be delivered in any order."""

    def __init__(self, size: int = 3, capacity: int = 50) -> None:
        self.coordinator = Device("coordinator-phone", "coordinator")
        self.registrar = Device("registrar-phone", "registrar")
        self.monitor = Device("monitor-phone", "monitor")
        self.reception = Device("reception-phone", "reception")
        setup = setup_events(self.coordinator)
        setup[5]["payload"]["capacity"] = capacity  # VehicleRegistered bus1
        setup.insert(4, self.coordinator.event(
            "LocationAdded", location_id="hosp", kind="hospital", name="Hospital",
            latitude=36.3, longitude=37.0))
        self.setup = setup
        self.people = [f"h1-{n}" for n in range(size)]
        self.registration = household(self.registrar, "h1", size)
        for device in (self.registrar, self.monitor, self.reception):
            device.clock = self.coordinator.clock

    def board_all(self) -> list[Event]:
        return [self.registrar.event("PersonBoarded", person_id=p, vehicle_id="bus1")
                for p in self.people]

    def depart(self) -> Event:
        self.coordinator.clock = max(d.clock for d in (self.registrar, self.coordinator))
        for device in (self.monitor, self.reception):
            device.clock = self.coordinator.clock
        return self.coordinator.event("ConvoyDeparted", convoy_id="c1")

    def count(self, headcount: int) -> Event:
        return self.monitor.event("CheckpointPassed", vehicle_id="bus1", checkpoint_id="cp1",
                                  headcount=headcount)

    def removal(self, person_id: str) -> Event:
        return self.monitor.event("PersonRemoved", person_id=person_id, checkpoint_id="cp1",
                                  reason="detained", removed_by="militia")

    def arrive(self) -> Event:
        self.reception.clock = max(self.reception.clock, self.monitor.clock)
        return self.reception.event("VehicleArrived", vehicle_id="bus1", location_id="rc")

    def check_in(self, person_id: str, at: str = "rc") -> Event:
        return self.reception.event("PersonCheckedIn", person_id=person_id, location_id=at)

    def note(self, alert_id: str, note: str) -> Event:
        self.coordinator.clock = max(self.coordinator.clock, self.reception.clock)
        return self.coordinator.event("AlertResolved", alert_id=alert_id, note=note)


def fold(events: list[Event]) -> OperationState:
    state = OperationState()
    for seq, event in enumerate(events, 1):
        state.apply(fact(seq, event))
        state.settle()
    return state


def seen(alert: Alert) -> tuple[Any, ...]:
    return (alert.kind, alert.status, alert.expected, alert.counted, alert.missing,
            alert.person_ids, [named_fact(f) for f in alert.explained_by], alert.explained_at,
            alert.resolution)


def in_both_orders(story: Story, cause: list[Event], explaining: list[Event],
                   alert_id: str) -> tuple[Alert, OperationState]:
    """The alert when the explaining facts arrive after its cause, checked equal to the
    alert when they arrive first (synced from a phone before the rest)."""
    after = fold([*story.setup, story.registration, *cause, *explaining])
    first = fold([*story.setup, *explaining, story.registration, *cause])
    assert seen(after.alerts[alert_id]) == seen(first.alerts[alert_id])
    assert {p.person_id: p.status for p in after.persons.values()} == {
        p.person_id: p.status for p in first.persons.values()}
    return after.alerts[alert_id], after


def named(*events: Event) -> list[tuple[str, str]]:
    return [(e["id"], e["type"]) for e in events]


def explained_by(alert: Alert) -> list[tuple[str | None, str | None]]:
    return [(f.event_id, f.type) for f in alert.explained_by]


NOT_CHECKED_IN = "not_checked_in:c1:bus1"
HEADCOUNT = "headcount:c1:bus1:cp1"


# --- not checked in ------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["rc", "hosp"])
def test_not_checked_in_is_explained_by_the_check_in_at_reception_or_a_hospital(
        place: str) -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.arrive(),
             *(story.check_in(p) for p in story.people[1:])]
    before = fold([*story.setup, story.registration, *cause])
    alert = before.alerts[NOT_CHECKED_IN]
    assert (alert.status, alert.person_ids, alert.missing) == ("open", ["h1-0"], 1)
    assert before.persons["h1-0"].status == "unaccounted"

    late = story.check_in("h1-0", place)
    alert, state = in_both_orders(story, cause, [late], NOT_CHECKED_IN)
    assert (alert.status, alert.person_ids, alert.missing) == ("explained", [], 0)
    assert named(late)[0] in explained_by(alert)
    entry = next(named_fact(f) for f in alert.explained_by if f.event_id == late["id"])
    assert (entry["person_id"], entry["location_id"]) == ("h1-0", place)
    assert state.persons["h1-0"].status == "arrived"
    assert alert.resolution is None and alert.resolved_by is None


def test_not_checked_in_is_explained_by_the_removal_now_known() -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.count(3), story.arrive(),
             *(story.check_in(p) for p in story.people[1:])]
    removal = story.removal("h1-0")
    alert, state = in_both_orders(story, cause, [removal], NOT_CHECKED_IN)
    assert alert.status == "explained" and alert.person_ids == []
    assert named(removal)[0] in explained_by(alert)
    assert state.persons["h1-0"].status == "removed"
    assert len(alert.explained_by) == 3  # two check-ins and the removal


def test_not_checked_in_is_explained_by_a_disembarkation_before_departure_synced_late() -> None:
    """A registrar's phone took her off before the convoy left; it synced after the
    arrival. She was never on the trip: the alert names the disembarkation."""
    story = Story()
    boardings = story.board_all()
    got_off = story.registrar.event("PersonDisembarked", person_id="h1-0", vehicle_id="bus1",
                                    reason="changed her mind")
    cause = [*boardings, story.depart(), story.arrive(),
             *(story.check_in(p) for p in story.people[1:])]
    alone = fold([*story.setup, story.registration, *cause])
    assert alone.alerts[NOT_CHECKED_IN].person_ids == ["h1-0"]
    alert, state = in_both_orders(story, cause, [got_off], NOT_CHECKED_IN)
    assert (alert.status, alert.expected) == ("explained", 2)
    assert named(got_off)[0] in explained_by(alert)
    assert state.persons["h1-0"].status == "waiting"


def test_a_check_in_recorded_before_the_arrival_explains_it_from_the_start() -> None:
    story = Story(size=1)
    early = [*story.board_all(), story.depart()]
    check_in = story.check_in("h1-0")
    arrival = story.arrive()
    alert, _ = in_both_orders(story, [*early, arrival], [check_in], NOT_CHECKED_IN)
    assert alert.status == "explained"
    assert explained_by(alert) == named(check_in)
    assert alert.explained_at is not None and alert.explained_at.isoformat() == \
        arrival["recorded_at"]  # explained once the vehicle it is about had arrived


# --- a note alone --------------------------------------------------------------------------


def test_a_note_alone_resolves_the_alert_and_the_person_stays_unaccounted() -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.arrive(),
             *(story.check_in(p) for p in story.people[1:])]
    note = story.note(NOT_CHECKED_IN, "child found")
    state = fold([*story.setup, story.registration, *cause, note])
    alert = state.alerts[NOT_CHECKED_IN]
    assert (alert.status, alert.resolution, alert.resolved_by) == (
        "resolved", "child found", "coordinator")
    assert alert.person_ids == ["h1-0"] and alert.explained_at is None
    assert state.persons["h1-0"].status == "unaccounted"

    # The check-in that explains it, whenever it arrives: explained, the note kept.
    check_in = story.check_in("h1-0")
    for events in ([*story.setup, story.registration, *cause, note, check_in],
                   [*story.setup, check_in, story.registration, *cause, note],
                   [note, *story.setup, story.registration, check_in, *cause]):
        state = fold(events)
        alert = state.alerts[NOT_CHECKED_IN]
        assert (alert.status, alert.resolution) == ("explained", "child found")
        assert named(check_in)[0] in explained_by(alert)
        assert state.persons["h1-0"].status == "arrived"


# --- headcounts ------------------------------------------------------------------------------


def test_a_short_headcount_is_explained_by_the_removal_at_that_checkpoint() -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.count(2)]
    short = fold([*story.setup, story.registration, *cause]).alerts[HEADCOUNT]
    assert (short.kind, short.status, short.missing) == ("headcount_short", "open", 1)
    removal = story.removal("h1-1")
    alert, _ = in_both_orders(story, cause, [removal], HEADCOUNT)
    assert (alert.kind, alert.status, alert.missing) == ("headcount_short", "explained", 0)
    assert explained_by(alert) == named(removal)
    assert named_fact(alert.explained_by[0])["location_id"] == "cp1"


def test_a_short_headcount_is_explained_by_a_recount() -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.count(2)]
    recount = story.count(3)
    alert, state = in_both_orders(story, cause, [recount], HEADCOUNT)
    assert (alert.kind, alert.status, alert.counted, alert.missing) == (
        "headcount_short", "explained", 3, 0)
    assert explained_by(alert) == named(recount)
    assert state.passages[("c1", "bus1", "cp1")].headcount == 3


def test_an_over_headcount_is_explained_by_a_recount() -> None:
    story = Story()
    cause = [*story.board_all(), story.depart(), story.count(5)]
    over = fold([*story.setup, story.registration, *cause]).alerts[HEADCOUNT]
    assert (over.kind, over.status, over.missing) == ("headcount_over", "open", -2)
    recount = story.count(3)
    alert, _ = in_both_orders(story, cause, [recount], HEADCOUNT)
    assert (alert.kind, alert.status) == ("headcount_over", "explained")
    assert explained_by(alert) == named(recount)


def test_a_count_that_matches_from_the_start_raises_no_alert() -> None:
    story = Story()
    state = fold([*story.setup, story.registration, *story.board_all(), story.depart(),
                  story.count(3), story.count(3)])
    assert HEADCOUNT not in state.alerts


def test_a_recount_that_is_still_short_leaves_the_alert_open() -> None:
    story = Story()
    state = fold([*story.setup, story.registration, *story.board_all(), story.depart(),
                  story.count(1), story.count(2)])
    alert = state.alerts[HEADCOUNT]
    assert (alert.status, alert.counted, alert.missing, alert.explained_by) == (
        "open", 2, 1, [])


# --- over capacity ---------------------------------------------------------------------------


def test_over_capacity_is_explained_by_a_disembarkation() -> None:
    story = Story(size=3, capacity=2)
    cause = story.board_all()
    alert_id = "over_capacity:bus1:c1"
    over = fold([*story.setup, story.registration, *cause]).alerts[alert_id]
    assert (over.status, over.counted) == ("open", 3)
    got_off = story.registrar.event("PersonDisembarked", person_id="h1-2", vehicle_id="bus1")
    alert, _ = in_both_orders(story, cause, [got_off], alert_id)
    assert (alert.status, alert.counted) == ("explained", 2)
    assert explained_by(alert) == named(got_off)
