"""Reading and appending ledger rows. Callers hold the write lock (database.writing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, String, any_, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql

from corridor.ledger.chain import StoredEvent
from corridor.storage.bulk import insert_rows
from corridor.storage.schema import events, ledger_meta, rejects, rejects_not_kept

_COLUMNS = [events.c[name] for name in StoredEvent.__dataclass_fields__]


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(ledger_meta.c.head_seq, ledger_meta.c.head_chain)).one()
    return int(row.head_seq), str(row.head_chain)


def attested_from(conn: Connection) -> int:
    """The first sequence number whose chain hash covers `pushed_by`."""
    return int(conn.execute(select(ledger_meta.c.attested_from)).scalar_one())


def set_attested_from(conn: Connection, seq: int) -> None:
    conn.execute(update(ledger_meta).where(ledger_meta.c.id == 1).values(attested_from=seq))


def positions(conn: Connection) -> tuple[int, int]:
    """(last event appended, last event whose projections are written)."""
    row = conn.execute(select(ledger_meta.c.head_seq, ledger_meta.c.projected_seq)).one()
    return int(row.head_seq), int(row.projected_seq)


def mark_projected(conn: Connection, seq: int) -> None:
    conn.execute(update(ledger_meta).where(ledger_meta.c.id == 1).values(projected_seq=seq))


def known_digests(conn: Connection, ids: list[str]) -> dict[str, tuple[int, str]]:
    """For the ids already in the ledger: their sequence and content digest."""
    found: dict[str, tuple[int, str]] = {}
    columns = (events.c.id, events.c.seq, events.c.digest)
    if conn.dialect.name == "postgresql":
        # One array parameter: an IN list of 500 makes a new statement text every time,
        # too long for psycopg's prepared-statement cache.
        chunks = [select(*columns).where(events.c.id == any_(
            bindparam("ids", ids, type_=postgresql.ARRAY(String))))]
    else:  # stay under SQLite's parameter limit
        chunks = [select(*columns).where(events.c.id.in_(ids[start:start + 500]))
                  for start in range(0, len(ids), 500)]
    for query in chunks:
        found.update({row.id: (int(row.seq), row.digest) for row in conn.execute(query)})
    return found


def append(conn: Connection, rows: list[StoredEvent]) -> None:
    if not rows:
        return
    insert_rows(conn, events, [row_dict(row) for row in rows])
    last = rows[-1]
    conn.execute(update(ledger_meta).where(ledger_meta.c.id == 1)
                 .values(head_seq=last.seq, head_chain=last.chain))


def row_dict(event: StoredEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in StoredEvent.__dataclass_fields__}


def keep_rejects(conn: Connection, rows: list[dict[str, Any]], pushed_by: str, device_id: str,
                 cap: int, received_at: str) -> int:
    """Keep the rejects one push from this account and device gave, up to `cap` kept
    for them in all; count the rest. Returns how many were not kept. The first ones
    are what a review needs (a broken device repeats itself), and a device that
    only sends garbage cannot fill the disk."""
    if not rows:
        return 0
    kept = conn.execute(select(func.count()).select_from(rejects).where(
        rejects.c.pushed_by == pushed_by, rejects.c.device_id == device_id)).scalar_one()
    room = max(cap - int(kept), 0)
    if room:
        conn.execute(rejects.insert(), [{**row, "pushed_by": pushed_by, "device_id": device_id}
                                        for row in rows[:room]])
    over = len(rows) - min(room, len(rows))
    if over:
        sender = (rejects_not_kept.c.pushed_by == pushed_by,
                  rejects_not_kept.c.device_id == device_id)
        counted = conn.execute(update(rejects_not_kept).where(*sender).values(
            count=rejects_not_kept.c.count + over, last_received_at=received_at))
        if not counted.rowcount:  # callers hold the write lock: no one else inserts it
            conn.execute(rejects_not_kept.insert().values(
                pushed_by=pushed_by, device_id=device_id, count=over,
                last_received_at=received_at))
    return over


def read(conn: Connection, after: int = 0, limit: int | None = None) -> Iterator[StoredEvent]:
    """Whole events in sequence order after `after`, streamed in batches."""
    for row in _pages(conn, _COLUMNS, after, limit):
        yield StoredEvent(*row)


FACT_COLUMNS = [events.c[name] for name in ("seq", "id", "type", "payload", "recorded_at",
                                             "author", "device_id", "pushed_by")]


def fact_rows(conn: Connection, after: int = 0, upto: int | None = None) -> Iterator[Any]:
    """Only what the fold needs, for rebuilds and catching up: (seq, id, type,
    payload, recorded_at, author, device_id, pushed_by); up to `upto` if given."""
    return _pages(conn, FACT_COLUMNS, after, None if upto is None else max(0, upto - after))


def seq_received_by(conn: Connection, moment: str) -> int:
    """The last sequence number the server had received by `moment` (UTC ISO-8601
    text, as `received_at` is stored): 0 before the first."""
    found = conn.execute(select(func.max(events.c.seq))
                         .where(events.c.received_at <= moment)).scalar()
    return int(found or 0)


def _pages(conn: Connection, columns: list[Any], after: int, limit: int | None,
           batch: int = 5000) -> Iterator[Any]:
    # Keyset pages rather than one cursor: the connection stays usable between pages.
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        query = select(*columns).where(events.c.seq > after).order_by(events.c.seq).limit(size)
        rows = conn.execute(query).all()
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1].seq
        if remaining is not None:
            remaining -= len(rows)


def days(conn: Connection, departure_type: str,
         after: int = 0) -> list[tuple[str, int, int, int]]:
    """Per day the server received events on (UTC, as `received_at` is stored), for
    the events after `after`: (the day as YYYY-MM-DD, how many events, the last
    sequence number of the day, how many were of `departure_type`), oldest first."""
    day = func.substr(events.c.received_at, 1, 10).label("day")
    departures = func.sum(case((events.c.type == departure_type, 1), else_=0))
    rows = conn.execute(select(day, func.count(), func.max(events.c.seq), departures)
                        .where(events.c.seq > after).group_by(day).order_by(day)).all()
    return [(str(row[0]), int(row[1]), int(row[2]), int(row[3] or 0)) for row in rows]


def received_at(conn: Connection, seq: int) -> str | None:
    """When the server received event `seq` (UTC ISO-8601 text); None if there is none."""
    found = conn.execute(select(events.c.received_at).where(events.c.seq == seq)).scalar()
    return None if found is None else str(found)
