"""consult and shop

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:00:28.851548
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drugs',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('generic_name', sa.String(length=200), nullable=False),
    sa.Column('strength', sa.String(length=80), nullable=False),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('route', sa.String(length=40), nullable=False),
    sa.Column('atc_code', sa.String(length=10), nullable=False),
    sa.Column('rx_class', sa.String(length=12), nullable=False),
    sa.Column('us_schedule', sa.String(length=4), nullable=True),
    sa.Column('cn_special_class', sa.String(length=40), nullable=True),
    sa.Column('therapeutic_class', sa.String(length=80), nullable=True),
    sa.Column('formulary_version', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drugs'))
    )
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drugs_atc_code'), ['atc_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_drugs_generic_name'), ['generic_name'], unique=False)

    op.create_table('webhook_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events'))
    )
    op.create_table('products',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('drug_id', sa.String(length=80), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('price_amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pack_size > 0', name=op.f('ck_products_pack_size_positive')),
    sa.CheckConstraint('price_amount >= 0', name=op.f('ck_products_price_not_negative')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_products_drug_id_drugs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku', name=op.f('uq_products_sku'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_drug_id', ['drug_id'], unique=False)

    op.create_table('cart_lines',
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('prescription_id', sa.String(length=40), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_cart_lines_product_id_products')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cart_lines_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'product_id', name=op.f('pk_cart_lines'))
    )
    op.create_table('consultations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.String(length=40), nullable=False),
    sa.Column('doctor_id', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('policy', sa.String(length=8), nullable=False),
    sa.Column('chief_complaint', sa.Text(), nullable=False),
    sa.Column('symptoms', sa.JSON(), nullable=False),
    sa.Column('is_follow_up', sa.Boolean(), nullable=False),
    sa.Column('prior_diagnosis', sa.JSON(), nullable=True),
    sa.Column('requested_product_ids', sa.JSON(), nullable=False),
    sa.Column('triage_reasons', sa.JSON(), nullable=False),
    sa.Column('diagnosis', sa.JSON(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'], name=op.f('fk_consultations_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_consultations_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_doctor_id', ['doctor_id'], unique=False)
        batch_op.create_index('ix_consultations_patient_id', ['patient_id'], unique=False)
        batch_op.create_index('ix_consultations_status_created', ['status', 'created_at'], unique=False)

    op.create_table('inventory_lots',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('recalled', sa.Boolean(), nullable=False),
    sa.Column('recalled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recall_reason', sa.String(length=500), nullable=True),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_inventory_lots_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_inventory_lots_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_inventory_lots_reserved_not_negative')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_inventory_lots_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_lots')),
    sa.UniqueConstraint('product_id', 'lot_number', name=op.f('uq_inventory_lots_product_id_lot_number'))
    )
    with op.batch_alter_table('inventory_lots', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_lots_product_expiry', ['product_id', 'expiry_date'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('total_amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shipping_address', sa.JSON(), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payment_status', sa.String(length=24), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('payment_client_secret', sa.String(length=255), nullable=True),
    sa.Column('payment_error', sa.String(length=500), nullable=True),
    sa.Column('amount_captured', sa.Integer(), nullable=False),
    sa.Column('amount_refunded', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=80), nullable=True),
    sa.Column('tracking_number', sa.String(length=120), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=500), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dispensed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dispensed_by', sa.String(length=40), nullable=True),
    sa.Column('shipped_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dispensed_by'], ['users.id'], name=op.f('fk_orders_dispensed_by_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_orders_patient_id_patients')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('user_id', 'idempotency_key', name=op.f('uq_orders_user_id_idempotency_key'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_payment_intent_id', ['payment_intent_id'], unique=False)
        batch_op.create_index('ix_orders_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_orders_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('consultation_messages',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('consultation_id', sa.String(length=40), nullable=False),
    sa.Column('author_id', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_consultation_messages_author_id_users')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_messages_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_messages'))
    )
    with op.batch_alter_table('consultation_messages', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_messages_consultation', ['consultation_id', 'created_at'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('drug_id', sa.String(length=80), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('line_total', sa.Integer(), nullable=False),
    sa.Column('needs_prescription', sa.Boolean(), nullable=False),
    sa.Column('prescription_id', sa.String(length=40), nullable=True),
    sa.Column('prescription_use_id', sa.String(length=40), nullable=True),
    sa.Column('days_supply', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_order_lines_drug_id_drugs')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_order_id', ['order_id'], unique=False)

    op.create_table('prescriptions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('consultation_id', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.String(length=40), nullable=False),
    sa.Column('doctor_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('policy', sa.String(length=8), nullable=False),
    sa.Column('diagnosis', sa.JSON(), nullable=False),
    sa.Column('safety', sa.JSON(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('valid_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=40), nullable=True),
    sa.Column('reviewed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('reject_reason_code', sa.String(length=40), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by'], ['users.id'], name=op.f('fk_prescriptions_claimed_by_users')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_prescriptions_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['doctor_id'], ['users.id'], name=op.f('fk_prescriptions_doctor_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_prescriptions_patient_id_patients')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_prescriptions_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescriptions'))
    )
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.create_index('ix_prescriptions_doctor_id', ['doctor_id'], unique=False)
        batch_op.create_index('ix_prescriptions_patient_id', ['patient_id'], unique=False)
        batch_op.create_index('ix_prescriptions_status_signed', ['status', 'signed_at'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('provider_refund_id', sa.String(length=255), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_refunds_created_by_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_refunds_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('provider_refund_id', name=op.f('uq_refunds_provider_refund_id'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_order_id', ['order_id'], unique=False)

    op.create_table('lot_allocations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_line_id', sa.String(length=40), nullable=False),
    sa.Column('lot_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_lot_allocations_quantity_positive')),
    sa.ForeignKeyConstraint(['lot_id'], ['inventory_lots.id'], name=op.f('fk_lot_allocations_lot_id_inventory_lots')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_lot_allocations_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_allocations'))
    )
    with op.batch_alter_table('lot_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_lot_allocations_lot_id', ['lot_id'], unique=False)
        batch_op.create_index('ix_lot_allocations_order_line_id', ['order_line_id'], unique=False)

    op.create_table('prescription_items',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('prescription_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('drug_id', sa.String(length=80), nullable=False),
    sa.Column('dose', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('dose_unit', sa.String(length=16), nullable=False),
    sa.Column('frequency_per_day', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('route', sa.String(length=40), nullable=False),
    sa.Column('days_supply', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('refills', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('quantity_remaining', sa.Integer(), nullable=False),
    sa.Column('refills_remaining', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity_remaining >= 0', name=op.f('ck_prescription_items_quantity_remaining_not_negative')),
    sa.CheckConstraint('refills_remaining >= 0', name=op.f('ck_prescription_items_refills_remaining_not_negative')),
    sa.ForeignKeyConstraint(['drug_id'], ['drugs.id'], name=op.f('fk_prescription_items_drug_id_drugs')),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_prescription_items_prescription_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescription_items'))
    )
    with op.batch_alter_table('prescription_items', schema=None) as batch_op:
        batch_op.create_index('ix_prescription_items_prescription_id', ['prescription_id'], unique=False)

    op.create_table('prescription_reviews',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('prescription_id', sa.String(length=40), nullable=False),
    sa.Column('pharmacist_id', sa.String(length=40), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('safety', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pharmacist_id'], ['users.id'], name=op.f('fk_prescription_reviews_pharmacist_id_users')),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_prescription_reviews_prescription_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescription_reviews'))
    )
    with op.batch_alter_table('prescription_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_prescription_reviews_prescription_id', ['prescription_id'], unique=False)

    op.create_table('prescription_uses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('prescription_id', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['prescription_items.id'], name=op.f('fk_prescription_uses_item_id_prescription_items')),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_prescription_uses_prescription_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prescription_uses'))
    )
    with op.batch_alter_table('prescription_uses', schema=None) as batch_op:
        batch_op.create_index('ix_prescription_uses_item_id', ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('prescription_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_prescription_uses_item_id')

    op.drop_table('prescription_uses')
    with op.batch_alter_table('prescription_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_prescription_reviews_prescription_id')

    op.drop_table('prescription_reviews')
    with op.batch_alter_table('prescription_items', schema=None) as batch_op:
        batch_op.drop_index('ix_prescription_items_prescription_id')

    op.drop_table('prescription_items')
    with op.batch_alter_table('lot_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_allocations_order_line_id')
        batch_op.drop_index('ix_lot_allocations_lot_id')

    op.drop_table('lot_allocations')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_order_id')

    op.drop_table('refunds')
    with op.batch_alter_table('prescriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_prescriptions_status_signed')
        batch_op.drop_index('ix_prescriptions_patient_id')
        batch_op.drop_index('ix_prescriptions_doctor_id')

    op.drop_table('prescriptions')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_order_id')

    op.drop_table('order_lines')
    with op.batch_alter_table('consultation_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_messages_consultation')

    op.drop_table('consultation_messages')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_user_created')
        batch_op.drop_index('ix_orders_status_expires')
        batch_op.drop_index('ix_orders_payment_intent_id')

    op.drop_table('orders')
    with op.batch_alter_table('inventory_lots', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_lots_product_expiry')

    op.drop_table('inventory_lots')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_status_created')
        batch_op.drop_index('ix_consultations_patient_id')
        batch_op.drop_index('ix_consultations_doctor_id')

    op.drop_table('consultations')
    op.drop_table('cart_lines')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_drug_id')

    op.drop_table('products')
    op.drop_table('webhook_events')
    with op.batch_alter_table('drugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drugs_generic_name'))
        batch_op.drop_index(batch_op.f('ix_drugs_atc_code'))

    op.drop_table('drugs')
