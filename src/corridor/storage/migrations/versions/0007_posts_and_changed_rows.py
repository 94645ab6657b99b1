"""field accounts' posts; projection rows stamped with the pass that wrote them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The rows the scoped pull sends by "changed since".
STAMPED = ("vehicles", "convoys", "households", "persons")


def upgrade() -> None:
    op.add_column('users', sa.Column('post_id', sa.String(length=64), nullable=True))
    for table in STAMPED:
        op.add_column(table, sa.Column('changed_seq', sa.BigInteger(), nullable=False,
                                       server_default='0'))
    op.create_index('ix_persons_changed_seq', 'persons', ['changed_seq'])
    # Rows written before now carry no stamp: the server writes them all again, stamped,
    # before its first read.
    op.execute("UPDATE ledger_meta SET projected_seq = 0")


def downgrade() -> None:
    op.drop_index('ix_persons_changed_seq', 'persons')
    for table in STAMPED:
        op.drop_column(table, 'changed_seq')
    op.drop_column('users', 'post_id')
