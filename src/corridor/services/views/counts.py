"""The operation's counts from the state: people by status and by specific need (a
merged duplicate is not counted), households, open alerts. The same figures
`queries.counts` reads from the projections, so now and any earlier moment agree."""

from __future__ import annotations

from typing import Any

from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Need, Status


def counts(state: OperationState) -> dict[str, Any]:
    by_status = {s.value: 0 for s in Status}
    by_need = {n.value: {s.value: 0 for s in Status} for n in Need}
    for person in state.persons.values():
        if person.merged_into is None:
            by_status[person.status] += 1
            for need in person.needs:
                by_need[need][person.status] += 1
    return {"registered": sum(by_status.values()), "households": len(state.households),
            "by_status": by_status, "by_need": by_need,
            "open_alerts": sum(alert.status == "open" for alert in state.alerts.values())}
