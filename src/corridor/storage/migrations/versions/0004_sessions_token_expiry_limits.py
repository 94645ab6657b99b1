"""server-side web sessions, expiring API tokens with their last use, shared rate limits

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 20:00:00
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Tokens issued before tokens expired get the default lifetime from now, not from
# when they were issued: a device in the field is not cut off by the upgrade itself.
EXISTING_TOKENS_LAST = timedelta(days=30)


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['users.username'], ),
    sa.PrimaryKeyConstraint('session_hash')
    )
    op.create_index('ix_sessions_username', 'sessions', ['username'], unique=False)
    op.create_table('limit_hits',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_limit_hits_key_at', 'limit_hits', ['key', 'at'], unique=False)
    op.add_column('api_tokens', sa.Column('last_used_at', sa.DateTime(timezone=True),
                                          nullable=True))
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(timezone=True),
                                          nullable=True))
    expires = sa.table('api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(expires.update().values(expires_at=datetime.now(UTC) + EXISTING_TOKENS_LAST))
    with op.batch_alter_table('api_tokens') as batch:  # SQLite alters by copying the table
        batch.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                           nullable=False)
        batch.create_index('ix_api_tokens_username', ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_index('ix_api_tokens_username')
        batch.drop_column('expires_at')
        batch.drop_column('last_used_at')
    op.drop_index('ix_limit_hits_key_at', table_name='limit_hits')
    op.drop_table('limit_hits')
    op.drop_index('ix_sessions_username', table_name='sessions')
    op.drop_table('sessions')
