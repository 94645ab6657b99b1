"""rejects kept per account and device, up to a cap; the rest counted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 20:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rejects kept before this have no device: they count as one sender per account.
    op.add_column('rejects', sa.Column('device_id', sa.String(length=64), nullable=True))
    op.create_index('ix_rejects_sender', 'rejects', ['pushed_by', 'device_id'])
    op.create_table(
        'rejects_not_kept',
        sa.Column('pushed_by', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('last_received_at', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('pushed_by', 'device_id'),
    )


def downgrade() -> None:
    op.drop_table('rejects_not_kept')
    op.drop_index('ix_rejects_sender', table_name='rejects')
    with op.batch_alter_table('rejects') as batch:
        batch.drop_column('device_id')
