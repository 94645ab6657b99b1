"""alerts explained by the facts that account for them, apart from a note

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PROJECTIONS = ("person_needs", "persons", "households", "passages", "alerts", "incidents",
               "conflicts", "tracing_reviews", "tracing_requests", "duplicate_reviews",
               "convoys", "vehicles", "routes", "locations", "parties", "operation")


def upgrade() -> None:
    # An alert closed by facts is now `explained` and names them; `resolved` means a
    # note alone. The projections are emptied, and the server writes them again from
    # the ledger before its first read.
    for table in PROJECTIONS:
        op.execute(f"DELETE FROM {table}")
    op.execute("UPDATE ledger_meta SET projected_seq = 0")
    op.add_column('alerts', sa.Column('explained_by', sa.JSON(), nullable=False,
                                      server_default='[]'))
    op.add_column('alerts', sa.Column('explained_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.drop_column('explained_at')
        batch.drop_column('explained_by')
    for table in PROJECTIONS:
        op.execute(f"DELETE FROM {table}")
    op.execute("UPDATE ledger_meta SET projected_seq = 0")
