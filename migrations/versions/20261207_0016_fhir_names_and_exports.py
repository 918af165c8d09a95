"""fhir: a patient's structured name (family, given) and Bulk Data export jobs with their NDJSON files

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('given_name', sa.Text(), nullable=True))
    op.create_table(
        'fhir_export_jobs',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('requested_by', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('types', sa.JSON(), nullable=False),
        sa.Column('request_url', sa.String(length=2000), nullable=False),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('completed_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_fhir_export_jobs_requested_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_export_jobs')),
    )
    op.create_index('ix_fhir_export_jobs_status_created', 'fhir_export_jobs', ['status', 'created_at'], unique=False)
    op.create_table(
        'fhir_export_files',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('job_id', sa.String(length=40), nullable=False),
        sa.Column('resource_type', sa.String(length=40), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['fhir_export_jobs.id'], name=op.f('fk_fhir_export_files_job_id_fhir_export_jobs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_export_files')),
    )
    op.create_index('ix_fhir_export_files_job_id', 'fhir_export_files', ['job_id'], unique=False)


def downgrade():
    op.drop_index('ix_fhir_export_files_job_id', table_name='fhir_export_files')
    op.drop_table('fhir_export_files')
    op.drop_index('ix_fhir_export_jobs_status_created', table_name='fhir_export_jobs')
    op.drop_table('fhir_export_jobs')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('given_name')
        batch_op.drop_column('family_name')
