"""Rate limits shared by every server process, kept in the database.

A limit counted in one process's memory lets a second worker (or a restart) allow as
much again, so each counted attempt — a search that gives names, a failed sign-in — is
a row in `limit_hits`, and every process counts the same rows. Counting and adding one
happen in one transaction serialised per key (SQLite: the write lock; PostgreSQL: an
advisory lock on the key), so two processes cannot both take the last place. Rows
past their window are deleted as the key is next used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select

from corridor.storage.database import immediate
from corridor.storage.schema import limit_hits


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` attempts per subject within a sliding `window`."""

    name: str  # what is counted, in the key and in the message: "searches", ...
    count: int
    window: timedelta


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many {what}: try again in {retry_after} s")
        self.retry_after = retry_after


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from now until `moment`, rounded up (a Retry-After); 0 if past."""
    return max(0, math.ceil((moment - now).total_seconds()))


def _key(limit: Limit, subject: str) -> str:
    return f"{limit.name}:{subject}"[:200]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset


def _lock(conn: Connection, key: str) -> None:
    if conn.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _hits(conn: Connection, key: str, since: datetime) -> list[datetime]:
    query = (select(limit_hits.c.at).where(limit_hits.c.key == key, limit_hits.c.at > since)
             .order_by(limit_hits.c.at))
    return [_utc(at) for at in conn.scalars(query)]


def _add(conn: Connection, key: str, now: datetime, since: datetime) -> None:
    conn.execute(delete(limit_hits).where(limit_hits.c.key == key, limit_hits.c.at <= since))
    conn.execute(insert(limit_hits).values(key=key, at=now))


def take(engine: Engine, limit: Limit, subject: str, now: datetime | None = None) -> None:
    """Count one attempt by `subject`, or refuse it (counting nothing) with RateLimited
    when the window already holds `limit.count`."""
    now = now or datetime.now(UTC)
    key, since = _key(limit, subject), now - limit.window
    with immediate(engine) as conn:
        _lock(conn, key)
        hits = _hits(conn, key, since)
        if len(hits) >= limit.count:
            oldest = hits[len(hits) - limit.count]
            raise RateLimited(limit.name, max(1, seconds_until(oldest + limit.window, now)))
        _add(conn, key, now, since)


def recent(engine: Engine, limit: Limit, subject: str,
           now: datetime | None = None) -> list[datetime]:
    """The subject's attempts within the window, oldest first."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        return _hits(conn, _key(limit, subject), now - limit.window)


def note(engine: Engine, limit: Limit, subject: str, now: datetime | None = None) -> int:
    """Count one attempt unconditionally (a failure that already happened); the number
    now within the window."""
    now = now or datetime.now(UTC)
    key, since = _key(limit, subject), now - limit.window
    with immediate(engine) as conn:
        _lock(conn, key)
        _add(conn, key, now, since)
        return len(_hits(conn, key, since))


def clear(engine: Engine, limit: Limit, subject: str) -> None:
    with immediate(engine) as conn:
        conn.execute(delete(limit_hits).where(limit_hits.c.key == _key(limit, subject)))
