"""Boarding rules the server enforces when it decides who boards (pure functions).

A device that boarded people offline has recorded a fact, and the fold accepts it
(raising an alert if the vehicle is over capacity). When the server itself is asked
to board people it refuses what the guidance forbids: more people than seats, or a
household split without a stated reason. The queue puts households with the most
urgent specific need first, then keeps registration order.
"""

from __future__ import annotations

from dataclasses import dataclass

from corridor.domain.events import PersonBoarded
from corridor.domain.state import FINISHED, OperationState, Person
from corridor.domain.vocabulary import (
    NEED_PRIORITY,
    NO_NEED_PRIORITY,
    ConvoyState,
    Need,
    Status,
)


class BoardingRefused(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class QueuedHousehold:
    household_id: str
    token: str | None
    priority: int  # lower boards first
    person_ids: tuple[str, ...]
    needs: tuple[str, ...]


def _priority(people: list[Person]) -> int:
    return min((NEED_PRIORITY[Need(n)] for p in people for n in p.needs),
               default=NO_NEED_PRIORITY)


def queue(state: OperationState, gathering_point_id: str | None = None) -> list[QueuedHousehold]:
    """Households with someone waiting, in boarding order."""
    result = []
    for household in state.households.values():
        if gathering_point_id and household.gathering_point_id != gathering_point_id:
            continue
        waiting = [state.persons[p] for p in state.members[household.household_id]
                   if state.persons[p].status == Status.WAITING
                   and state.persons[p].merged_into is None]
        if not waiting:
            continue
        needs = tuple(sorted({n for p in waiting for n in p.needs}))
        result.append((household.registered_at, QueuedHousehold(
            household.household_id, household.token, _priority(waiting),
            tuple(p.person_id for p in waiting), needs)))
    result.sort(key=lambda item: (item[1].priority, item[0], item[1].household_id))
    return [entry for _, entry in result]


def _open_vehicle(state: OperationState, vehicle_id: str) -> int:
    """Free seats on a vehicle that is still boarding."""
    vehicle = state.vehicles.get(vehicle_id)
    if vehicle is None:
        raise BoardingRefused("vehicle_id", f"vehicle {vehicle_id} is not known")
    convoy_state = state.vehicle_convoy_state(vehicle)
    if convoy_state is not None and convoy_state not in (ConvoyState.PLANNED, ConvoyState.HELD):
        raise BoardingRefused("vehicle_id", f"vehicle {vehicle_id} is {convoy_state}, "
                              "boarding is closed")
    if convoy_state is None or convoy_state in FINISHED:
        raise BoardingRefused("vehicle_id", f"vehicle {vehicle_id} is not in a planned convoy")
    return vehicle.capacity - len(state.on_board[vehicle_id])


def board(state: OperationState, vehicle_id: str, person_ids: list[str],
          override_reason: str = "") -> list[PersonBoarded]:
    """Board the named people, refusing a full vehicle or a split household unless a
    reason is given."""
    free = _open_vehicle(state, vehicle_id)
    chosen = list(dict.fromkeys(person_ids))
    if not chosen:
        raise BoardingRefused("person_ids", "name at least one person to board")
    for person_id in chosen:
        person = state.persons.get(person_id)
        if person is None:
            raise BoardingRefused("person_ids", f"person {person_id} is not registered")
        if person.status != Status.WAITING:
            raise BoardingRefused("person_ids", f"person {person_id} is {person.status}, "
                                  "not waiting")
    if len(chosen) > free and not override_reason:
        raise BoardingRefused("person_ids", f"vehicle {vehicle_id} has {free} free seats for "
                              f"{len(chosen)} people; give a reason to exceed its capacity")
    if not override_reason:
        left_behind = _split(state, chosen)
        if left_behind:
            raise BoardingRefused("person_ids", "households are kept together: also board "
                                  + ", ".join(left_behind) + " or give a reason")
    return [PersonBoarded(person_id=p, vehicle_id=vehicle_id, override_reason=override_reason)
            for p in chosen]


def _split(state: OperationState, chosen: list[str]) -> list[str]:
    """Waiting members of the chosen people's households who are not chosen."""
    picked = set(chosen)
    households = dict.fromkeys(state.persons[p].household_id for p in chosen)
    return [m for h in households for m in state.members[h]
            if m not in picked and state.persons[m].status == Status.WAITING
            and state.persons[m].merged_into is None]


def household_by_token(state: OperationState, token: str) -> list[str]:
    household_id = state.tokens.get(token)
    if household_id is None:
        raise BoardingRefused("token", f"no household holds token {token}")
    return [p for p in state.members[household_id]
            if state.persons[p].status == Status.WAITING and state.persons[p].merged_into is None]


def fill(state: OperationState, vehicle_id: str) -> list[PersonBoarded]:
    """Fill the free seats from the queue at the route's origin, whole households in
    priority order; a household too big for the seats left waits for the next vehicle."""
    free = _open_vehicle(state, vehicle_id)
    vehicle = state.vehicles[vehicle_id]
    origin = state.routes[state.convoys[vehicle.convoy_id or ""].route_id].origin_id
    chosen: list[str] = []
    for household in queue(state, origin):
        if len(household.person_ids) <= free - len(chosen):
            chosen += household.person_ids
    if not chosen:
        raise BoardingRefused("vehicle_id", f"nobody waiting at {origin} fits on {vehicle_id}")
    return [PersonBoarded(person_id=p, vehicle_id=vehicle_id) for p in chosen]
