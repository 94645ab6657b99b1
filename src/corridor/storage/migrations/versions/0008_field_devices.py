"""the field app's stores as they last reported (the lost-store alarm)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'devices',
        sa.Column('store_id', sa.String(length=36), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('unsent', sa.Integer(), nullable=False),
        sa.Column('oldest_unsent_at', sa.String(length=40), nullable=True),
        sa.Column('newest_recorded_at', sa.String(length=40), nullable=True),
        sa.Column('closed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['username'], ['users.username']),
        sa.PrimaryKeyConstraint('store_id'),
    )
    op.create_index('ix_devices_username', 'devices', ['username'])


def downgrade() -> None:
    op.drop_index('ix_devices_username', table_name='devices')
    op.drop_table('devices')
