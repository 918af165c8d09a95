"""prior diagnosis evidence: a consultation's structured record of the offline diagnosis it follows up

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00

Touches only its own column, so it stays independent of revisions 0005 and 0007 (written alongside it).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prior_diagnosis_evidence', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('prior_diagnosis_evidence')
