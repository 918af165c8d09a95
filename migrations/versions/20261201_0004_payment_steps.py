"""payment steps: each call to the payment provider recorded before it is made

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:59:00
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_steps',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('order_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('idempotency_key', sa.String(length=120), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('provider_ref', sa.String(length=255), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_steps_order_id_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_steps')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_steps_idempotency_key')),
    )
    with op.batch_alter_table('payment_steps', schema=None) as batch_op:
        batch_op.create_index('ix_payment_steps_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_payment_steps_status_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_steps_status_created')
        batch_op.drop_index('ix_payment_steps_order_id')
    op.drop_table('payment_steps')
