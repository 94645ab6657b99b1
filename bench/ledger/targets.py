"""Fresh, throw-away databases for one benchmark run.

SQLite gets a file in a temporary directory (on disk, not tmpfs, so commits pay for
their fsyncs as in the field). PostgreSQL gets a schema of its own in the given
database, created and dropped here, so a run never touches anything else.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from corridor.storage.database import connect, initialise


@dataclass(frozen=True, slots=True)
class Target:
    """Where a stage writes: a database URL and, for PostgreSQL, the schema to use.
    Plain data, so it can be handed to a stage subprocess as JSON."""

    backend: str  # sqlite | postgresql
    url: str
    schema: str | None = None

    def engine(self, **options: Any) -> Engine:
        if self.schema is None:
            return connect(self.url, **options)
        return connect(self.url, connect_args={"options": f"-csearch_path={self.schema}"},
                       **options)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(**data)


@contextmanager
def fresh(backend: str, postgres_url: str, label: str) -> Iterator[Target]:
    """An initialised, empty Corridor database, removed on exit."""
    maker = _sqlite if backend == "sqlite" else _postgresql
    with maker(postgres_url, label) as target:
        engine = target.engine()
        try:
            initialise(engine)
        finally:
            engine.dispose()
        yield target


@contextmanager
def _sqlite(_postgres_url: str, label: str) -> Iterator[Target]:
    directory = Path(tempfile.mkdtemp(prefix=f"corridor-bench-{label}-"))
    try:
        yield Target("sqlite", str(directory / "corridor.db"))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _postgresql(url: str, label: str) -> Iterator[Target]:
    schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = connect(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield Target("postgresql", url, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


def server_version(backend: str, postgres_url: str) -> str:
    """The database engine's own version string, for the report."""
    if backend == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    admin = connect(postgres_url)
    try:
        with admin.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        admin.dispose()
