"""The use cases that record facts: one function per thing a user does, each one
command of the ledger (all its facts or none). The API, the web UI, the importer and
the CLI call these; the field app's facts, recorded offline, go through sync to the
same fold, which holds the rules both obey (`OperationState.command_refusal`,
`registration_problems`). So a rule is written once, and an entrypoint only turns its
input into a use case's input and the outcome or `Refused` into its own answer.

    setup.py         the operation, parties, places, routes, vehicles, convoys
    registration.py  households and the people in them; staying behind
    movement.py      boarding, convoy moves, headcounts, removals, arrival, check-in
    accounting.py    alerts and incidents
    tracing.py       searching, tracing requests and the duplicate queue

Inputs are pydantic models (the API's request bodies are these same models) or the
facts themselves where a fact is all a use case needs. Every use case returns what
it recorded: the ledger's sequence numbers, and the ids it made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from corridor.domain.events import Payload
from corridor.domain.state import OperationState
from corridor.services.ledger import Ledger, Principal

Decision = Callable[[OperationState], list[Payload]]


@dataclass(frozen=True, slots=True)
class Recorded:
    recorded: list[int]  # the ledger's sequence numbers of the facts recorded


def record(ledger: Ledger, who: Principal, decide: Decision | Payload) -> Recorded:
    """Record one fact, or the facts a decision on the current state returns."""
    if isinstance(decide, Payload):
        fact = decide
        return Recorded(ledger.execute(who, lambda _: [fact]))
    return Recorded(ledger.execute(who, decide))


def new_id() -> str:
    return str(uuid.uuid4())
