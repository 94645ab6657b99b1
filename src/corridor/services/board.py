"""The convoy board, the convoy page and trip manifests, as of any moment.

Each reads the state through `timeline.read_at` (now, or as the record stood at an
earlier moment: the same code), computes its view (`views.convoys`,
`views.manifests`) and shapes it by role (`domain.visibility`); a manifest names
people, so reading one is audited and a field account reads only its task's.
"""

from __future__ import annotations

from typing import Any

from corridor.domain.visibility import may_read, shape, shape_all
from corridor.services.audit import ids, record_read
from corridor.services.ledger import Ledger, Principal
from corridor.services.reads import ReadRefused, audit_action, scope_of
from corridor.services.timeline import NOW, Moment, read_at
from corridor.services.views import convoys, manifests
from corridor.services.views.convoys import Filters


def seq_now(ledger: Ledger) -> int:
    """The last event the state holds: a page showing it has nothing new to fetch."""
    return ledger.read(lambda state: state.seq)


def convoy_board(ledger: Ledger, principal: Principal, filters: Filters,
                 when: Moment = NOW) -> dict[str, Any]:
    """One page of convoys with each vehicle's trip figures: counts, no names."""
    found = read_at(ledger, when, lambda state: convoys.board(state, filters))
    return {**found, "convoys": [_shaped_convoy(principal, c) for c in found["convoys"]]}


def convoy(ledger: Ledger, principal: Principal, convoy_id: str,
           when: Moment = NOW) -> dict[str, Any]:
    """The convoy page's record; ReadRefused(404) for a convoy not planned by then."""
    found = read_at(ledger, when, lambda state: convoys.convoy_page(state, convoy_id))
    if found is None:
        raise ReadRefused(404, f"convoy {convoy_id} is not known", "convoy_id")
    row = {**_shaped_convoy(principal, found), "seq": found["seq"], "actions": found["actions"]}
    row["history"] = shape_all("convoy_event", principal.role, found["history"])
    row["stops"] = [{**stop, "counted": shape_all("convoy_count", principal.role,
                                                  stop["counted"])} for stop in found["stops"]]
    return row


def trip_manifest(ledger: Ledger, principal: Principal, vehicle_id: str,
                  convoy_id: str | None = None, when: Moment = NOW) -> dict[str, Any]:
    """Who boarded a vehicle for one convoy (without `convoy_id`, its current or last
    trip), under that convoy's header, with the trip's headcounts; to a field post only
    the vehicles of its task, and on them only the people it deals with. Audited."""
    if not may_read("manifest", principal.role):
        raise ReadRefused(403, f"the {principal.role} role may not read manifest records")
    with ledger.engine.connect() as conn:
        scope = scope_of(conn, principal)
    found = None
    if scope is None or vehicle_id in scope.vehicle_ids:
        found = read_at(ledger, when,
                        lambda state: manifests.trip_manifest(state, vehicle_id, convoy_id))
    if found is None:
        raise ReadRefused(404, f"vehicle {vehicle_id} is not known"
                          + (f" in convoy {convoy_id}" if convoy_id else ""), "vehicle_id")
    if scope is not None:
        found["persons"] = [p for p in found["persons"] if p["status"] in scope.statuses]
    trip = found["convoy"]["convoy_id"] if found["convoy"] else "-"
    subject = f"{vehicle_id} in convoy {trip}" + ("" if when.now else f" as of {when.seq}")
    record_read(ledger.engine, principal, audit_action(principal, "view manifest"), subject,
                persons=ids(found["persons"]))
    role = principal.role
    return shape("manifest", role, {
        **found, "vehicle": shape("vehicle", role, found["vehicle"]),
        "convoy": found["convoy"] and shape("convoy", role, found["convoy"]),
        "route": found["route"],
        "persons": shape_all("person", role, found["persons"]),
        "passages": shape_all("passage", role, found["passages"])})


def _shaped_convoy(principal: Principal, convoy: dict[str, Any]) -> dict[str, Any]:
    return shape("convoy", principal.role, {
        **convoy, "vehicles": shape_all("convoy_vehicle", principal.role, convoy["vehicles"])})
