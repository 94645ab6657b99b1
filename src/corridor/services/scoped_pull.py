"""The scoped pull: what a field device needs for its post's task, and what changed.

A registrar's tablet, a monitor's phone at a checkpoint and reception's phone sync
through here, never through the whole ledger (`GET /api/sync/pull` is for admins and
replication): a registrar gets their gathering point's waiting households and its
boarding queue, and the vehicles boarding there; a monitor, the vehicles expected at
the checkpoint with who is aboard; reception, the vehicles heading to it with whom to
check in. The records are the read services' (`reads.scope_of` decides the scope,
`domain.visibility` the fields), so a device never holds more than its account could
read through the API — and every answer with names in it is audited.

It is a delta by cursor. Every projection row of the people, households, vehicles
and convoys carries the ledger seq of the pass that wrote it (`changed_seq`), so
"changed since" is an indexed query. An answer holds:
- `vehicle_ids`: every vehicle in scope (the device drops the others), and
  `vehicles`: those changed since the cursor — the vehicle, its convoy, its
  headcounts, or anyone on or off it — each whole, with the ids of the people on it;
- `persons` and `households`: only those changed since the cursor, or come into
  scope since (their vehicle entered it);
- `queue`: the registrar's whole boarding queue when anything in it may have changed,
  else null;
- `gone`: ids of people and households that left the scope since the cursor; the
  device deletes them. A person leaves a post's scope only by a fact about them
  (boarded, departed, arrived, checked in, removed, disembarked, stayed) or about
  their vehicle, so the rows changed since the cursor find them all;
- `cursor`: to send next time. It names the role and post it was made for: a cursor
  made for another post (the account was moved) gets the whole scope again;
- `conflicts`: every conflict the record holds on an event this account pushed
  (`events.pushed_by`), `{event_id, reason, waiting}`, the whole list each time: it
  is small, and a conflict that goes (what it waited for arrived) must go on the
  phone too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from corridor.domain import boarding
from corridor.domain.visibility import shape, shape_all
from corridor.domain.vocabulary import Role
from corridor.services import queries
from corridor.services.audit import audited, ids
from corridor.services.ledger import Ledger, Principal
from corridor.services.reads import (
    ReadRefused,
    Scope,
    audit_action,
    queue_entry,
    scope_of,
)
from corridor.storage import ledger_store
from corridor.storage.database import epoch_of
from corridor.storage.schema import (
    conflicts,
    convoys,
    events,
    households,
    passages,
    persons,
    routes,
    vehicles,
)

MAX_CURSOR = 2**62  # far past any ledger; a bigger one is refused, not a database error


def _key(principal: Principal) -> str:
    return f"{principal.role}:{principal.post_id or ''}"


def cursor_of(seq: int, principal: Principal) -> str:
    return f"{seq}:{_key(principal)}"


def since_of(cursor: str | None, principal: Principal) -> int:
    """The seq a cursor stands for; 0 (everything) for none, or one made for another
    role or post."""
    if not cursor:
        return 0
    seq, _, key = cursor.partition(":")
    if not seq.isdigit() or int(seq) > MAX_CURSOR:
        raise ReadRefused(422, "since: not a cursor this server gave", "since")
    return int(seq) if key == _key(principal) else 0


def _sources(conn: Connection, principal: Principal) -> list[str]:
    """The gathering points whose people can come into this post's scope."""
    post = principal.post_id
    if principal.role == Role.REGISTRAR:
        return [post] if post else []
    return sorted({row.origin_id for row in conn.execute(select(routes))
                   if post in row.checkpoint_ids or row.destination_id == post})


def _vehicles(conn: Connection, role: Role, scope: Scope,
              sent: frozenset[str]) -> list[dict[str, Any]]:
    """The vehicles `sent`, each whole: the vehicle, its convoy, its headcounts and who of
    the scope is on it."""
    ids = sorted(sent)
    aboard: dict[str, list[str]] = {}
    for person_id, vehicle_id in conn.execute(
            select(persons.c.person_id, persons.c.vehicle_id)
            .where(persons.c.vehicle_id.in_(ids), persons.c.status.in_(sorted(scope.statuses)),
                   queries.COUNTED).order_by(*queries.PERSON_ORDER)):
        aboard.setdefault(vehicle_id, []).append(person_id)
    # Headcounts of the vehicle's present convoy only: a bus back for another trip has
    # not been counted on this one.
    counted: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in queries.dicts(conn, select(passages).where(passages.c.vehicle_id.in_(ids))
                             .order_by(passages.c.passed_at)):
        counted.setdefault((row["vehicle_id"], row["convoy_id"]), []).append(row)
    result = []
    for vehicle in queries.dicts(conn, select(vehicles).where(vehicles.c.vehicle_id.in_(ids))
                                 .order_by(vehicles.c.vehicle_id)):
        convoy = queries.dicts(conn, select(convoys).where(
            convoys.c.convoy_id == vehicle["convoy_id"]))
        result.append({"vehicle": shape("vehicle", role, vehicle),
                       "convoy": shape("convoy", role, convoy[0]) if convoy else None,
                       "passages": shape_all("passage", role, counted.get(
                           (vehicle["vehicle_id"], vehicle["convoy_id"]), [])),
                       "person_ids": aboard.get(vehicle["vehicle_id"], [])})
    return result


