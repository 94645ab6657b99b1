"""The operation's figures as of a moment (now, or any earlier one), shaped by role:
the dashboard's and `GET /api/operation`'s one source."""

from __future__ import annotations

from typing import Any

from corridor.domain.visibility import shape
from corridor.services import queries
from corridor.services.ledger import Ledger, Principal
from corridor.services.timeline import Moment, read_at
from corridor.services.views.counts import counts


def operation(ledger: Ledger, principal: Principal, when: Moment) -> dict[str, Any]:
    """The operation and its counts at `when`, small counts suppressed for partners."""
    with ledger.engine.connect() as conn:
        info = queries.operation_info(conn)
    return {"operation": info and shape("operation", principal.role, info),
            "counts": shape("counts", principal.role, read_at(ledger, when, counts))}
