"""The operation at a glance, now or as of any moment: what the dashboard and
`GET /api/operation` show, every count suppressed for partners (`domain.visibility`).

Counts only, no names, so nothing here is audited. The duplicate queue's pairs come
from the tracing service's finder, kept up to date as people register; for an earlier
moment, those of its pairs whose two records existed then (a pair depends only on
the two records, so it was a pair then too), which spares a search of every record
from scratch (5 s at 35,000 people).
"""

from __future__ import annotations

from typing import Any

from corridor.domain.visibility import shape
from corridor.services import queries, timeline
from corridor.services.app import Corridor
from corridor.services.ledger import Principal
from corridor.services.timeline import Moment
from corridor.services.views import dashboard


def operation(app: Corridor, principal: Principal, when: Moment) -> dict[str, Any]:
    """The operation and its figures at `when`, shaped for `principal`'s role."""
    pairs = app.ledger.read(
        lambda state: [(a, b) for _, a, b in app.tracing.duplicates.pairs(state)])
    figures = timeline.read_at(app.ledger, when,
                               lambda state: dashboard.figures(state, pairs))
    with app.engine.connect() as conn:
        info = queries.operation_info(conn)
    return {"operation": info and shape("operation", principal.role, info),
            "counts": shape("counts", principal.role, figures)}
