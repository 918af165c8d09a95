"""second factor and login throttles: a TOTP code is accepted once (the last time-step used),
wrong codes lock the factor, and failed logins lock an account only for the client that failed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:00:00

Touches only the users table's lockout and TOTP bookkeeping columns (not how any column is
stored) and a table of its own.
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttles',
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_throttles_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'client', name=op.f('pk_login_throttles'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('otp_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('otp_locked_until', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('otp_failures', server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('otp_locked_until')
        batch_op.drop_column('otp_failures')
        batch_op.drop_column('totp_last_step')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('failed_logins', server_default=None)
    op.drop_table('login_throttles')
