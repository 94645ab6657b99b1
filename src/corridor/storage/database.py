"""Opening, creating and locking the database.

SQLite (one file, WAL mode) is the embedded default; PostgreSQL is chosen by URL.
Writers are serialised so the ledger's hash chain has one head: SQLite by
`BEGIN IMMEDIATE`, PostgreSQL by a row lock on `ledger_meta`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select

from corridor.ledger.chain import GENESIS
from corridor.storage.schema import ledger_meta

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """A database that cannot be used as asked: not initialised, unreachable, wrong URL."""


def normalise_url(url: str) -> str:
    """Accept a plain path for SQLite and plain postgresql:// URLs (use psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def connect(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN, so writers can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("corridor_writer") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def immediate(engine: Engine) -> Iterator[Connection]:
    """A short transaction outside the ledger that asks for SQLite's write lock up front
    (BEGIN IMMEDIATE), so it waits its turn (busy timeout) and never has to upgrade a
    read lock. The ledger's own lock (`writing`) is not taken."""
    with engine.connect() as conn:
        conn = conn.execution_options(corridor_writer=True)
        with conn.begin():
            yield conn


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the ledger's write lock until it commits or rolls back."""
    with engine.connect() as conn:
        conn = conn.execution_options(corridor_writer=True)
        with conn.begin():
            row = conn.execute(select(ledger_meta.c.id).where(ledger_meta.c.id == 1)
                               .with_for_update()).first()
            if row is None:
                raise DatabaseError("the database is not initialised: run `corridor init`")
            yield conn


def alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def initialise(engine: Engine) -> str:
    """Bring the schema to the latest migration; on a new database start the ledger
    with a fresh epoch. Returns the epoch. Safe to run again."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        meta = conn.execute(select(ledger_meta.c.epoch)).first()
        if meta is not None:
            return str(meta.epoch)
        epoch = str(uuid.uuid4())
        conn.execute(ledger_meta.insert().values(
            id=1, epoch=epoch, created_at=datetime.now(UTC), head_seq=0, head_chain=GENESIS))
        return epoch


def is_initialised(engine: Engine) -> bool:
    with engine.connect() as conn:
        return inspect(conn).has_table("ledger_meta") and conn.execute(
            select(ledger_meta.c.id)).first() is not None


def epoch_of(conn: Connection) -> str:
    row = conn.execute(select(ledger_meta.c.epoch)).first()
    if row is None:
        raise DatabaseError("the database is not initialised: run `corridor init`")
    return str(row.epoch)
