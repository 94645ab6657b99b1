"""tracing requests, duplicate reviews, merges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:22:14.034552
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duplicate_reviews',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('other_id', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'other_id')
    )
    op.create_table('tracing_requests',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=True),
    sa.Column('born', sa.Integer(), nullable=True),
    sa.Column('tolerance', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=64), nullable=True),
    sa.Column('father_name', sa.String(length=120), nullable=True),
    sa.Column('household_names', sa.JSON(), nullable=False),
    sa.Column('requester_name', sa.String(length=120), nullable=False),
    sa.Column('relationship', sa.String(length=120), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_by', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('found_person_id', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('request_id')
    )
    with op.batch_alter_table('tracing_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracing_requests_status'), ['status'], unique=False)

    op.create_table('tracing_reviews',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('request_id', 'person_id')
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into', sa.String(length=64), nullable=True))
    with op.batch_alter_table('ledger_meta', schema=None) as batch_op:
        batch_op.add_column(sa.Column('projected_seq', sa.BigInteger(), nullable=False,
                                      server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('ledger_meta', schema=None) as batch_op:
        batch_op.drop_column('projected_seq')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('merged_into')

    op.drop_table('tracing_reviews')
    with op.batch_alter_table('tracing_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracing_requests_status'))

    op.drop_table('tracing_requests')
    op.drop_table('duplicate_reviews')
