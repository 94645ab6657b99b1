"""the audit log hash-chained, with the people each read showed; who pushed a fact,
in the ledger's chain from the next event on, and on incidents and alert resolutions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 20:00:00
"""

from datetime import UTC

import sqlalchemy as sa
from alembic import op

from corridor.ledger.chain import GENESIS, audit_link, utc_text

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PROJECTIONS = ("person_needs", "persons", "households", "passages", "alerts", "incidents",
               "conflicts", "tracing_reviews", "tracing_requests", "duplicate_reviews",
               "convoys", "vehicles", "routes", "locations", "parties", "operation")


def upgrade() -> None:
    op.create_table('audit_meta',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('head_id', sa.BigInteger(), nullable=False),
                    sa.Column('head_chain', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('why', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('everyone', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('chain', sa.String(length=64), nullable=False,
                                   server_default=''))
        batch.create_index('ix_audit_log_everyone', ['everyone', 'id'], unique=False)
    op.create_table('audit_subjects',
                    sa.Column('person_id', sa.String(length=64), nullable=False),
                    sa.Column('audit_id', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id']),
                    sa.PrimaryKeyConstraint('person_id', 'audit_id'))
    _chain_existing_rows()
    # Events appended from now on have the account that pushed them in their chain
    # hash; those already chained keep their hashes (and still verify).
    op.add_column('ledger_meta', sa.Column('attested_from', sa.BigInteger(), nullable=False,
                                           server_default='1'))
    op.execute("UPDATE ledger_meta SET attested_from = head_seq + 1")
    # Incidents and alert resolutions show the account that pushed them beside the
    # device's author: the projections are emptied and written again from the ledger
    # before the first read.
    op.add_column('incidents', sa.Column('pushed_by', sa.String(length=64), nullable=False,
                                         server_default=''))
    op.add_column('alerts', sa.Column('resolved_pushed_by', sa.String(length=64)))
    for table in PROJECTIONS:
        op.execute(f"DELETE FROM {table}")
    op.execute("UPDATE ledger_meta SET projected_seq = 0")


def _chain_existing_rows() -> None:
    """Rows written before the chain are chained now, in the order they were written
    (renumbered 1, 2, 3… so a missing row shows as a gap), and the head recorded."""
    conn = op.get_bind()
    log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                   sa.column('username', sa.String), sa.column('action', sa.String),
                   sa.column('subject', sa.Text), sa.column('chain', sa.String))
    previous, count = GENESIS, 0
    for row in conn.execute(sa.select(log).order_by(log.c.id)).all():
        count += 1
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        previous = audit_link(previous, count, utc_text(at), row.username, row.action, '',
                              row.subject, [], False)
        conn.execute(sa.update(log).where(log.c.id == row.id).values(id=count, chain=previous))
    conn.execute(sa.text("INSERT INTO audit_meta (id, head_id, head_chain) "
                         "VALUES (1, :head_id, :head_chain)"),
                 {"head_id": count, "head_chain": previous})


def downgrade() -> None:
    op.drop_column('ledger_meta', 'attested_from')
    op.drop_column('alerts', 'resolved_pushed_by')
    op.drop_column('incidents', 'pushed_by')
    op.drop_table('audit_subjects')
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_index('ix_audit_log_everyone')
        batch.drop_column('chain')
        batch.drop_column('everyone')
        batch.drop_column('why')
    op.drop_table('audit_meta')
