"""Each handler of the fold on its own, with no database: what a fact does to the
state, what it says when it does not fit, and what waits for what."""

from __future__ import annotations

from typing import Any

import pytest
from events_factory import Device, fact, household, setup_events

from corridor.domain.events import PAYLOADS, ConvoyPlanned, HouseholdRegistered
from corridor.domain.movement import FILED
from corridor.domain.state import HANDLERS, Objection, OperationState


class Fold:
    """An OperationState fed one device's facts, settled after each."""

    def __init__(self) -> None:
        self.state, self.device, self.seq = OperationState(), Device(), 0

    def __call__(self, event_type: str, **payload: Any) -> str:
        return self.push(self.device.event(event_type, **payload))

    def push(self, event: dict[str, Any]) -> str:
        self.seq += 1
        self.state.apply(fact(self.seq, event))
        self.state.settle()
        return str(event["id"])

    def verdict(self, event_id: str) -> tuple[str, bool, bool] | None:
        conflict = self.state.conflicts.get(event_id)
        return None if conflict is None else (conflict.reason, conflict.applied,
                                              conflict.waiting)


@pytest.fixture
def fold() -> Fold:
    return Fold()


@pytest.fixture
def operation(fold: Fold) -> Fold:
    for event in setup_events(fold.device):
        fold.push(event)
    return fold


def test_every_payload_type_has_one_handler_or_is_derived() -> None:
    assert set(HANDLERS) | FILED == set(PAYLOADS)
    assert not set(HANDLERS) & FILED


def test_a_second_record_under_one_id_is_refused(fold: Fold) -> None:
    fold("LocationAdded", location_id="gp", kind="gathering_point", name="GP", latitude=36,
         longitude=37)
    again = fold("LocationAdded", location_id="gp", kind="reception", name="RC", latitude=36,
                 longitude=37)
    assert fold.verdict(again) == ("location gp is already recorded", False, False)
    assert fold.state.locations["gp"].kind == "gathering_point"


def test_a_route_waits_for_its_places_and_refuses_a_wrong_kind(fold: Fold) -> None:
    route = fold("RouteDefined", route_id="r1", name="R1", origin_id="gp",
                 checkpoint_ids=["cp1"], destination_id="rc")
    assert fold.verdict(route) == ("route r1: location gp is not known", False, True)
    for place, kind in [("gp", "gathering_point"), ("cp1", "checkpoint"), ("rc", "reception")]:
        fold("LocationAdded", location_id=place, kind=kind, name=place, latitude=36,
             longitude=37)
    assert fold.verdict(route) is None and "r1" in fold.state.routes
    wrong = fold("RouteDefined", route_id="r2", name="R2", origin_id="rc", checkpoint_ids=[],
                 destination_id="rc")
    assert fold.verdict(wrong) == ("route r2: rc is not a gathering_point", False, False)


def test_a_convoy_waits_for_its_vehicles_and_a_command_may_not_double_book_one(
        operation: Fold) -> None:
    plan = operation("ConvoyPlanned", convoy_id="c2", label="C2", route_id="r1",
                     vehicle_ids=["bus9"])
    assert operation.verdict(plan) == ("vehicle bus9 is not known", False, True)
    operation("VehicleRegistered", vehicle_id="bus9", kind="bus", label="9", capacity=4)
    assert operation.verdict(plan) is None and "c2" in operation.state.convoys
    again = ConvoyPlanned(convoy_id="c3", label="C3", route_id="r1", vehicle_ids=["bus1"])
    assert operation.state.command_refusal(again) == Objection(
        "vehicle_ids", "vehicle bus1 is still in convoy c1", clash=True)


def test_a_household_names_its_problems_until_a_late_place_puts_them_right(fold: Fold) -> None:
    registered = fold.push(household(fold.device, "h1", 2))
    assert fold.verdict(registered) == ("gathering point gp is not known", True, True)
    assert set(fold.state.persons) == {"h1-0", "h1-1"}  # registered all the same
    fold("LocationAdded", location_id="gp", kind="gathering_point", name="GP", latitude=36,
         longitude=37)
    assert fold.verdict(registered) is None


def test_a_checkpoint_as_gathering_point_is_kept_but_refused_as_a_command(fold: Fold) -> None:
    fold("LocationAdded", location_id="gp", kind="checkpoint", name="CP", latitude=36,
         longitude=37)
    registered = fold.push(household(fold.device, "h1", 1))
    assert fold.verdict(registered) == ("gp is a checkpoint, not a gathering point", True, False)
    command = HouseholdRegistered(household_id="h2", gathering_point_id="gp",
                                  members=[{"person_id": "x", "given_name": "X"}])
    assert fold.state.command_refusal(command) == Objection(
        "gathering_point_id", "gp is a checkpoint, not a gathering point")


