"""Alembic runs with the connection Corridor hands it (see storage.database)."""

from alembic import context

from corridor.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
