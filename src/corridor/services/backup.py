"""Backups of the ledger, and restores that give the database a new epoch.

A backup is the ledger itself as JSON lines, hashes included: everything else is
derived from it. A restore goes into an empty database, which gets a new epoch on
creation, so every device learns that it must re-send what it holds (events the
backup already had come back as duplicates). The restored chain is verified before
anything is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import orjson
from sqlalchemy import Engine, func, select

from corridor.ledger.chain import StoredEvent, first_broken_link
from corridor.services.ledger import Ledger
from corridor.storage import ledger_store
from corridor.storage.database import DatabaseError, writing
from corridor.storage.schema import events

FORMAT = "corridor-ledger/1"


class RestoreFailed(Exception):
    pass


def backup(engine: Engine, out: IO[bytes], progress: Callable[[int], None] | None = None) -> int:
    count = 0
    out.write(orjson.dumps({"format": FORMAT}) + b"\n")
    with engine.connect() as conn:
        for event in ledger_store.read(conn):
            out.write(orjson.dumps(ledger_store.row_dict(event)) + b"\n")
            count += 1
            if progress:
                progress(1)
    return count


def restore(engine: Engine, source: IO[bytes],
            progress: Callable[[int], None] | None = None) -> int:
    """Load a backup into an initialised, empty database and rebuild its projections."""
    header = source.readline()
    try:
        if orjson.loads(header).get("format") != FORMAT:
            raise RestoreFailed(f"not a Corridor ledger backup (expected {FORMAT})")
        rows = [StoredEvent(**orjson.loads(line)) for line in source if line.strip()]
    except (orjson.JSONDecodeError, TypeError, AttributeError) as exc:
        raise RestoreFailed(f"the backup is damaged: {exc}") from None
    broken = first_broken_link(rows)
    if broken is not None:
        event, reason = broken
        raise RestoreFailed(f"the backup's chain breaks at seq {event.seq} ({event.id}): {reason}")
    with writing(engine) as conn:
        if conn.execute(select(func.count()).select_from(events)).scalar_one():
            raise DatabaseError("restore needs an empty database: this one already has events")
        for start in range(0, len(rows), 1000):
            ledger_store.append(conn, rows[start:start + 1000])
            if progress:
                progress(len(rows[start:start + 1000]))
    Ledger(engine).rebuild()
    return len(rows)