def test_a_destination_must_be_a_reception_or_hospital_whichever_way_it_arrives(
        fold: Fold) -> None:
    fold("LocationAdded", location_id="gp", kind="gathering_point", name="GP", latitude=36,
         longitude=37)
    member = {"person_id": "h1-0", "given_name": "A", "destination_id": "cp"}
    registered = fold("HouseholdRegistered", household_id="h1", gathering_point_id="gp",
                      members=[member])
    assert fold.verdict(registered) == ("destination cp is not known", True, True)
    fold("LocationAdded", location_id="cp", kind="checkpoint", name="CP", latitude=36,
         longitude=37)
    assert fold.verdict(registered) == ("cp is a checkpoint, not a reception or hospital",
                                        True, False)
    command = HouseholdRegistered(household_id="h2", gathering_point_id="gp", members=[
        {"person_id": "new", "given_name": "B"}, {**member, "person_id": "other"}])
    assert fold.state.command_refusal(command) == Objection(
        "members.1.destination_id", "cp is a checkpoint, not a reception or hospital")


def test_a_command_may_not_register_a_person_already_registered(fold: Fold) -> None:
    fold("LocationAdded", location_id="gp", kind="gathering_point", name="GP", latitude=36,
         longitude=37)
    fold("HouseholdRegistered", household_id="h1", gathering_point_id="gp",
         members=[{"person_id": "p1", "given_name": "A"}])
    again = HouseholdRegistered(household_id="h2", gathering_point_id="gp",
                                members=[{"person_id": "p1", "given_name": "A"}])
    assert fold.state.command_refusal(again) == Objection(
        "members.0.person_id", "person p1 is already registered", clash=True)


def test_members_and_tokens_wait_for_their_household_and_refuse_a_clash(
        operation: Fold) -> None:
    member = operation("PersonRegistered", household_id="h1",
                       person={"person_id": "late", "given_name": "Late"})
    assert operation.verdict(member) == ("household h1 is not known", False, True)
    operation.push(household(operation.device, "h1", 2))
    assert operation.verdict(member) is None
    assert operation.state.members["h1"] == ["h1-0", "h1-1", "late"]
    operation("TokenIssued", household_id="h1", token="T-1")
    operation.push(household(operation.device, "h2", 1))
    clash = operation("TokenIssued", household_id="h2", token="T-1")
    assert operation.verdict(clash) == ("token T-1 already belongs to household h1", False,
                                        False)


def test_an_incident_is_kept_in_utc(fold: Fold) -> None:
    fold("IncidentReported", incident_id="i1", type="shooting",
         occurred_at="2016-12-16T09:00:00+02:00", reported_by="Amal")
    assert fold.state.incidents["i1"].occurred_at.isoformat() == "2016-12-16T07:00:00+00:00"


def test_a_tracing_review_waits_for_its_request_and_the_person(operation: Fold) -> None:
    review = operation("TracingCandidateReviewed", request_id="t1", person_id="h1-0",
                       decision="confirmed")
    assert operation.verdict(review) == ("tracing request t1 is not known", False, True)
    operation("TracingRequestFiled", request_id="t1", sought={"name": "Omar"},
              requester_name="Huda", relationship="mother", contact="phone", consent=True)
    assert operation.verdict(review) == ("person h1-0 is not known", False, True)
    operation.push(household(operation.device, "h1", 1))
    assert operation.verdict(review) is None
    assert ("t1", "h1-0") in operation.state.tracing_reviews


def test_a_merge_does_not_hold_for_a_record_that_moved_whichever_came_first(
        operation: Fold) -> None:
    operation.push(household(operation.device, "h1", 1))
    operation.push(household(operation.device, "h2", 1))
    merge = operation("DuplicateReviewed", person_id="h1-0", other_id="h2-0", decision="same")
    assert operation.state.persons["h2-0"].merged_into == "h1-0"
    operation("PersonBoarded", person_id="h2-0", vehicle_id="bus1")
    assert operation.state.persons["h2-0"].merged_into is None
    assert operation.verdict(merge) == (
        "person h2-0 has movement recorded: merge it the other way round", False, False)


def test_a_check_in_before_the_registration_waits_then_counts(operation: Fold) -> None:
    check_in = operation("PersonCheckedIn", person_id="h1-0", location_id="rc")
    assert operation.verdict(check_in) == ("person h1-0 is not registered", False, True)
    operation.push(household(operation.device, "h1", 1))
    assert operation.state.persons["h1-0"].status == "arrived"
    assert operation.verdict(check_in) == (
        "person h1-0 checked in without a recorded boarding", True, False)


def test_a_command_fact_the_fold_refuses_is_refused_before_it_is_applied(
        operation: Fold) -> None:
    operation.push(household(operation.device, "h1", 1))
    event = operation.device.event("PersonBoarded", person_id="h1-0", vehicle_id="nowhere")
    boarded = fact(operation.seq + 1, event)
    assert operation.state.would_refuse([boarded]) == Objection(
        None, "vehicle nowhere is not known", clash=True)
    assert not operation.state.movements.by_person["h1-0"]
    assert boarded.event_id not in operation.state.conflicts
    assert operation.state.persons["h1-0"].status == "waiting"
