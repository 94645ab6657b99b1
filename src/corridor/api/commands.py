"""Helpers shared by the resources that record facts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import Depends

from corridor.api.context import Corridor, require
from corridor.domain.events import Payload
from corridor.domain.permissions import MAY_RECORD
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Role
from corridor.services.ledger import Principal


def may_record(*event_types: str) -> Any:
    """A dependency admitting the roles allowed to record all of these event types
    (typed Any, as FastAPI's Depends is, so it can stand as a parameter default)."""
    roles = [role for role in Role if all(t in MAY_RECORD[role] for t in event_types)]
    return Depends(require(*roles))


def record(app: Corridor, principal: Principal,
           decide: Callable[[OperationState], list[Payload]] | Payload) -> dict[str, Any]:
    """Record one payload, or the payloads a decision on the current state returns."""
    if isinstance(decide, Payload):
        payload = decide
        seqs = app.ledger.execute(principal, lambda _: [payload])
    else:
        seqs = app.ledger.execute(principal, decide)
    return {"recorded": seqs}


def new_id() -> str:
    return str(uuid.uuid4())
