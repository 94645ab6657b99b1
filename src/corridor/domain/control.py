"""What a coordinator may decide about a convoy in each of its states.

A coordinator's decision is checked against this table before it is recorded
(`OperationState.command_refusal`); the web UI shows only the actions it allows.
Facts recorded in the field are not: the fold keeps them whatever they say and lists
those that do not fit (a hold after an abort) as conflicts (movement.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from corridor.domain import events as ev
from corridor.domain.entities import Convoy
from corridor.domain.vocabulary import ConvoyState

if TYPE_CHECKING:
    from corridor.domain.state import Objection, OperationState


class Action(StrEnum):
    """A decision about a convoy, as the web UI's URLs name it."""

    DEPART = "depart"
    HOLD = "hold"
    RELEASE = "release"
    TURN_BACK = "turn-back"
    RETURN = "return"
    ABORT = "abort"


# The fact each decision records.
FACT: dict[Action, type[ev.Payload]] = {
    Action.DEPART: ev.ConvoyDeparted, Action.HOLD: ev.ConvoyHeld,
    Action.RELEASE: ev.ConvoyReleased, Action.TURN_BACK: ev.ConvoyTurnedBack,
    Action.RETURN: ev.ConvoyReturned, Action.ABORT: ev.ConvoyAborted,
}
ACTION_OF: dict[str, Action] = {fact.__name__: action for action, fact in FACT.items()}
ConvoyFact = (ev.ConvoyDeparted | ev.ConvoyHeld | ev.ConvoyReleased | ev.ConvoyTurnedBack
              | ev.ConvoyReturned | ev.ConvoyAborted)

# Convoy state -> the decisions possible in it. A convoy may be held before it departs
# (at its gathering point); held, it is released first, or turned back if it had left.
POSSIBLE: dict[ConvoyState, frozenset[Action]] = {
    ConvoyState.PLANNED: frozenset({Action.DEPART, Action.HOLD, Action.ABORT}),
    ConvoyState.DEPARTED: frozenset({Action.HOLD, Action.TURN_BACK}),
    ConvoyState.HELD: frozenset({Action.RELEASE, Action.TURN_BACK}),
    ConvoyState.TURNED_BACK: frozenset({Action.RETURN}),
    ConvoyState.RETURNED: frozenset(),
    ConvoyState.ARRIVED: frozenset(),
    ConvoyState.ABORTED: frozenset(),
}


def possible(convoy: Convoy) -> frozenset[Action]:
    """The decisions this convoy allows now: a convoy held before it left cannot be
    turned back (the fold would wait for a departure that never comes)."""
    actions = POSSIBLE[ConvoyState(convoy.state)]
    return actions if convoy.departed_at else actions - {Action.TURN_BACK}


def convoy_objection(state: OperationState, payload: ConvoyFact) -> Objection | None:
    """Why a coordinator may not record this convoy fact now: the convoy unknown, the
    decision impossible in its state, a place not on its route, or nobody aboard."""
    from corridor.domain.state import Objection

    convoy_id = payload.convoy_id
    convoy = state.convoys.get(convoy_id)
    if convoy is None:
        return Objection("convoy_id", f"convoy {convoy_id} is not known")
    action = ACTION_OF[type(payload).__name__]
    if action not in possible(convoy):
        return Objection("state", f"convoy {convoy_id} is {convoy.state}: it cannot be "
                         f"recorded as {action} now", clash=True)
    place = getattr(payload, "location_id", None)
    route = state.routes[convoy.route_id]
    if place is not None and place not in (route.origin_id, *route.checkpoint_ids,
                                           route.destination_id):
        return Objection("location_id", f"{place} is not on the route of convoy {convoy_id}")
    if action == Action.DEPART and not any(state.on_board.get(v) for v in convoy.vehicle_ids):
        return Objection("aboard", f"nobody is aboard convoy {convoy_id}", clash=True)
    return None
