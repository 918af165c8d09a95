"""catalogue search indexes: (name, id) for keyset pages, trigram on name (pg_trgm)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:20:00
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_products_name_trgm', ['name'], unique=False,
                              postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_name_trgm', postgresql_using='gin',
                            postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.drop_index('ix_products_name_id')
