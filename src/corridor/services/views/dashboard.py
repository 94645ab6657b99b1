"""The dashboard's figures, from the state at any moment.

In the order a coordinator reads them: who is unaccounted for, who is on a vehicle and
how many convoys are on the road, then arrived, waiting, removed, stayed and the
registered total; what explains that total (records in the duplicate queue that may
be one person registered twice, records merged into another and no longer counted);
and how many people each checkpoint counted, and reception checked in, per day.
A pure function of the state: now and any earlier moment are the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from corridor.domain.movement import MOVING
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Need, Status

ARRIVALS = "arrivals"  # the chart's series of people checked in at reception


def figures(state: OperationState, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The dashboard of `state`. `pairs` are the duplicate queue's pairs of person ids
    (services.tracing), decided or not, perhaps found later: those of records in
    `state`, undecided and unmerged there, are awaiting review."""
    by_status = {s.value: 0 for s in Status}
    by_need = {n.value: {s.value: 0 for s in Status} for n in Need}
    merged = 0
    for person in state.persons.values():
        if person.merged_into is not None:
            merged += 1
            continue
        by_status[person.status] += 1
        for need in person.needs:
            by_need[need][person.status] += 1
    on_the_road = [c for c in state.convoys.values()
                   if c.state in MOVING and c.departed_at is not None]
    vehicles = sum(1 for c in on_the_road for v in c.vehicle_ids
                   if state.vehicles[v].convoy_id == c.convoy_id
                   and state.vehicles[v].arrived_at_id is None)
    persons = state.persons
    awaiting = sum(1 for a, b in pairs if a in persons and b in persons
                   and (min(a, b), max(a, b)) not in state.duplicate_reviews
                   and persons[a].merged_into is None and persons[b].merged_into is None)
    return {"registered": sum(by_status.values()), "households": len(state.households),
            "by_status": by_status, "by_need": by_need,
            "open_alerts": sum(a.status == "open" for a in state.alerts.values()),
            "convoys_on_the_road": len(on_the_road), "vehicles_on_the_road": vehicles,
            "awaiting_review": awaiting, "merged": merged,
            "movements": movements(state)}


def checkpoints(state: OperationState) -> list[str]:
    """The checkpoints in the order routes pass them (first route first)."""
    seen: dict[str, None] = {}
    for route in state.routes.values():
        seen.update(dict.fromkeys(route.checkpoint_ids))
    return list(seen)


QUIET_DAYS_SHOWN = 14  # the longest run of days without movement the chart draws


def movements(state: OperationState) -> dict[str, dict[str, int]]:
    """Day (UTC date) → checkpoint → people counted there that day, and → ARRIVALS →
    people checked in at reception that day; days in order, every series on each."""
    series = [*checkpoints(state), ARRIVALS]
    days: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(series, 0))
    for passage in state.passages.values():
        row = days[passage.passed_at.date().isoformat()]
        row[passage.checkpoint_id] = row.get(passage.checkpoint_id, 0) + passage.headcount
    for person in state.persons.values():
        if person.status == Status.ARRIVED and person.merged_into is None \
                and person.status_at is not None:
            days[person.status_at.date().isoformat()][ARRIVALS] += 1
    # A day nobody moved is shown as such (a stalled operation is news), between days
    # that did; a longer gap (a demo touched years later) is left out, not drawn.
    found = sorted(date.fromisoformat(day) for day in days)
    for before, after in pairwise(found):
        if (after - before).days <= QUIET_DAYS_SHOWN:
            for n in range(1, (after - before).days):
                days.setdefault((before + timedelta(days=n)).isoformat(),
                                dict.fromkeys(series, 0))
    return {day: days[day] for day in sorted(days)}
