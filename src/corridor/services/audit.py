"""The audit log of reads: who read which people's data, what, why and when.

Every read of personal data is recorded before the data is returned (`audited`,
`record_read`), with the ids of the people it showed (`audit_subjects`), so a
person's record can say who looked at it (`who_looked_at`). A read of the whole
registry (a backup, an export of every person, a batch duplicate search) is marked
`everyone` instead of listing every id: it showed every person.

The log is hash-chained like the ledger, on a head of its own (`audit_meta`): each
row's hash covers the previous row's hash and the row's content, people included,
so `verify_audit` (run by `corridor verify`) names the first row edited, deleted or
inserted, the last one included (the head says how many rows there are).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, func, select, union_all

from corridor.ledger.chain import GENESIS
from corridor.services.ledger import Principal
from corridor.storage import audit_store
from corridor.storage.audit_store import AuditRow
from corridor.storage.schema import audit_log, audit_subjects

T = TypeVar("T")
SUBJECT_LENGTH = 2000
PAGE = 50  # rows the admin page and a person's reads show at a time


def audited(engine: Engine, principal: Principal, action: str, read: Callable[[Connection], T],
            subject: str | Callable[[T], str | None], *, why: str = "",
            persons: Callable[[Any], Iterable[str]] | None = None) -> T:
    """Read personal data, then record the read (`record_read`) before it is returned.
    Nothing is recorded when the read found nothing (None) or `subject` gives None.
    `persons` gives the ids of the people the result (never None) shows.

    The read and the audit row are two transactions: one transaction that read and
    then wrote would have to upgrade its lock, and SQLite refuses that at once
    (`database is locked`, no busy wait) whenever another writer got in between."""
    with engine.connect() as conn:
        found = read(conn)
    if found is None:
        return found
    said = subject(found) if callable(subject) else subject
    if said is not None:
        record_read(engine, principal, action, said, why=why,
                    persons=persons(found) if persons else ())
    return found


def ids(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The people a list of person rows shows, for `persons=`."""
    return [row["person_id"] for row in rows]


def record_read(engine: Engine, principal: Principal, action: str, subject: str, *,
                why: str = "", persons: Iterable[str] = (), everyone: bool = False) -> int:
    """Record a read of personal data — who, when, what, why and whom — in a short
    transaction of its own that holds the audit log's head; returns the row's id."""
    return _append(engine, principal.username, action, subject, why,
                   tuple(sorted(set(persons))), everyone)


def record_event(engine: Engine, username: str, action: str, subject: str) -> int:
    """Record a security event (a failed sign-in, a lockout) under the name it concerns,
    which need not be an account; chained like the reads."""
    return _append(engine, username[:64], action, subject, "", (), False)


def _append(engine: Engine, username: str, action: str, subject: str, why: str,
            shown: tuple[str, ...], everyone: bool) -> int:
    with audit_store.writing(engine) as (conn, last_id, last_chain):
        row = AuditRow(last_id + 1, datetime.now(UTC), username, action[:60], why,
                       subject[:SUBJECT_LENGTH], everyone, "", shown)
        row = AuditRow(**{**_fields(row), "chain": row.link(last_chain)})
        audit_store.append(conn, row)
    return row.id


def _fields(row: AuditRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in AuditRow.__slots__}


# --- verifying the chain ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditVerification:
    checked: int
    broken: int | None  # the id of the first row that does not verify
    reason: str | None
    head: str = GENESIS  # the last row's chain hash: a copy kept elsewhere proves no rewrite

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify_audit(engine: Engine) -> AuditVerification:
    """Walk the audit chain from the first row; name the first row whose hash does not
    follow from its content and its predecessor, the first missing row, or a head
    that says more (or fewer) rows than there are."""
    with engine.connect() as conn:
        previous, expected, count = GENESIS, 1, 0
        for row in audit_store.read(conn):
            count += 1
            if row.id != expected:
                return AuditVerification(count, expected, f"audit row {expected} is missing "
                                         f"(the next row is {row.id})")
            if row.link(previous) != row.chain:
                return AuditVerification(count, row.id, f"audit row {row.id} does not match "
                                         "its hash (it, the people it names or the row "
                                         "before it was changed)")
            previous, expected = row.chain, expected + 1
        head_id, head_chain = audit_store.head(conn)
        if head_id != count or head_chain != previous:
            missing = count + 1 if head_id > count else head_id + 1
            return AuditVerification(count, missing, f"the audit log's head says {head_id} "
                                     f"rows, the chain holds {count}: row {missing} "
                                     + ("is missing" if head_id > count else
                                        "was added outside the chain"))
    return AuditVerification(count, None, None, previous)


# --- reading the log ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    person_id: str | None = None
    day: date | None = None


def _filtered(where: AuditFilter) -> Select[Any]:
    query = select(audit_log)
    if where.username:
        query = query.where(audit_log.c.username == where.username)
    if where.action:
        query = query.where(audit_log.c.action == where.action)
    if where.day is not None:
        start = datetime(where.day.year, where.day.month, where.day.day, tzinfo=UTC)
        query = query.where(audit_log.c.at >= start, audit_log.c.at < start + timedelta(days=1))
    if where.person_id:
        # Two index lookups: the reads that named the person, and those of everyone.
        ids = union_all(
            select(audit_subjects.c.audit_id.label("id"))
            .where(audit_subjects.c.person_id == where.person_id),
            select(audit_log.c.id).where(audit_log.c.everyone.is_(True))).subquery()
        query = query.where(audit_log.c.id.in_(select(ids.c.id)))
    return query


def search(engine: Engine, where: AuditFilter, offset: int = 0,
           limit: int = PAGE) -> tuple[int, list[AuditRow]]:
    """(how many rows match, one page of them, newest first)."""
    query = _filtered(where)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(audit_log.c.id.desc())
                            .offset(offset).limit(limit)).all()
        return int(total), audit_store.with_persons(conn, rows)


def who_looked_at(engine: Engine, principal: Principal, person_id: str, offset: int = 0,
                  limit: int = PAGE) -> tuple[int, list[AuditRow]]:
    """The recorded reads that showed a person, newest first. Asking is recorded too:
    it says the person's id and who has been looking."""
    found = search(engine, AuditFilter(person_id=person_id), offset, limit)
    record_read(engine, principal, "view reads of person", person_id, persons=[person_id])
    return found


def actions(engine: Engine) -> list[str]:
    """Every kind of read recorded so far, for the admin page's filter."""
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.action).distinct()
                                 .order_by(audit_log.c.action)).scalars())


def rows_of(engine: Engine) -> Iterator[AuditRow]:
    """Every row in order (tests and the CLI)."""
    with engine.connect() as conn:
        yield from audit_store.read(conn)
