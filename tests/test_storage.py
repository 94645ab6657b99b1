"""The database layer: migrations, epochs, locking."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from corridor.storage.database import epoch_of, initialise
from corridor.storage.schema import metadata


def test_the_migrations_build_exactly_the_schema_the_code_uses(engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_initialising_again_keeps_the_epoch(engine) -> None:
    with engine.connect() as conn:
        first = epoch_of(conn)
    assert initialise(engine) == first
