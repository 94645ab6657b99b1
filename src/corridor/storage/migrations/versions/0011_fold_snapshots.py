"""snapshots of the fold at some sequence numbers (the record as of any moment)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'snapshots',
        sa.Column('epoch', sa.String(length=36), nullable=False),
        sa.Column('fold', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('epoch', 'fold', 'seq'),
    )


def downgrade() -> None:
    op.drop_table('snapshots')