def _changed_vehicles(conn: Connection, since: int) -> set[str]:
    """Vehicles whose row or whose convoy's row was written since the cursor."""
    query = (select(vehicles.c.vehicle_id)
             .outerjoin(convoys, convoys.c.convoy_id == vehicles.c.convoy_id)
             .where(or_(vehicles.c.changed_seq > since, convoys.c.changed_seq > since)))
    return set(conn.execute(query).scalars())


def _pull(conn: Connection, queue: list[dict[str, Any]] | None, principal: Principal,
          cursor: str | None) -> dict[str, Any]:
    role = principal.role
    since = since_of(cursor, principal)
    # The watermark first: rows read after it are at least that new, and any written
    # since come again next time (a device applies a record twice harmlessly).
    _, projected = ledger_store.positions(conn)
    scope = scope_of(conn, principal)
    if scope is None:
        raise ReadRefused(403, f"the {role} role syncs through the whole-ledger pull")
    changed_vehicles = _changed_vehicles(conn, since)
    entered = scope.vehicle_ids & changed_vehicles
    fresh = or_(persons.c.changed_seq > since, persons.c.vehicle_id.in_(sorted(entered)))
    delta = queries.with_needs(conn, queries.dicts(conn, queries.PERSON_ROW.where(
        queries.COUNTED, scope.persons(), fresh).order_by(*queries.PERSON_ORDER)))
    gone = _gone(conn, principal, scope, since, changed_vehicles) if since else []
    # A vehicle is sent whole when it, its convoy or anyone on or off it changed; a
    # registrar's few boarding vehicles always (a person who got off is waiting again,
    # still in scope, so nothing else would say they left the vehicle).
    sent = scope.vehicle_ids if since == 0 or role == Role.REGISTRAR else scope.vehicle_ids & (
        changed_vehicles | {p["vehicle_id"] for p in delta} | {g.vehicle_id for g in gone})
    answer: dict[str, Any] = {
        "epoch": epoch_of(conn), "cursor": cursor_of(projected, principal),
        "full": since == 0, "post": principal.post_id,
        "vehicle_ids": sorted(scope.vehicle_ids),
        "vehicles": _vehicles(conn, role, scope, sent),
        "persons": shape_all("person", role, delta), "households": [], "queue": None,
        "gone": {"persons": sorted(g.person_id for g in gone), "households": []},
        "conflicts": _conflicts(conn, principal)}
    if role == Role.REGISTRAR and scope.gathering_point_id:
        here = households.c.gathering_point_id == scope.gathering_point_id
        touched = {p["household_id"] for p in delta} | {g.household_id for g in gone} | set(
            conn.execute(
            select(households.c.household_id).where(here, households.c.changed_seq > since)
        ).scalars())
        waiting = set(conn.execute(select(persons.c.household_id).join(
            households, households.c.household_id == persons.c.household_id).where(
            queries.COUNTED, scope.persons(), persons.c.household_id.in_(sorted(touched))))
            .scalars())
        answer["households"] = shape_all("household", role, queries.dicts(conn, select(
            households).where(households.c.household_id.in_(sorted(waiting)))
            .order_by(households.c.registered_at, households.c.household_id)))
        answer["gone"]["households"] = sorted(touched - waiting) if since else []
        if since == 0 or touched or gone:
            answer["queue"] = queue
    return answer


def _conflicts(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    """The conflicts held on the events this account pushed, oldest first."""
    return queries.dicts(conn, select(conflicts.c.event_id, conflicts.c.reason,
                                      conflicts.c.waiting)
                         .join(events, events.c.id == conflicts.c.event_id)
                         .where(events.c.pushed_by == principal.username)
                         .order_by(conflicts.c.seq))


def _gone(conn: Connection, principal: Principal, scope: Scope, since: int,
          changed_vehicles: set[str]) -> list[Any]:
    """People who left the scope since the cursor, with their households: changed since,
    from a gathering point whose people come through this post, or on a vehicle that
    left the scope, and not in scope now."""
    left = sorted(changed_vehicles - scope.vehicle_ids)
    query = (select(persons.c.person_id, persons.c.household_id, persons.c.vehicle_id)
             .join(households, households.c.household_id == persons.c.household_id)
             .where(or_(persons.c.changed_seq > since, persons.c.vehicle_id.in_(left)),
                    households.c.gathering_point_id.in_(_sources(conn, principal)),
                    ~(queries.COUNTED & scope.persons()))
             )
    return list(conn.execute(query))


def pull(engine: Engine, ledger: Ledger, principal: Principal,
         cursor: str | None) -> dict[str, Any]:
    """A field device's scope, or what changed in it since `cursor`; audited whenever
    it carries anyone's name."""
    queue = None
    if principal.role == Role.REGISTRAR and principal.post_id:
        # From the folded state, before a connection is opened: never wait for the
        # ledger's lock while holding one.
        point = principal.post_id
        entries = ledger.read(lambda state: boarding.queue(state, point))
        queue = shape_all("queue_entry", principal.role, [queue_entry(e) for e in entries])
    return audited(engine, principal, audit_action(principal, "scoped pull"),
                   lambda conn: _pull(conn, queue, principal, cursor),
                   lambda answer: (f"since={cursor or 0} persons={len(answer['persons'])} "
                                   f"households={len(answer['households'])}")
                   if answer["persons"] or answer["households"] else None,
                   persons=lambda answer: ids(answer["persons"]) + [
                       p for v in answer["vehicles"] for p in v["person_ids"]])
