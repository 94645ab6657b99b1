"""Appending to and reading the audit log of reads, a hash chain of its own.

Writers serialise on the audit log's head (`audit_meta`): SQLite by `BEGIN
IMMEDIATE`, PostgreSQL by locking its one row. It is not the ledger's lock, so a
read is recorded without waiting for a push or a projection pass, and a push never
waits for a read to be recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from corridor.ledger.chain import audit_link, utc_text
from corridor.storage.database import DatabaseError
from corridor.storage.schema import audit_log, audit_meta, audit_subjects


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One recorded read, with the people it showed."""

    id: int
    at: datetime
    username: str
    action: str
    why: str
    subject: str
    everyone: bool
    chain: str
    persons: tuple[str, ...]

    def link(self, previous: str) -> str:
        return audit_link(previous, self.id, utc_text(self.at), self.username, self.action,
                          self.why, self.subject, list(self.persons), self.everyone)


@contextmanager
def writing(engine: Engine) -> Iterator[tuple[Connection, int, str]]:
    """A transaction holding the audit log's head: (connection, last id, last chain)."""
    with engine.connect() as conn:
        conn = conn.execution_options(corridor_writer=True)
        with conn.begin():
            row = conn.execute(select(audit_meta.c.head_id, audit_meta.c.head_chain)
                               .where(audit_meta.c.id == 1).with_for_update()).first()
            if row is None:
                raise DatabaseError("the database is not initialised: run `corridor init`")
            yield conn, int(row.head_id), str(row.head_chain)


def append(conn: Connection, row: AuditRow) -> None:
    conn.execute(insert(audit_log).values(
        id=row.id, at=row.at, username=row.username, action=row.action, why=row.why,
        subject=row.subject, everyone=row.everyone, chain=row.chain))
    if row.persons:
        conn.execute(insert(audit_subjects), [{"audit_id": row.id, "person_id": person}
                                              for person in row.persons])
    conn.execute(update(audit_meta).where(audit_meta.c.id == 1)
                 .values(head_id=row.id, head_chain=row.chain))


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_meta.c.head_id, audit_meta.c.head_chain)).one()
    return int(row.head_id), str(row.head_chain)


def utc(moment: datetime) -> datetime:
    # SQLite gives back its times without an offset; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def with_persons(conn: Connection, rows: Sequence[Any], contiguous: bool = False) -> list[AuditRow]:
    """Audit rows as read, each with the people it recorded. `contiguous`: the rows are
    every row between the first and the last (a range is then cheaper than a list)."""
    if not rows:
        return []
    shown: dict[int, list[str]] = defaultdict(list)
    column = audit_subjects.c.audit_id
    query = select(column, audit_subjects.c.person_id).where(
        column.between(rows[0].id, rows[-1].id) if contiguous
        else column.in_([r.id for r in rows]))
    for audit_id, person_id in conn.execute(query):
        shown[audit_id].append(person_id)
    return [AuditRow(r.id, utc(r.at), r.username, r.action, r.why, r.subject, r.everyone,
                     r.chain, tuple(sorted(shown[r.id]))) for r in rows]


def read(conn: Connection, batch: int = 5000) -> Iterator[AuditRow]:
    """Every audit row in order, streamed in keyset pages."""
    after = -1
    while True:
        rows = conn.execute(select(audit_log).where(audit_log.c.id > after)
                            .order_by(audit_log.c.id).limit(batch)).all()
        yield from with_persons(conn, rows, contiguous=True)
        if len(rows) < batch:
            return
        after = rows[-1].id
