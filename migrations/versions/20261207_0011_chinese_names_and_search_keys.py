"""chinese names and search keys: drugs' 通用名, 商品名 and synonyms, products' Chinese names, folded keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:30:00

Search reads one folded key per product (names in Chinese, pinyin and English, core.search_text),
written at insert and update and indexed with trigrams on PostgreSQL; the trigram index on the
bare name, which only search used, goes. Existing rows get their keys here; drugs get theirs at
the next formulary sync.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generic_name_zh', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('brand_names_zh', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('synonyms', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('synonyms_key', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))
        batch_op.drop_index('ix_products_name_trgm', postgresql_using='gin',
                            postgresql_ops={'name': 'gin_trgm_ops'})
    _fill_product_keys()
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_search_key_trgm', ['search_key'], unique=False,
                              postgresql_using='gin', postgresql_ops={'search_key': 'gin_trgm_ops'})


def _fill_product_keys():
    from core.search_text import key  # the same folding the application writes with

    products = sa.table('products', sa.column('id', sa.String), sa.column('name', sa.String),
                        sa.column('search_key', sa.Text))
    connection = op.get_bind()
    rows = connection.execute(sa.select(products.c.id, products.c.name)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(products.update().where(products.c.id == sa.bindparam('pid'))
                           .values(search_key=sa.bindparam('key')),
                           [{'pid': pid, 'key': key([name])} for pid, name in rows[start:start + 1000]])


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_search_key_trgm', postgresql_using='gin',
                            postgresql_ops={'search_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_products_name_trgm', ['name'], unique=False,
                              postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
        batch_op.drop_column('search_key')
        batch_op.drop_column('name_zh')
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.drop_column('synonyms_key')
        batch_op.drop_column('search_key')
        batch_op.drop_column('synonyms')
        batch_op.drop_column('brand_names_zh')
        batch_op.drop_column('generic_name_zh')
