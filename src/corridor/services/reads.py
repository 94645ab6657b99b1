"""Every read the API and the web UI make of the operation: scoped, shaped, audited.

Three rules, each kept in one place:
- **what a role sees of a record**: `domain.visibility` (one role × field table);
  every record leaves here through `visibility.shape`;
- **which records a field account sees**: its post's task (`scope_of`). A registrar
  sees the people waiting at their gathering point and those boarding vehicles there;
  a checkpoint monitor, the vehicles expected at their checkpoint and who is aboard;
  reception, the vehicles heading to it and whom to check in. An account without a
  post sees nobody. Coordinators, the tracing desk and admins are not scoped;
- **every read of personal data is audited** (`access.audited`) with who, what and
  how much.

A review with a checkpoint monitor's token downloaded all 35,014 people with their
whereabouts from `GET /api/persons` in 36 requests; through here it gets the people
on the buses it is about to count, without their status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, false, or_, select
from sqlalchemy.sql import ColumnElement

from corridor.domain import boarding
from corridor.domain.visibility import SCOPED, STAFF, may_read, shape, shape_all
from corridor.domain.vocabulary import ConvoyState, Role, Status
from corridor.services import queries
from corridor.services.audit import audited, ids
from corridor.services.ledger import Ledger, Principal
from corridor.storage.schema import convoys, households, persons, routes, vehicles

T = TypeVar("T")
WEB = "web"  # the device id of a web UI session (web.page.principal)
# Convoys a checkpoint still expects: not arrived, returned or aborted.
EN_ROUTE = frozenset({ConvoyState.PLANNED, ConvoyState.DEPARTED, ConvoyState.HELD,
                      ConvoyState.TURNED_BACK})
# Who a field post sees on a vehicle: those aboard, and at reception whoever is still
# to be checked in. Removed or arrived people have left its task.
ABOARD = frozenset({Status.ON_VEHICLE})
TO_CHECK_IN = frozenset({Status.ON_VEHICLE, Status.UNACCOUNTED})


class ReadRefused(Exception):
    """A read this account may not make: the status (403, 404 or 422) and the field."""

    def __init__(self, status: int, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field


@dataclass(frozen=True, slots=True)
class Scope:
    """What a field account's post gives it: the vehicles whose manifests it reads (and
    who on them), and for a registrar the gathering point whose waiting people it reads."""

    vehicle_ids: frozenset[str]
    statuses: frozenset[str]
    gathering_point_id: str | None = None

    def persons(self) -> ColumnElement[bool]:
        """The persons in scope, as a condition on `queries.PERSON_ROW`."""
        on_vehicles = (persons.c.vehicle_id.in_(sorted(self.vehicle_ids))
                       & persons.c.status.in_(sorted(self.statuses))) \
            if self.vehicle_ids else false()
        waiting = (households.c.gathering_point_id == self.gathering_point_id) \
            & (persons.c.status == Status.WAITING) if self.gathering_point_id else false()
        return or_(on_vehicles, waiting)


NOTHING = Scope(frozenset(), frozenset())


def _vehicles(conn: Connection, states: frozenset[str],
              on_route: Callable[[Any], bool]) -> frozenset[str]:
    """Vehicles whose current convoy is in one of `states` on a route `on_route` accepts."""
    query = (select(vehicles.c.vehicle_id, routes)
             .join(convoys, convoys.c.convoy_id == vehicles.c.convoy_id)
             .join(routes, routes.c.route_id == convoys.c.route_id)
             .where(convoys.c.state.in_(sorted(states))))
    return frozenset(row.vehicle_id for row in conn.execute(query) if on_route(row))


def scope_of(conn: Connection, principal: Principal) -> Scope | None:
    """The records a field account's task needs; None for roles that are not scoped."""
    if principal.role not in SCOPED:
        return None
    post = principal.post_id
    if post is None:
        return NOTHING
    if principal.role == Role.CHECKPOINT_MONITOR:
        return Scope(_vehicles(conn, EN_ROUTE, lambda r: post in r.checkpoint_ids), ABOARD)
    if principal.role == Role.RECEPTION:
        heading = _vehicles(conn, EN_ROUTE - {ConvoyState.TURNED_BACK},
                            lambda r: r.destination_id == post)
        # Arrived: only while someone on it is still to be checked in.
        arrived = _vehicles(conn, frozenset({ConvoyState.ARRIVED}),
                            lambda r: r.destination_id == post)
        waited_for = set(conn.execute(select(persons.c.vehicle_id).where(
            persons.c.vehicle_id.in_(sorted(arrived)), persons.c.status == Status.UNACCOUNTED,
            queries.COUNTED)).scalars())
        return Scope(heading | (arrived & waited_for), TO_CHECK_IN)
    boarding_here = _vehicles(conn, frozenset({ConvoyState.PLANNED}),
                              lambda r: r.origin_id == post)
    return Scope(boarding_here, ABOARD, post)


