"""A command judged by the fold on a trial of the state, with no database: the state is
left exactly as it was whatever the answer, the answer is the one the fold gives when
the facts are applied, and a command's facts are judged as a whole."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from events_factory import START, Device, fact, household
from pydantic import BaseModel
from stories import tell

from corridor.domain.layer import Layer
from corridor.domain.state import Objection, OperationState


def canonical(value: Any, within: tuple[int, ...] = ()) -> str:
    """Everything the state holds, written out in one order whatever the order of its
    dictionaries and sets: equal dumps, equal states."""
    if isinstance(value, (str, int, float, bool, datetime)) or value is None:
        return repr(value)
    if isinstance(value, BaseModel):
        return f"{type(value).__name__}{canonical(value.model_dump(), within)}"
    if id(value) in within:
        return "<the state, again>"
    within = (*within, id(value))
    if isinstance(value, dict):
        items = sorted((canonical(k, within), canonical(v, within)) for k, v in value.items())
        return f"{type(value).__name__}{{{', '.join(f'{k}: {v}' for k, v in items)}}}"
    if isinstance(value, (set, frozenset)):
        return f"{{{', '.join(sorted(canonical(v, within) for v in value))}}}"
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(canonical(v, within) for v in value)}]"
    names = [n for cls in type(value).__mro__ for n in getattr(cls, "__slots__", ())]
    names += sorted(getattr(value, "__dict__", {}))
    fields = ", ".join(f"{n}={canonical(getattr(value, n), within)}" for n in names)
    return f"{type(value).__name__}({fields})"


class Operation:
    """A state folded from a random story told by four phones, and a coordinator's
    device to write commands with."""

    def __init__(self, seed: int) -> None:
        events = tell(random.Random(seed), families=6, second_trip=True).as_happened()
        self.state = OperationState()
        for seq, event in enumerate(events, 1):
            self.state.apply(fact(seq, event))
        self.state.settle()
        self.seq, self.device = len(events), Device("server", "coordinator")
        self.device.clock = START + timedelta(hours=8)  # commands come after the story

    def facts(self, *commands: tuple[str, dict[str, Any]]) -> list[Any]:
        made = []
        for event_type, payload in commands:
            self.seq += 1
            made.append(fact(self.seq, self.device.event(event_type, **payload)))
        return made


def commands(state: OperationState) -> list[tuple[str, dict[str, Any]]]:
    """One command of each kind, some that the record accepts and some it refuses."""
    persons = sorted(state.persons)
    alert = min(state.alerts, default="headcount:c1:bus1:cp1")
    return [
        ("PersonBoarded", {"person_id": persons[0], "vehicle_id": "bus1"}),
        ("PersonBoarded", {"person_id": persons[1], "vehicle_id": "nowhere"}),
        ("PersonDisembarked", {"person_id": persons[2], "vehicle_id": "bus2"}),
        ("PersonRemoved", {"person_id": persons[3], "checkpoint_id": "cp1",
                           "reason": "detained"}),
        ("PersonCheckedIn", {"person_id": persons[4], "location_id": "rc"}),
        ("PersonCheckedIn", {"person_id": "nobody", "location_id": "rc"}),
        ("PersonStayed", {"person_id": persons[5]}),
        ("ConvoyDeparted", {"convoy_id": "c1"}),
        ("ConvoyHeld", {"convoy_id": "c2", "reason": "firing"}),
        ("ConvoyAborted", {"convoy_id": "c3", "reason": "no fuel"}),
        ("CheckpointPassed", {"vehicle_id": "bus1", "checkpoint_id": "rc", "headcount": 3}),
        ("CheckpointPassed", {"vehicle_id": "bus2", "checkpoint_id": "cp2", "headcount": 0}),
        ("VehicleArrived", {"vehicle_id": "bus1", "location_id": "rc"}),
        ("AlertResolved", {"alert_id": alert, "note": "counted again"}),
        ("AlertResolved", {"alert_id": "headcount:c9:bus9:cp1", "note": "seen"}),
        ("LocationAdded", {"location_id": "cp3", "kind": "checkpoint", "name": "CP3",
                           "latitude": 36, "longitude": 37}),
        ("LocationAdded", {"location_id": "gp", "kind": "reception", "name": "GP",
                           "latitude": 36, "longitude": 37}),
        ("VehicleRegistered", {"vehicle_id": "bus4", "kind": "bus", "label": "4",
                               "capacity": 9}),
        ("ConvoyPlanned", {"convoy_id": "c4", "label": "C4", "route_id": "r1",
                           "vehicle_ids": ["bus3"]}),
        ("TokenIssued", {"household_id": "f0", "token": "T-9"}),
        ("DuplicateReviewed", {"person_id": persons[0], "other_id": persons[-1],
                               "decision": "same"}),
        ("TracingRequestFiled", {"request_id": "t1", "sought": {"name": "Omar"},
                                 "requester_name": "Huda", "relationship": "mother",
                                 "contact": "phone", "consent": True}),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_judging_a_command_leaves_the_state_as_it_was_and_answers_as_the_fold(
        seed: int) -> None:
    operation = Operation(seed)
    state = operation.state
    before = canonical(state)
    answers = set()
    for command in [*commands(state), ("HouseholdRegistered", household(
            operation.device, "f0", 1)["payload"])]:
        [made] = operation.facts(command)
        objection = state.would_refuse([made])
        assert canonical(state) == before, command
        answers.add(objection is None)
        if state.command_refusal(made.payload) is not None:
            continue
        applied = copy.deepcopy(state)
        applied.apply(made)
        applied.settle()
        assert objection == (None if (reason := applied._refusal(made)) is None
                             else Objection(None, reason, clash=True)), command
    assert answers == {True, False}  # both kinds were judged


def test_a_fact_is_judged_as_if_the_ones_before_it_in_the_command_were_recorded() -> None:
    operation = Operation(4)
    state = operation.state
    waiting = next(p.person_id for p in state.persons.values() if p.status == "waiting")
    before = canonical(state)
    off = operation.facts(("PersonDisembarked", {"person_id": waiting, "vehicle_id": "bus4"}))
    assert state.would_refuse(off) == Objection(
        None, f"person {waiting} is not on vehicle bus4", clash=True)
    onto = operation.facts(
        ("VehicleRegistered", {"vehicle_id": "bus4", "kind": "bus", "label": "4",
                               "capacity": 9}),
        ("ConvoyPlanned", {"convoy_id": "c4", "label": "C4", "route_id": "r1",
                           "vehicle_ids": ["bus4"]}),
        ("PersonBoarded", {"person_id": waiting, "vehicle_id": "bus4"}),
        ("PersonDisembarked", {"person_id": waiting, "vehicle_id": "bus4"}))
    assert state.would_refuse(onto) is None
    twice = operation.facts(
        ("HouseholdRegistered", household(operation.device, "h9", 2)["payload"]),
        ("HouseholdRegistered", {**household(operation.device, "h10", 1)["payload"],
                                 "members": [{"person_id": "h9-1", "given_name": "B"}]}))
    assert state.would_refuse(twice) == Objection(
        "members.0.person_id", "person h9-1 is already registered", clash=True)
    assert canonical(state) == before


def test_a_layer_reads_through_and_keeps_its_writes_to_itself() -> None:
    base: dict[str, list[str]] = {"a": ["x"], "b": ["y"]}
    layer = Layer(base)
    layer["a"].append("z")
    del layer["b"]
    layer["c"] = ["w"]
    assert dict(layer.items()) == {"a": ["x", "z"], "c": ["w"]} and "b" not in layer
    assert layer.pop("c") == ["w"] and layer.get("c") is None and len(layer) == 1
    assert base == {"a": ["x"], "b": ["y"]}
