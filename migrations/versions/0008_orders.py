"""orders: shop_order, order_item, order_campaign, order_log

Revision ID: 0008_orders
Revises: 0007_marketing
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_orders"
down_revision = "0007_marketing"
branch_labels = None
# shop_order references member_coupon (0007), member and distributor (0003); orders are paid
# through the WeChat layer (0002) and snapshot catalog SKUs (0004, already an ancestor through
# 0007: naming it again made `upgrade heads` fail with KeyError '0004_catalog' as soon as a
# revision was added after 0008/0009).
depends_on = ("0002_wechat", "0003_members")


def upgrade():
    op.create_table('shop_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=25), server_default='unpaid', nullable=False),
    sa.Column('logistics_status', sa.String(length=22), server_default='not_shipped', nullable=False),
    sa.Column('payment_method', sa.String(length=20), server_default='wechat', nullable=False),
    sa.Column('delivery_method', sa.String(length=25), server_default='courier', nullable=False),
    sa.Column('goods_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('freight', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('campaign_discount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('coupon_discount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('level_discount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('points_deduction', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('points_used', sa.Integer(), nullable=False),
    sa.Column('points_paid', sa.Integer(), server_default='0', nullable=False),
    sa.Column('original_paid_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('price_change_reason', sa.String(length=100), nullable=True),
    sa.Column('receiver_name', sa.String(length=32), nullable=True),
    sa.Column('receiver_phone', sa.String(length=20), nullable=True),
    sa.Column('receiver_province', sa.String(length=20), nullable=True),
    sa.Column('receiver_city', sa.String(length=20), nullable=True),
    sa.Column('receiver_district', sa.String(length=20), nullable=True),
    sa.Column('receiver_address', sa.String(length=200), nullable=True),
    sa.Column('buyer_note', sa.String(length=200), nullable=True),
    sa.Column('merchant_note', sa.String(length=200), nullable=True),
    sa.Column('star_color', sa.String(length=8), nullable=True),
    sa.Column('verification_code', sa.String(length=16), nullable=True),
    sa.Column('member_coupon_id', sa.Integer(), nullable=True),
    sa.Column('campaign_ids', sa.JSON(), nullable=True),
    sa.Column('gift_batch_ids', sa.JSON(), nullable=True),
    sa.Column('distributor_id', sa.Integer(), nullable=True),
    sa.Column('payment_no', sa.String(length=64), nullable=True),
    sa.Column('status_before_cancel', sa.String(length=24), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('close_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['distributor_id'], ['distributor.id'], ),
    sa.ForeignKeyConstraint(['member_coupon_id'], ['member_coupon.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'order_no', name='uq_shop_order_no'),
    sa.UniqueConstraint('merchant_id', 'verification_code', name='uq_shop_order_verification')
    )
    op.create_index('ix_shop_order_member', 'shop_order', ['member_id', 'created_at'], unique=False)
    op.create_index('ix_shop_order_merchant_created', 'shop_order', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_shop_order_merchant_id'), 'shop_order', ['merchant_id'], unique=False)
    op.create_index('ix_shop_order_merchant_paid', 'shop_order', ['merchant_id', 'paid_at'], unique=False)
    op.create_index('ix_shop_order_merchant_payment_no', 'shop_order', ['merchant_id', 'payment_no'], unique=False)
    op.create_index('ix_shop_order_merchant_phone', 'shop_order', ['merchant_id', 'receiver_phone'], unique=False)
    op.create_index('ix_shop_order_merchant_receiver', 'shop_order', ['merchant_id', 'receiver_name'], unique=False)
    op.create_index('ix_shop_order_merchant_star', 'shop_order', ['merchant_id', 'star_color', 'created_at'], unique=False)
    op.create_index('ix_shop_order_merchant_status', 'shop_order', ['merchant_id', 'status', 'created_at'], unique=False)
    op.create_table('order_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_order_campaign_merchant_id'), 'order_campaign', ['merchant_id'], unique=False)
    op.create_index('ix_order_campaign_merchant_kind', 'order_campaign', ['merchant_id', 'kind'], unique=False)
    op.create_index(op.f('ix_order_campaign_order_id'), 'order_campaign', ['order_id'], unique=False)
    op.create_table('order_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('product_name', sa.String(length=50), nullable=False),
    sa.Column('product_code', sa.String(length=40), nullable=True),
    sa.Column('spec_text', sa.String(length=200), nullable=False),
    sa.Column('image', sa.String(length=255), nullable=True),
    sa.Column('product_type', sa.String(length=20), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('discount_share', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('shipped_quantity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refunded_quantity', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stock_taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_order_item_merchant_code', 'order_item', ['merchant_id', 'product_code'], unique=False)
    op.create_index(op.f('ix_order_item_merchant_id'), 'order_item', ['merchant_id'], unique=False)
    op.create_index('ix_order_item_merchant_name', 'order_item', ['merchant_id', 'product_name'], unique=False)
    op.create_index('ix_order_item_merchant_product', 'order_item', ['merchant_id', 'product_id'], unique=False)
    op.create_index('ix_order_item_merchant_type', 'order_item', ['merchant_id', 'product_type'], unique=False)
    op.create_index(op.f('ix_order_item_order_id'), 'order_item', ['order_id'], unique=False)
    op.create_table('order_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_order_log_merchant_id'), 'order_log', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_order_log_order_id'), 'order_log', ['order_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_order_log_order_id'), table_name='order_log')
    op.drop_index(op.f('ix_order_log_merchant_id'), table_name='order_log')
    op.drop_table('order_log')
    op.drop_index(op.f('ix_order_item_order_id'), table_name='order_item')
    op.drop_index('ix_order_item_merchant_type', table_name='order_item')
    op.drop_index('ix_order_item_merchant_product', table_name='order_item')
    op.drop_index('ix_order_item_merchant_name', table_name='order_item')
    op.drop_index(op.f('ix_order_item_merchant_id'), table_name='order_item')
    op.drop_index('ix_order_item_merchant_code', table_name='order_item')
    op.drop_table('order_item')
    op.drop_index(op.f('ix_order_campaign_order_id'), table_name='order_campaign')
    op.drop_index('ix_order_campaign_merchant_kind', table_name='order_campaign')
    op.drop_index(op.f('ix_order_campaign_merchant_id'), table_name='order_campaign')
    op.drop_table('order_campaign')
    op.drop_index('ix_shop_order_merchant_status', table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_star', table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_receiver', table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_phone', table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_payment_no', table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_paid', table_name='shop_order')
    op.drop_index(op.f('ix_shop_order_merchant_id'), table_name='shop_order')
    op.drop_index('ix_shop_order_merchant_created', table_name='shop_order')
    op.drop_index('ix_shop_order_member', table_name='shop_order')
    op.drop_table('shop_order')
