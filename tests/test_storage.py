"""The database layer: migrations, epochs, locking."""

from __future__ import annotations

import random

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from stories import ROLES, tell

from corridor.domain.vocabulary import Role
from corridor.services.ledger import Ledger, Principal
from corridor.storage.database import alembic_config, epoch_of, initialise
from corridor.storage.projection_store import snapshot
from corridor.storage.schema import metadata


def test_the_migrations_build_exactly_the_schema_the_code_uses(engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_initialising_again_keeps_the_epoch(engine) -> None:
    with engine.connect() as conn:
        first = epoch_of(conn)
    assert initialise(engine) == first


def test_upgrading_a_database_folds_its_projections_again_under_the_new_rules(engine) -> None:
    """Migration 0003 changes what the fold derives (alert ids name the trip): a
    database written under 0002 gets its projections written again from the ledger."""
    story = tell(random.Random(3))
    ledger = Ledger(engine)
    for name, device in story.devices.items():
        ledger.push(device.stream(), Principal(name, Role(ROLES[name]), f"{name}-phone"))
    ledger.ensure_projected()
    with engine.connect() as conn:
        expected = snapshot(conn)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        assert conn.exec_driver_sql("SELECT count(*) FROM persons").scalar() == 0
    Ledger(engine).ensure_projected()
    with engine.connect() as conn:
        assert snapshot(conn) == expected
