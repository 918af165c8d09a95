"""patient clinical facts for safety v2: expected delivery date, eGFR with its date, ancestry, genotypes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pregnancy_due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('egfr', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('egfr_measured_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ancestry', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('genotypes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('genotypes')
        batch_op.drop_column('ancestry')
        batch_op.drop_column('egfr_measured_on')
        batch_op.drop_column('egfr')
        batch_op.drop_column('pregnancy_due_date')
