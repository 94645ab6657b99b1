"""the illustrative demo's withheld events and the moment it stands at

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'demo_pending',
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.String(length=40), nullable=False),
        sa.Column('event', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('position'),
    )
    op.create_index('ix_demo_pending_recorded_at', 'demo_pending', ['recorded_at'])
    op.create_table(
        'demo_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stands_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('demo_clock')
    op.drop_index('ix_demo_pending_recorded_at', table_name='demo_pending')
    op.drop_table('demo_pending')
