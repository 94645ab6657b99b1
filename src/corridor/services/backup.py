"""Backups of the ledger and the accounts, and restores that give the database a new
epoch.

A backup is the ledger itself as JSON lines, hashes included: everything else in the
record is derived from it. Its first line also carries the accounts — password hashes
and the SHA-256 of every device token — so that after a restore the devices' tokens
still work and they can re-send what they hold; that is why the file is readable by
its owner only (`files.private_file`). A restore goes into an empty database, which
gets a new epoch on creation, so every device learns that it must re-send what it
holds (events the backup already had come back as duplicates). The restored chain
is verified before anything is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from sqlalchemy import DateTime, Engine, Table, func, select

from corridor.config import token_lifetime
from corridor.ledger.chain import StoredEvent, first_broken_link
from corridor.services.audit import record_read
from corridor.services.ledger import Ledger, Principal
from corridor.storage import ledger_store
from corridor.storage.database import DatabaseError, writing
from corridor.storage.schema import api_tokens, events, users

FORMAT = "corridor-ledger/3"
# Version 1 carried no accounts; versions before 3 no `attested_from`: every event in
# them was chained without the account that pushed it.
FORMATS = ("corridor-ledger/1", "corridor-ledger/2", FORMAT)
ACCOUNTS = (users, api_tokens)  # in the order they are restored (tokens refer to users)


class RestoreFailed(Exception):
    pass


def backup(engine: Engine, out: IO[bytes], principal: Principal,
           progress: Callable[[int], None] | None = None) -> int:
    """Write the accounts and every event; recorded in the audit log first (the ledger
    names everyone), so an interrupted backup is on record too."""
    record_read(engine, principal, "backup", "the ledger and the accounts", everyone=True)
    count = 0
    with engine.connect() as conn:
        accounts = {table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                    for table in ACCOUNTS}
        # Column names are str subclasses, which orjson writes only when asked to.
        header = {"format": FORMAT, "attested_from": ledger_store.attested_from(conn),
                  **accounts}
        out.write(orjson.dumps(header, option=orjson.OPT_NON_STR_KEYS) + b"\n")
        for event in ledger_store.read(conn):
            out.write(orjson.dumps(ledger_store.row_dict(event)) + b"\n")
            count += 1
            if progress:
                progress(1)
    return count


def restore(engine: Engine, source: IO[bytes],
            progress: Callable[[int], None] | None = None) -> int:
    """Load a backup into an initialised, empty database and rebuild its projections."""
    try:
        header = orjson.loads(source.readline())
        if header.get("format") not in FORMATS:
            raise RestoreFailed(f"not a Corridor ledger backup (expected {FORMAT})")
        accounts = {table: [_account(table, row) for row in header.get(table.name, [])]
                    for table in ACCOUNTS}
        for token in accounts[api_tokens]:  # backed up before tokens expired
            token["expires_at"] = token["expires_at"] or datetime.now(UTC) + token_lifetime()
        rows = [StoredEvent(**orjson.loads(line)) for line in source if line.strip()]
        attested_from = int(header.get("attested_from", rows[-1].seq + 1 if rows else 1))
    except (orjson.JSONDecodeError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise RestoreFailed(f"the backup is damaged: {exc}") from None
    broken = first_broken_link(rows, attested_from)
    if broken is not None:
        event, reason = broken
        raise RestoreFailed(f"the backup's chain breaks at seq {event.seq} ({event.id}): {reason}")
    with writing(engine) as conn:
        if any(conn.execute(select(func.count()).select_from(table)).scalar_one()
               for table in (events, *ACCOUNTS)):
            raise DatabaseError("restore needs an empty database: this one already has "
                                "events or accounts")
        for table, found in accounts.items():
            if found:
                conn.execute(table.insert(), found)
        ledger_store.set_attested_from(conn, attested_from)
        for start in range(0, len(rows), 1000):
            ledger_store.append(conn, rows[start:start + 1000])
            if progress:
                progress(len(rows[start:start + 1000]))
    Ledger(engine).rebuild()
    return len(rows)


def _account(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A backed-up account row as its table takes it: every column (None where an older
    backup has no such column), times as datetimes."""
    return {column.name: _utc(value) if isinstance(column.type, DateTime) and value is not None
            else value for column in table.columns
            for value in (row.get(column.name),)}


def _utc(text: str) -> datetime:
    # SQLite gives back its times without an offset; they were written in UTC.
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