def audit_action(principal: Principal, action: str) -> str:
    """The audit row's action; a read through the web UI says so."""
    return f"web: {action}" if principal.device_id == WEB else action


def _role_may(kind: str, principal: Principal) -> None:
    if not may_read(kind, principal.role):
        raise ReadRefused(403, f"the {principal.role} role may not read {kind} records")


def _persons(conn: Connection, scope: Scope | None, *where: ColumnElement[bool],
             limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    query = queries.PERSON_ROW.where(queries.COUNTED, *where)
    if scope is not None:
        query = query.where(scope.persons())
    query = query.order_by(*queries.PERSON_ORDER).offset(offset)
    return queries.with_needs(conn, queries.dicts(conn, query if limit is None
                                                  else query.limit(limit)))


# --- people -------------------------------------------------------------------------------

def list_persons(engine: Engine, principal: Principal, *, status: str | None = None,
                 vehicle_id: str | None = None, household_id: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """People, in household order: everyone for the roles that see whereabouts, the
    people of a field account's task for the others."""
    _role_may("person", principal)
    if principal.role in SCOPED and status is not None:
        # Filtering by status would tell whereabouts the table does not give.
        raise ReadRefused(403, f"the {principal.role} role may not filter by status",
                          "status")
    where = [column == value for column, value in ((persons.c.status, status),
                                                   (persons.c.vehicle_id, vehicle_id),
                                                   (persons.c.household_id, household_id))
             if value is not None]

    def read(conn: Connection) -> list[dict[str, Any]]:
        rows = _persons(conn, scope_of(conn, principal), *where, limit=limit, offset=offset)
        return shape_all("person", principal.role, rows)

    return audited(engine, principal, audit_action(principal, "list persons"), read, lambda rows: (
        f"status={status} vehicle={vehicle_id} household={household_id} offset={offset} "
        f"returned={len(rows)}"), persons=ids)


def person(engine: Engine, principal: Principal, person_id: str) -> dict[str, Any]:
    _role_may("person", principal)

    def read(conn: Connection) -> dict[str, Any] | None:
        found = _persons(conn, scope_of(conn, principal), persons.c.person_id == person_id)
        return shape("person", principal.role, found[0]) if found else None

    found = audited(engine, principal, audit_action(principal, "view person"), read, person_id,
                    persons=lambda _: [person_id])
    if found is None:
        raise ReadRefused(404, f"person {person_id} is not known", "person_id")
    return found


def household(engine: Engine, principal: Principal, household_id: str,
              action: str = "view household") -> dict[str, Any]:
    """A household and those of its members the account may see; audited as `action`."""
    _role_may("household", principal)

    def read(conn: Connection) -> dict[str, Any] | None:
        scope = scope_of(conn, principal)
        row = conn.execute(select(households).where(
            households.c.household_id == household_id)).first()
        if row is None:
            return None
        if scope is not None and row.gathering_point_id != scope.gathering_point_id:
            return None
        members = _persons(conn, scope, persons.c.household_id == household_id)
        return shape("household", principal.role, {
            **row._mapping, "members": shape_all("person", principal.role, members)})

    found = audited(engine, principal, audit_action(principal, action), read,
                    household_id, persons=lambda found: ids(found.get("members", [])))
    if found is None:
        raise ReadRefused(404, f"household {household_id} is not known", "household_id")
    return found


def boarding_queue(ledger: Ledger, principal: Principal, gathering_point_id: str | None,
                   limit: int) -> list[dict[str, Any]]:
    """Households waiting, in boarding order; a registrar's are those of their post."""
    _role_may("queue_entry", principal)
    if principal.role in SCOPED:
        if gathering_point_id not in (None, principal.post_id):
            raise ReadRefused(403, "a registrar reads the queue of their own gathering "
                              "point", "gathering_point_id")
        gathering_point_id = principal.post_id or ""

    # Read from the folded state before the audit opens a connection: never wait for the
    # ledger's lock while holding one.
    entries = ledger.read(lambda state: boarding.queue(state, gathering_point_id))
    rows = shape_all("queue_entry", principal.role, [queue_entry(h) for h in entries[:limit]])
    return audited(ledger.engine, principal, audit_action(principal, "boarding queue"),
                   lambda _: rows,
                   lambda _: f"gathering_point={gathering_point_id} returned={len(rows)}",
                   persons=_named_in)


def queue_entry(entry: boarding.QueuedHousehold) -> dict[str, Any]:
    return {"household_id": entry.household_id, "token": entry.token,
            "priority": entry.priority, "waiting": len(entry.person_ids),
            "person_ids": list(entry.person_ids), "needs": list(entry.needs)}


def manifest(engine: Engine, principal: Principal, vehicle_id: str) -> dict[str, Any]:
    """Who is on a vehicle, with its convoy and headcounts; to a field post only the
    vehicles of its task, and on them only the people it deals with."""
    _role_may("manifest", principal)

    def read(conn: Connection) -> dict[str, Any] | None:
        scope = scope_of(conn, principal)
        if scope is not None and vehicle_id not in scope.vehicle_ids:
            return None
        found = queries.manifest(conn, vehicle_id)
        if found is None:
            return None
        if scope is not None:
            found["persons"] = [p for p in found["persons"] if p["status"] in scope.statuses]
        return shaped_manifest(principal.role, found)

    found = audited(engine, principal, audit_action(principal, "view manifest"), read, vehicle_id,
                    persons=lambda found: ids(found["persons"]))
    if found is None:
        raise ReadRefused(404, f"vehicle {vehicle_id} is not known", "vehicle_id")
    return found


def shaped_manifest(role: Role, found: dict[str, Any]) -> dict[str, Any]:
    return shape("manifest", role, {
        **found, "vehicle": shape("vehicle", role, found["vehicle"]),
        "convoy": found["convoy"] and shape("convoy", role, found["convoy"]),
        "persons": shape_all("person", role, found["persons"]),
        "passages": shape_all("passage", role, found["passages"])})


# --- accounting ---------------------------------------------------------------------------

def alerts(engine: Engine, principal: Principal, status: str | None) -> list[dict[str, Any]]:
    """Alerts (open, resolved or all); a field post's are those of its vehicles."""
    _role_may("alert", principal)

    def read(conn: Connection) -> list[dict[str, Any]]:
        scope = scope_of(conn, principal)
        found = queries.list_alerts(conn, status)
        if scope is not None:
            found = [a for a in found if a["vehicle_id"] in scope.vehicle_ids]
        return shape_all("alert", principal.role, found)

    return audited(engine, principal, audit_action(principal, "list alerts"), read,
                    lambda rows: f"status={status} returned={len(rows)}", persons=_named_in)


def alerts_overview(engine: Engine, principal: Principal, unaccounted_shown: int,
                    resolved_shown: int) -> dict[str, Any]:
    """The alerts page in one read: open alerts and the latest resolved (a field post's,
    those of its vehicles); for the roles that see whereabouts, the unaccounted too
    and the people the open alerts name."""
    _role_may("alert", principal)
    whereabouts = may_read("unaccounted", principal.role)

    def read(conn: Connection) -> dict[str, Any]:
        scope = scope_of(conn, principal)
        found = queries.list_alerts(conn, None)
        if scope is not None:
            found = [a for a in found if a["vehicle_id"] in scope.vehicle_ids]
        resolved = sorted((a for a in found if a["status"] == "resolved"),
                          key=lambda a: a["resolved_at"], reverse=True)[:resolved_shown]
        open_alerts = [a for a in found if a["status"] == "open"]
        missing, named = [], []
        if whereabouts:
            missing = _persons(conn, None, persons.c.status == Status.UNACCOUNTED,
                               limit=unaccounted_shown)
            wanted = {p for a in open_alerts for p in a["person_ids"]}
            named = _persons(conn, None, persons.c.person_id.in_(sorted(wanted)))
        return {"open_alerts": shape_all("alert", principal.role, open_alerts),
                "resolved": shape_all("alert", principal.role, resolved),
                "missing": shape_all("person", principal.role, missing),
                "total_missing": queries.counts(conn)["by_status"][Status.UNACCOUNTED]
                if whereabouts else None,
                "people": {p["person_id"]: shape("person", principal.role, p)
                           for p in named + missing}}

    return audited(engine, principal, audit_action(principal, "view alerts"), read,
                   lambda view: f"open={len(view['open_alerts'])} "
                   f"unaccounted_shown={len(view['missing'])}",
                   persons=lambda view: list(view["people"]))


def unaccounted(engine: Engine, principal: Principal) -> dict[str, Any]:
    """People nobody can place, and the open alerts that say why."""
    _role_may("unaccounted", principal)

    def read(conn: Connection) -> dict[str, Any]:
        return {"persons": shape_all("person", principal.role, _persons(
                    conn, None, persons.c.status == Status.UNACCOUNTED)),
                "alerts": shape_all("alert", principal.role, queries.list_alerts(conn, "open"))}

    return audited(engine, principal, audit_action(principal, "list unaccounted"), read,
                    lambda found: f"returned={len(found['persons'])}",
                    persons=lambda found: ids(found["persons"]) + _named_in(found["alerts"]))


def incidents(engine: Engine, principal: Principal) -> list[dict[str, Any]]:
    """The incident log; its free text (who reported, what happened) may name people, so
    a staff read is audited, a field post reads those at its post or on its vehicles,
    and partners get neither the text nor small casualty counts."""
    _role_may("incident", principal)

    def read(conn: Connection) -> list[dict[str, Any]]:
        scope = scope_of(conn, principal)
        found = queries.list_incidents(conn)
        if scope is not None:
            found = [i for i in found if i["vehicle_id"] in scope.vehicle_ids
                     or (i["location_id"] is not None and i["location_id"] == principal.post_id)]
        return shape_all("incident", principal.role, found)

    return audited(engine, principal, audit_action(principal, "list incidents"), read, _personal(
        principal, lambda rows: f"returned={len(rows)}"))


def conflicts(engine: Engine, principal: Principal) -> list[dict[str, Any]]:
    _role_may("conflict", principal)
    return audited(engine, principal, audit_action(principal, "list conflicts"),
                    lambda conn: shape_all("conflict", principal.role,
                                           queries.list_conflicts(conn)),
                    lambda rows: f"returned={len(rows)}")


def rejects(engine: Engine, principal: Principal) -> list[dict[str, Any]]:
    _role_may("reject", principal)
    return audited(engine, principal, audit_action(principal, "list rejects"),
                    lambda conn: shape_all("reject", principal.role, queries.list_rejects(conn)),
                    lambda rows: f"returned={len(rows)}")


# --- the aggregate picture: no names, so not audited ----------------------------------------

def convoy_board(engine: Engine, principal: Principal) -> list[dict[str, Any]]:
    """Every convoy with its route and where each vehicle is: counts, no names."""
    with engine.connect() as conn:
        board = queries.convoy_board(conn)
    return [shape("convoy", principal.role, {
        **convoy, "vehicles": shape_all("convoy_vehicle", principal.role, convoy["vehicles"])})
        for convoy in board]


def _named_in(rows: list[dict[str, Any]]) -> list[str]:
    """The people alerts or queue entries name by id (when the role sees those ids)."""
    return [p for row in rows for p in row.get("person_ids", [])]


def _personal(principal: Principal,
              subject: Callable[[T], str | None]) -> Callable[[T], str | None]:
    """An audit subject for staff only: what a partner reads holds nothing personal."""
    return subject if principal.role in STAFF else lambda _: None
