"""Reads of the operation's current state, from the projection tables.

Each function returns plain dicts ready for JSON, templates or CSV, every field of
the record: who may see which of them, and which records, `services.reads` decides
(with `domain.visibility`) and audits. Entrypoints read through there, not here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select

from corridor.domain.entities import claims_another
from corridor.domain.vocabulary import Need, Status
from corridor.storage.schema import (
    alerts,
    conflicts,
    convoys,
    duplicate_reviews,
    events,
    households,
    incidents,
    locations,
    operation,
    parties,
    passages,
    person_needs,
    persons,
    rejects,
    rejects_not_kept,
    vehicles,
)

# A record merged into another is a duplicate of that person, not a person.
COUNTED = persons.c.merged_into.is_(None)


def dicts(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(query)]


def operation_info(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(operation)).first()
    return dict(row._mapping) if row else None


def counts(conn: Connection) -> dict[str, Any]:
    """People by status and by specific need; every status always present, so the
    statuses visibly add up to the registered total."""
    by_status = {s.value: 0 for s in Status}
    for status, n in conn.execute(select(persons.c.status, func.count()).where(COUNTED)
                                  .group_by(persons.c.status)):
        by_status[status] = n
    by_need: dict[str, dict[str, int]] = {n.value: {s.value: 0 for s in Status} for n in Need}
    query = (select(person_needs.c.need, persons.c.status, func.count())
             .join(persons, persons.c.person_id == person_needs.c.person_id)
             .where(COUNTED).group_by(person_needs.c.need, persons.c.status))
    for need, status, n in conn.execute(query):
        by_need[need][status] = n
    households_n = conn.execute(select(func.count()).select_from(households)).scalar_one()
    open_alerts = conn.execute(select(func.count()).select_from(alerts)
                               .where(alerts.c.status == "open")).scalar_one()
    return {"registered": sum(by_status.values()), "households": households_n,
            "by_status": by_status, "by_need": by_need, "open_alerts": open_alerts}


def with_needs(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["person_id"] for row in rows]
    needs: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        query = select(person_needs).where(person_needs.c.person_id.in_(ids[start:start + 500]))
        for person_id, need in conn.execute(query):
            needs.setdefault(person_id, []).append(need)
    for row in rows:
        row["needs"] = sorted(needs.get(row["person_id"], []))
    return rows


PERSON_ORDER = (persons.c.household_id, persons.c.position)
# A person with their household's boarding token, the label families and staff use.
PERSON_ROW = select(persons, households.c.token).outerjoin(
    households, households.c.household_id == persons.c.household_id)


def person(conn: Connection, person_id: str) -> dict[str, Any] | None:
    rows = dicts(conn, PERSON_ROW.where(persons.c.person_id == person_id))
    return with_needs(conn, rows)[0] if rows else None


def places(conn: Connection, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(locations).order_by(locations.c.kind, locations.c.name)
    return dicts(conn, query.where(locations.c.kind == kind) if kind else query)


def all_parties(conn: Connection) -> list[dict[str, Any]]:
    return dicts(conn, select(parties).order_by(parties.c.kind, parties.c.name))


def vehicle(conn: Connection, vehicle_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(vehicles).where(vehicles.c.vehicle_id == vehicle_id)).first()
    return dict(row._mapping) if row else None


def manifest(conn: Connection, vehicle_id: str) -> dict[str, Any] | None:
    """Everyone recorded on a vehicle for its current trip, with their status now."""
    found = vehicle(conn, vehicle_id)
    if found is None:
        return None
    convoy = conn.execute(select(convoys).where(convoys.c.convoy_id == found["convoy_id"])
                          ).first() if found["convoy_id"] else None
    aboard = PERSON_ROW.where(persons.c.vehicle_id == vehicle_id,
                              persons.c.status != Status.WAITING)
    people = with_needs(conn, dicts(conn, aboard.order_by(*PERSON_ORDER)))
    passed = dicts(conn, select(passages).where(passages.c.vehicle_id == vehicle_id)
                   .order_by(passages.c.passed_at))
    return {"vehicle": found, "convoy": dict(convoy._mapping) if convoy else None,
            "persons": people, "passages": passed,
            "on_board": sum(p["status"] == Status.ON_VEHICLE for p in people)}


def labels(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """Each convoy's label and each vehicle's, by id (a form's choices)."""
    return ({row.convoy_id: row.label for row in conn.execute(
                select(convoys.c.convoy_id, convoys.c.label))},
            {row.vehicle_id: row.label for row in conn.execute(
                select(vehicles.c.vehicle_id, vehicles.c.label))})


def attested(rows: list[dict[str, Any]], author: str, pushed_by: str) -> list[dict[str, Any]]:
    """Flag the rows whose recorder, as the device wrote it (`author`), is not the
    account that pushed the fact (`pushed_by`, attested by the server): someone
    recording in another's name, or a shared phone."""
    for row in rows:
        row["recorder_mismatch"] = claims_another(row[author], row[pushed_by])
    return rows


def list_alerts(conn: Connection, status: str | None = "open") -> list[dict[str, Any]]:
    query = select(alerts).order_by(alerts.c.opened_at.desc(), alerts.c.alert_id)
    return attested(dicts(conn, query.where(alerts.c.status == status) if status else query),
                    "resolved_by", "resolved_pushed_by")


def list_incidents(conn: Connection) -> list[dict[str, Any]]:
    return attested(dicts(conn, select(incidents).order_by(incidents.c.occurred_at.desc())),
                    "recorded_by", "pushed_by")


def list_conflicts(conn: Connection) -> list[dict[str, Any]]:
    """Conflicts with who recorded each fact: the device's author and the account that
    pushed it."""
    query = (select(conflicts, events.c.author.label("recorded_by"), events.c.device_id,
                    events.c.pushed_by)
             .outerjoin(events, events.c.seq == conflicts.c.seq)
             .order_by(conflicts.c.seq.desc()))
    return attested(dicts(conn, query), "recorded_by", "pushed_by")


def list_rejects(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    return dicts(conn, select(rejects).order_by(rejects.c.id.desc()).limit(limit))


def list_rejects_not_kept(conn: Connection) -> list[dict[str, Any]]:
    """Per account and device over the cap: how many rejects were not kept."""
    c = rejects_not_kept.c
    return dicts(conn, select(rejects_not_kept).order_by(c.count.desc(), c.pushed_by,
                                                          c.device_id))


_NAME_FIELDS = ("person_id", "given_name", "father_name", "family_name", "sex", "birth_year",
                "status")


def merged_pairs(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """Records merged into another (`persons.merged_into`), most recent merge first, each
    with the record it was merged into."""
    kept = persons.alias("kept")
    review = duplicate_reviews
    query = (select(*(persons.c[f].label(f"merged_{f}") for f in _NAME_FIELDS),
                    *(kept.c[f].label(f"kept_{f}") for f in _NAME_FIELDS),
                    review.c.decided_at, review.c.decided_by, review.c.decided_pushed_by)
             .join(kept, kept.c.person_id == persons.c.merged_into)
             .outerjoin(review, and_(review.c.person_id == persons.c.merged_into,
                                     review.c.other_id == persons.c.person_id))
             .where(persons.c.merged_into.is_not(None))
             .order_by(review.c.decided_at.desc().nulls_last(), persons.c.person_id)
             .limit(limit))
    pairs = []
    for row in conn.execute(query):
        m = row._mapping
        pairs.append({"merged": {f: m[f"merged_{f}"] for f in _NAME_FIELDS},
                      "kept": {f: m[f"kept_{f}"] for f in _NAME_FIELDS},
                      "decided_at": m["decided_at"], "decided_by": m["decided_by"],
                      "decided_pushed_by": m["decided_pushed_by"]})
    return pairs
