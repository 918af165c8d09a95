"""search reads by rank: each found drug's products in name order, names by their start

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:30:00

Search reads rank by rank with a LIMIT (shop.catalog_search): the products of each drug it finds
are walked on (drug_id, name, id), which replaces the (drug_id) index and serves what it served;
a whole name or the start of one is found on PostgreSQL through a GIN index of the key's names as
tsvector lexemes.
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

NAMES = "array_to_tsvector(string_to_array(btrim(search_key, '|'), '|'))"


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_drug_id_name', ['drug_id', 'name', 'id'], unique=False)
        batch_op.drop_index('ix_products_drug_id')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE INDEX ix_products_search_names ON products USING gin ({NAMES})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_products_search_names")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_drug_id', ['drug_id'], unique=False)
        batch_op.drop_index('ix_products_drug_id_name')
