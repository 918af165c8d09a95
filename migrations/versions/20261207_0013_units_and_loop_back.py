"""units and the loop back: prescription items written in packs, a consultation's requested products, and
no consultation, prescription or order closed before it was created

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 00:00:00

Touches only its own columns and constraints, so it stays independent of the revisions written alongside it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('prescription_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('packs', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pack_size', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_prescription_items_packs_make_the_quantity'),
            'packs IS NULL OR (packs > 0 AND pack_size > 0 AND product_id IS NOT NULL '
            'AND quantity = packs * pack_size)')
    # A row closed before its creation (a consultation referred offline at once took its closing time before
    # the row's default creation time) is moved to its creation time, so the constraints hold for every row.
    for table in ('consultations', 'prescriptions', 'orders'):
        op.execute(f"UPDATE {table} SET closed_at = created_at WHERE closed_at < created_at")
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_products', sa.JSON(), nullable=True))
    # Older consultations asked by product id only: their requested products are left empty.
    op.execute("UPDATE consultations SET requested_products = '[]'")
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.alter_column('requested_products', existing_type=sa.JSON(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_consultations_closed_not_before_created'),
                                         'closed_at IS NULL OR closed_at >= created_at')

    for table in ('prescriptions', 'orders'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_closed_not_before_created'),
                                             'closed_at IS NULL OR closed_at >= created_at')


def downgrade():
    for table in ('orders', 'prescriptions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_closed_not_before_created'), type_='check')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_consultations_closed_not_before_created'), type_='check')
        batch_op.drop_column('requested_products')
    with op.batch_alter_table('prescription_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_prescription_items_packs_make_the_quantity'), type_='check')
        batch_op.drop_column('pack_size')
        batch_op.drop_column('packs')
        batch_op.drop_column('product_id')
