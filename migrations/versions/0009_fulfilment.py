"""fulfilment: shipments and their items, refunds, after-sales, verification records,
batch shipping files and their per-row results

Revision ID: 0009_fulfilment
Revises: 0008_orders
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_fulfilment"
down_revision = "0008_orders"
branch_labels = None
depends_on = None


def _merchant():
    return [sa.Column('merchant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], )]


def _merchant_index(table):
    op.create_index(op.f(f'ix_{table}_merchant_id'), table, ['merchant_id'], unique=False)


def upgrade():
    op.create_table('shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='courier', nullable=False),
    sa.Column('courier_id', sa.Integer(), nullable=True),
    sa.Column('courier_name', sa.String(length=30), nullable=True),
    sa.Column('waybill_no', sa.String(length=40), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    *_merchant(),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['courier_id'], ['courier.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_shipment_order_id'), 'shipment', ['order_id'], unique=False)
    op.create_index(op.f('ix_shipment_created_at'), 'shipment', ['created_at'], unique=False)
    op.create_index('ix_shipment_merchant_created', 'shipment', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_shipment_merchant_waybill', 'shipment', ['merchant_id', 'waybill_no'], unique=False)
    _merchant_index('shipment')
    op.create_table('shipment_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    *_merchant(),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_shipment_item_shipment_id'), 'shipment_item', ['shipment_id'], unique=False)
    op.create_index(op.f('ix_shipment_item_order_item_id'), 'shipment_item', ['order_item_id'], unique=False)
    _merchant_index('shipment_item')
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=32), nullable=False),
    sa.Column('method', sa.String(length=20), server_default='wechat', nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=18), server_default='pending', nullable=False),
    sa.Column('out_refund_no', sa.String(length=32), nullable=False),
    sa.Column('wechat_refund_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=100), nullable=True),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('error_message', sa.String(length=255), nullable=True),
    sa.Column('error_advice', sa.String(length=255), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    *_merchant(),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'out_refund_no', name='uq_refund_out_refund_no')
    )
    op.create_index(op.f('ix_refund_order_id'), 'refund', ['order_id'], unique=False)
    op.create_index(op.f('ix_refund_created_at'), 'refund', ['created_at'], unique=False)
    op.create_index('ix_refund_merchant_created', 'refund', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_refund_merchant_status', 'refund', ['merchant_id', 'status'], unique=False)
    _merchant_index('refund')
    op.create_table('after_sale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('after_sale_no', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_item_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('order_no', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('product_name', sa.String(length=100), nullable=False),
    sa.Column('receiver_name', sa.String(length=30), nullable=True),
    sa.Column('receiver_phone', sa.String(length=20), nullable=True),
    sa.Column('type', sa.String(length=21), server_default='refund_only', nullable=False),
    sa.Column('status', sa.String(length=23), server_default='pending', nullable=False),
    sa.Column('goods_status', sa.String(length=20), server_default='received', nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('reject_reason', sa.String(length=100), nullable=True),
    sa.Column('return_address', sa.String(length=200), nullable=True),
    sa.Column('return_courier', sa.String(length=30), nullable=True),
    sa.Column('return_waybill', sa.String(length=40), nullable=True),
    sa.Column('reship_courier', sa.String(length=30), nullable=True),
    sa.Column('reship_waybill', sa.String(length=40), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    *_merchant(),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'after_sale_no', name='uq_after_sale_no')
    )
    op.create_index(op.f('ix_after_sale_order_id'), 'after_sale', ['order_id'], unique=False)
    op.create_index(op.f('ix_after_sale_order_item_id'), 'after_sale', ['order_item_id'], unique=False)
    op.create_index(op.f('ix_after_sale_created_at'), 'after_sale', ['created_at'], unique=False)
    op.create_index('ix_after_sale_merchant_created', 'after_sale', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_after_sale_merchant_status', 'after_sale', ['merchant_id', 'status'], unique=False)
    op.create_index('ix_after_sale_merchant_order_no', 'after_sale', ['merchant_id', 'order_no'], unique=False)
    op.create_index('ix_after_sale_merchant_phone', 'after_sale', ['merchant_id', 'receiver_phone'], unique=False)
    _merchant_index('after_sale')
    op.create_table('verification_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=32), nullable=False),
    sa.Column('verification_code', sa.String(length=16), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('staff_name', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=False),
    *_merchant(),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', name='uq_verification_record_order')
    )
    op.create_index('ix_verification_record_merchant_verified', 'verification_record', ['merchant_id', 'verified_at'], unique=False)
    op.create_index('ix_verification_record_merchant_staff', 'verification_record', ['merchant_id', 'staff_id', 'verified_at'], unique=False)
    _merchant_index('verification_record')
    op.create_table('shipping_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=15), server_default='pending', nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('succeeded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    *_merchant(),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_shipping_batch_created_at'), 'shipping_batch', ['created_at'], unique=False)
    op.create_index('ix_shipping_batch_merchant_created', 'shipping_batch', ['merchant_id', 'created_at'], unique=False)
    _merchant_index('shipping_batch')
    op.create_table('shipping_batch_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=40), nullable=False),
    sa.Column('courier_name', sa.String(length=40), nullable=False),
    sa.Column('waybill_no', sa.String(length=60), nullable=False),
    sa.Column('result', sa.String(length=15), server_default='pending', nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=True),
    *_merchant(),
    sa.ForeignKeyConstraint(['batch_id'], ['shipping_batch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_shipping_batch_row_batch_id'), 'shipping_batch_row', ['batch_id'], unique=False)
    _merchant_index('shipping_batch_row')


def downgrade():
    for table in ('shipping_batch_row', 'shipping_batch', 'verification_record', 'after_sale',
                  'refund', 'shipment_item', 'shipment'):
        op.drop_table(table)
