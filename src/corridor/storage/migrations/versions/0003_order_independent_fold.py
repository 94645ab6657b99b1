"""alert ids long enough for three ids at their limit; conflicts that wait

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PROJECTIONS = ("person_needs", "persons", "households", "passages", "alerts", "incidents",
               "conflicts", "tracing_reviews", "tracing_requests", "duplicate_reviews",
               "convoys", "vehicles", "routes", "locations", "parties", "operation")


def upgrade() -> None:
    # Batch mode: SQLite alters a column by copying the table.
    with op.batch_alter_table('alerts') as batch:
        batch.alter_column('alert_id', type_=sa.String(length=255),
                           existing_type=sa.String(length=200), existing_nullable=False)
    op.add_column('conflicts', sa.Column('waiting', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    # The fold's rules changed (movement is derived whatever the order of arrival,
    # alert ids name the trip): the projections are emptied, and the server writes
    # them again from the ledger before its first read.
    for table in PROJECTIONS:
        op.execute(f"DELETE FROM {table}")
    op.execute("UPDATE ledger_meta SET projected_seq = 0")


def downgrade() -> None:
    op.drop_column('conflicts', 'waiting')
    with op.batch_alter_table('alerts') as batch:
        batch.alter_column('alert_id', type_=sa.String(length=200),
                           existing_type=sa.String(length=255), existing_nullable=False)
