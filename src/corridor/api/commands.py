"""The role check of the resources that record facts, before their input is read."""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from corridor.api.context import require
from corridor.domain.permissions import MAY_RECORD
from corridor.domain.vocabulary import Role


def may_record(*event_types: str) -> Any:
    """A dependency admitting the roles allowed to record all of these event types
    (typed Any, as FastAPI's Depends is, so it can stand as a parameter default)."""
    roles = [role for role in Role if all(t in MAY_RECORD[role] for t in event_types)]
    return Depends(require(*roles))
