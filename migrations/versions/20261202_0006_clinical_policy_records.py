"""clinical policy records: a prescription's rule-set version and Ryan Haight basis, a consultation's guardian

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:00:00

Touches only its own columns, so it stays independent of revision 0005 (written alongside it).
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian', sa.JSON(), nullable=True))
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ruleset_version', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('controlled_substance_basis', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.drop_column('controlled_substance_basis')
        batch_op.drop_column('ruleset_version')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('guardian')
