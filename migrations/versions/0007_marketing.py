"""marketing: coupon batches, codes, member coupons, coupon ledger, gift grants, campaigns
with tiers and product/level/member scopes

Revision ID: 0007_marketing
Revises: 0004_catalog
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_marketing"
down_revision = "0004_catalog"
branch_labels = None
depends_on = ("0003_members",)


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=22), server_default='full_reduction', nullable=False),
    sa.Column('per_threshold', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('by_count', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('product_scope', sa.String(length=16), server_default='all', nullable=False),
    sa.Column('customer_scope', sa.String(length=19), server_default='all', nullable=False),
    sa.Column('status', sa.String(length=14), server_default='active', nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_campaign_created_at'), 'campaign', ['created_at'], unique=False)
    op.create_index('ix_campaign_merchant_created', 'campaign', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_campaign_merchant_id'), 'campaign', ['merchant_id'], unique=False)
    op.create_index('ix_campaign_merchant_status', 'campaign', ['merchant_id', 'status'], unique=False)
    op.create_table('coupon_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='normal', nullable=False),
    sa.Column('discount_type', sa.String(length=16), server_default='cash', nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('code_prefix', sa.String(length=8), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('validity_type', sa.String(length=13), server_default='range', nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=True),
    sa.Column('valid_to', sa.DateTime(), nullable=True),
    sa.Column('valid_days', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=18), server_default='all', nullable=False),
    sa.Column('per_member_limit', sa.Integer(), nullable=False),
    sa.Column('gift_kind', sa.String(length=18), server_default='none', nullable=False),
    sa.Column('status', sa.String(length=17), server_default='draft', nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'code', name='uq_coupon_batch_code')
    )
    op.create_index(op.f('ix_coupon_batch_created_at'), 'coupon_batch', ['created_at'], unique=False)
    op.create_index('ix_coupon_batch_merchant_created', 'coupon_batch', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_coupon_batch_merchant_id'), 'coupon_batch', ['merchant_id'], unique=False)
    op.create_index('ix_coupon_batch_merchant_status', 'coupon_batch', ['merchant_id', 'status'], unique=False)
    op.create_table('campaign_level',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['level_id'], ['member_level.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'level_id')
    )
    op.create_index(op.f('ix_campaign_level_level_id'), 'campaign_level', ['level_id'], unique=False)
    op.create_table('campaign_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('gift_batch_id', sa.Integer(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gift_batch_id'], ['coupon_batch.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_campaign_tier_campaign_id'), 'campaign_tier', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_campaign_tier_merchant_id'), 'campaign_tier', ['merchant_id'], unique=False)
    op.create_table('coupon_batch_category',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['product_category.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'category_id')
    )
    op.create_index(op.f('ix_coupon_batch_category_category_id'), 'coupon_batch_category', ['category_id'], unique=False)
    op.create_table('coupon_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=17), server_default='available', nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'serial', name='uq_coupon_code_serial'),
    sa.UniqueConstraint('merchant_id', 'code', name='uq_coupon_code_code')
    )
    op.create_index(op.f('ix_coupon_code_merchant_id'), 'coupon_code', ['merchant_id'], unique=False)
    op.create_table('campaign_member',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'member_id')
    )
    op.create_index(op.f('ix_campaign_member_member_id'), 'campaign_member', ['member_id'], unique=False)
    op.create_table('campaign_product',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'product_id')
    )
    op.create_index(op.f('ix_campaign_product_product_id'), 'campaign_product', ['product_id'], unique=False)
    op.create_table('coupon_batch_product',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'product_id')
    )
    op.create_index(op.f('ix_coupon_batch_product_product_id'), 'coupon_batch_product', ['product_id'], unique=False)
    op.create_table('coupon_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=15), server_default='issue', nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('remaining_after', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'idempotency_key', name='uq_coupon_ledger_key')
    )
    op.create_index('ix_coupon_ledger_batch', 'coupon_ledger', ['batch_id', 'id'], unique=False)
    op.create_index(op.f('ix_coupon_ledger_created_at'), 'coupon_ledger', ['created_at'], unique=False)
    op.create_index(op.f('ix_coupon_ledger_merchant_id'), 'coupon_ledger', ['merchant_id'], unique=False)
    op.create_table('member_coupon',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=18), server_default='issue', nullable=False),
    sa.Column('status', sa.String(length=14), server_default='unused', nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=True),
    sa.Column('valid_to', sa.DateTime(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('order_no', sa.String(length=32), nullable=True),
    sa.Column('claim_slot', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['code_id'], ['coupon_code.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'member_id', 'claim_slot', name='uq_member_coupon_slot')
    )
    op.create_index('ix_member_coupon_batch', 'member_coupon', ['batch_id', 'status'], unique=False)
    op.create_index(op.f('ix_member_coupon_created_at'), 'member_coupon', ['created_at'], unique=False)
    op.create_index('ix_member_coupon_member', 'member_coupon', ['member_id', 'status'], unique=False)
    op.create_index('ix_member_coupon_merchant_code', 'member_coupon', ['merchant_id', 'code'], unique=False)
    op.create_index('ix_member_coupon_merchant_created', 'member_coupon', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_member_coupon_merchant_id'), 'member_coupon', ['merchant_id'], unique=False)
    op.create_index('ix_member_coupon_merchant_status', 'member_coupon', ['merchant_id', 'status'], unique=False)
    op.create_table('coupon_gift_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=18), server_default='register', nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('member_coupon_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_coupon_id'], ['member_coupon.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'kind', name='uq_coupon_gift_member_kind')
    )
    op.create_index(op.f('ix_coupon_gift_grant_created_at'), 'coupon_gift_grant', ['created_at'], unique=False)
    op.create_index(op.f('ix_coupon_gift_grant_merchant_id'), 'coupon_gift_grant', ['merchant_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_coupon_gift_grant_merchant_id'), table_name='coupon_gift_grant')
    op.drop_index(op.f('ix_coupon_gift_grant_created_at'), table_name='coupon_gift_grant')
    op.drop_table('coupon_gift_grant')
    op.drop_index('ix_member_coupon_merchant_status', table_name='member_coupon')
    op.drop_index(op.f('ix_member_coupon_merchant_id'), table_name='member_coupon')
    op.drop_index('ix_member_coupon_merchant_created', table_name='member_coupon')
    op.drop_index('ix_member_coupon_merchant_code', table_name='member_coupon')
    op.drop_index('ix_member_coupon_member', table_name='member_coupon')
    op.drop_index(op.f('ix_member_coupon_created_at'), table_name='member_coupon')
    op.drop_index('ix_member_coupon_batch', table_name='member_coupon')
    op.drop_table('member_coupon')
    op.drop_index(op.f('ix_coupon_ledger_merchant_id'), table_name='coupon_ledger')
    op.drop_index(op.f('ix_coupon_ledger_created_at'), table_name='coupon_ledger')
    op.drop_index('ix_coupon_ledger_batch', table_name='coupon_ledger')
    op.drop_table('coupon_ledger')
    op.drop_index(op.f('ix_coupon_batch_product_product_id'), table_name='coupon_batch_product')
    op.drop_table('coupon_batch_product')
    op.drop_index(op.f('ix_campaign_product_product_id'), table_name='campaign_product')
    op.drop_table('campaign_product')
    op.drop_index(op.f('ix_campaign_member_member_id'), table_name='campaign_member')
    op.drop_table('campaign_member')
    op.drop_index(op.f('ix_coupon_code_merchant_id'), table_name='coupon_code')
    op.drop_table('coupon_code')
    op.drop_index(op.f('ix_coupon_batch_category_category_id'), table_name='coupon_batch_category')
    op.drop_table('coupon_batch_category')
    op.drop_index(op.f('ix_campaign_tier_merchant_id'), table_name='campaign_tier')
    op.drop_index(op.f('ix_campaign_tier_campaign_id'), table_name='campaign_tier')
    op.drop_table('campaign_tier')
    op.drop_index(op.f('ix_campaign_level_level_id'), table_name='campaign_level')
    op.drop_table('campaign_level')
    op.drop_index('ix_coupon_batch_merchant_status', table_name='coupon_batch')
    op.drop_index(op.f('ix_coupon_batch_merchant_id'), table_name='coupon_batch')
    op.drop_index('ix_coupon_batch_merchant_created', table_name='coupon_batch')
    op.drop_index(op.f('ix_coupon_batch_created_at'), table_name='coupon_batch')
    op.drop_table('coupon_batch')
    op.drop_index('ix_campaign_merchant_status', table_name='campaign')
    op.drop_index(op.f('ix_campaign_merchant_id'), table_name='campaign')
    op.drop_index('ix_campaign_merchant_created', table_name='campaign')
    op.drop_index(op.f('ix_campaign_created_at'), table_name='campaign')
    op.drop_table('campaign')
