"""assistant suggestions: what an assistant saw and said, what the gate kept and dropped, and what the
human did with it

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 00:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assistant_suggestions',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('provider', sa.String(length=40), nullable=False),
        sa.Column('model', sa.String(length=120), nullable=False),
        sa.Column('model_version', sa.String(length=40), nullable=False),
        sa.Column('prompt_hash', sa.String(length=64), nullable=False),
        sa.Column('inputs', sa.Text(), nullable=False),
        sa.Column('output', sa.Text(), nullable=False),
        sa.Column('kept', sa.Text(), nullable=False),
        sa.Column('dropped', sa.Text(), nullable=False),
        sa.Column('dropped_count', sa.Integer(), nullable=False),
        sa.Column('dropped_claims', sa.Integer(), nullable=False),
        sa.Column('dropped_items', sa.Integer(), nullable=False),
        sa.Column('subject_type', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.String(length=40), nullable=False),
        sa.Column('patient_id', sa.String(length=40), nullable=False),
        sa.Column('requested_by', sa.String(length=40), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=True),
        sa.Column('outcome_by', sa.String(length=40), nullable=True),
        sa.Column('outcome_at', core.db.UTCDateTime(), nullable=True),
        sa.Column('outcome_diff', sa.Text(), nullable=True),
        sa.Column('outcome_note', sa.Text(), nullable=True),
        sa.Column('prescription_id', sa.String(length=40), nullable=True),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('accepted', 'edited', 'rejected')",
                           name=op.f('ck_assistant_suggestions_known_outcome')),
        sa.CheckConstraint('(outcome IS NULL) = (outcome_by IS NULL)',
                           name=op.f('ck_assistant_suggestions_outcome_has_author')),
        sa.ForeignKeyConstraint(['outcome_by'], ['users.id'], name=op.f('fk_assistant_suggestions_outcome_by_users')),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_assistant_suggestions_patient_id_patients')),
        sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'],
                                name=op.f('fk_assistant_suggestions_prescription_id_prescriptions')),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'],
                                name=op.f('fk_assistant_suggestions_requested_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistant_suggestions')),
    )
    with op.batch_alter_table('assistant_suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_assistant_suggestions_prescription_id', ['prescription_id'], unique=False)
        batch_op.create_index('ix_assistant_suggestions_provider_kind', ['provider', 'kind'], unique=False)
        batch_op.create_index('ix_assistant_suggestions_subject', ['subject_type', 'subject_id'], unique=False)


def downgrade():
    op.drop_table('assistant_suggestions')
