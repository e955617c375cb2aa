"""catalog, logistics and ads: categories, brands, specs, products, SKUs, stock ledger,
freight templates, couriers, per-shop couriers, home banners

Revision ID: 0004_catalog
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_catalog"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'name', name='uq_brand_merchant_name')
    )
    op.create_index(op.f('ix_brand_created_at'), 'brand', ['created_at'], unique=False)
    op.create_index(op.f('ix_brand_merchant_id'), 'brand', ['merchant_id'], unique=False)
    op.create_table('courier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'code', name='uq_courier_merchant_code')
    )
    op.create_index(op.f('ix_courier_created_at'), 'courier', ['created_at'], unique=False)
    op.create_index(op.f('ix_courier_merchant_id'), 'courier', ['merchant_id'], unique=False)
    op.create_table('freight_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('charge_by', sa.String(length=14), server_default='piece', nullable=False),
    sa.Column('first_unit', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('first_fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('additional_unit', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('additional_fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('free_over_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('free_over_count', sa.Integer(), nullable=True),
    sa.Column('self_pickup', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_freight_template_created_at'), 'freight_template', ['created_at'], unique=False)
    op.create_index('ix_freight_template_merchant_created', 'freight_template', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_freight_template_merchant_id'), 'freight_template', ['merchant_id'], unique=False)
    op.create_table('product_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('icon', sa.String(length=40), nullable=True),
    sa.Column('icon_image', sa.String(length=255), nullable=True),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['product_category.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_product_category_created_at'), 'product_category', ['created_at'], unique=False)
    op.create_index(op.f('ix_product_category_merchant_id'), 'product_category', ['merchant_id'], unique=False)
    op.create_index('ix_product_category_merchant_sort', 'product_category', ['merchant_id', 'sort'], unique=False)
    op.create_table('spec_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'name', name='uq_spec_group_merchant_name')
    )
    op.create_index(op.f('ix_spec_group_created_at'), 'spec_group', ['created_at'], unique=False)
    op.create_index(op.f('ix_spec_group_merchant_id'), 'spec_group', ['merchant_id'], unique=False)
    op.create_table('freight_region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('provinces', sa.Text(), nullable=False),
    sa.Column('first_unit', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('first_fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('additional_unit', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('additional_fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['template_id'], ['freight_template.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_freight_region_merchant_id'), 'freight_region', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_freight_region_template_id'), 'freight_region', ['template_id'], unique=False)
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_type', sa.String(length=20), server_default='normal', nullable=False),
    sa.Column('goods_kind', sa.String(length=16), server_default='physical', nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('main_video', sa.String(length=255), nullable=True),
    sa.Column('original_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('cost_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=15), server_default='express', nullable=False),
    sa.Column('free_shipping', sa.Boolean(), nullable=False),
    sa.Column('freight_template_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.Column('timed_sale', sa.Boolean(), nullable=False),
    sa.Column('on_shelf_at', sa.DateTime(), nullable=True),
    sa.Column('off_shelf_at', sa.DateTime(), nullable=True),
    sa.Column('real_name_required', sa.Boolean(), nullable=False),
    sa.Column('points_earned', sa.Integer(), nullable=False),
    sa.Column('initial_sales', sa.Integer(), nullable=False),
    sa.Column('stock_strategy', sa.String(length=18), server_default='on_payment', nullable=False),
    sa.Column('status', sa.String(length=17), server_default='warehouse', nullable=False),
    sa.Column('pin_rank', sa.Integer(), nullable=True),
    sa.Column('home_sort', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extra_fields', sa.Text(), nullable=True),
    sa.Column('image_urls', sa.Text(), nullable=True),
    sa.Column('group_size', sa.Integer(), nullable=True),
    sa.Column('group_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('group_hours', sa.Integer(), nullable=True),
    sa.Column('bargain_floor_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('bargain_helpers', sa.Integer(), nullable=True),
    sa.Column('bargain_hours', sa.Integer(), nullable=True),
    sa.Column('bargain_multiple', sa.Boolean(), nullable=False),
    sa.Column('commission_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('reservation_city', sa.String(length=30), nullable=True),
    sa.Column('reservation_slots', sa.String(length=255), nullable=True),
    sa.Column('points_price', sa.Integer(), nullable=True),
    sa.Column('points_cash', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brand.id'], ),
    sa.ForeignKeyConstraint(['freight_template_id'], ['freight_template.id'], ),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_product_brand_id'), 'product', ['brand_id'], unique=False)
    op.create_index(op.f('ix_product_created_at'), 'product', ['created_at'], unique=False)
    op.create_index(op.f('ix_product_freight_template_id'), 'product', ['freight_template_id'], unique=False)
    op.create_index('ix_product_merchant_created', 'product', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_product_merchant_id'), 'product', ['merchant_id'], unique=False)
    op.create_index('ix_product_merchant_name', 'product', ['merchant_id', 'name'], unique=False)
    op.create_index('ix_product_merchant_pin', 'product', ['merchant_id', 'pin_rank'], unique=False)
    op.create_index('ix_product_merchant_status', 'product', ['merchant_id', 'status'], unique=False)
    op.create_table('shop_courier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('courier_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['courier.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'courier_id', name='uq_shop_courier')
    )
    op.create_index(op.f('ix_shop_courier_courier_id'), 'shop_courier', ['courier_id'], unique=False)
    op.create_index(op.f('ix_shop_courier_merchant_id'), 'shop_courier', ['merchant_id'], unique=False)
    op.create_table('spec_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['spec_group.id'], ),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_spec_value_group_id'), 'spec_value', ['group_id'], unique=False)
    op.create_index(op.f('ix_spec_value_merchant_id'), 'spec_value', ['merchant_id'], unique=False)
    op.create_table('home_banner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('image', sa.String(length=255), nullable=True),
    sa.Column('position', sa.String(length=18), server_default='home_focus', nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_home_banner_created_at'), 'home_banner', ['created_at'], unique=False)
    op.create_index('ix_home_banner_merchant_created', 'home_banner', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_home_banner_merchant_id'), 'home_banner', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_home_banner_product_id'), 'home_banner', ['product_id'], unique=False)
    op.create_index(op.f('ix_home_banner_shop_id'), 'home_banner', ['shop_id'], unique=False)
    op.create_table('product_category_link',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['product_category.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'category_id')
    )
    op.create_index(op.f('ix_product_category_link_category_id'), 'product_category_link', ['category_id'], unique=False)
    op.create_table('product_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_product_image_merchant_id'), 'product_image', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_product_image_product_id'), 'product_image', ['product_id'], unique=False)
    op.create_table('sku',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('spec_key', sa.String(length=100), nullable=False),
    sa.Column('spec_text', sa.String(length=200), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('image', sa.String(length=255), nullable=True),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sku_merchant_id'), 'sku', ['merchant_id'], unique=False)
    op.create_index('ix_sku_product_key', 'sku', ['product_id', 'spec_key'], unique=False)
    op.create_table('stock_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('order_ref', sa.String(length=64), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'idempotency_key', name='uq_stock_ledger_idem')
    )
    op.create_index(op.f('ix_stock_ledger_created_at'), 'stock_ledger', ['created_at'], unique=False)
    op.create_index('ix_stock_ledger_merchant_created', 'stock_ledger', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_stock_ledger_merchant_id'), 'stock_ledger', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_stock_ledger_sku_id'), 'stock_ledger', ['sku_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_stock_ledger_sku_id'), table_name='stock_ledger')
    op.drop_index(op.f('ix_stock_ledger_merchant_id'), table_name='stock_ledger')
    op.drop_index('ix_stock_ledger_merchant_created', table_name='stock_ledger')
    op.drop_index(op.f('ix_stock_ledger_created_at'), table_name='stock_ledger')
    op.drop_table('stock_ledger')
    op.drop_index('ix_sku_product_key', table_name='sku')
    op.drop_index(op.f('ix_sku_merchant_id'), table_name='sku')
    op.drop_table('sku')
    op.drop_index(op.f('ix_product_image_product_id'), table_name='product_image')
    op.drop_index(op.f('ix_product_image_merchant_id'), table_name='product_image')
    op.drop_table('product_image')
    op.drop_index(op.f('ix_product_category_link_category_id'), table_name='product_category_link')
    op.drop_table('product_category_link')
    op.drop_index(op.f('ix_home_banner_shop_id'), table_name='home_banner')
    op.drop_index(op.f('ix_home_banner_product_id'), table_name='home_banner')
    op.drop_index(op.f('ix_home_banner_merchant_id'), table_name='home_banner')
    op.drop_index('ix_home_banner_merchant_created', table_name='home_banner')
    op.drop_index(op.f('ix_home_banner_created_at'), table_name='home_banner')
    op.drop_table('home_banner')
    op.drop_index(op.f('ix_spec_value_merchant_id'), table_name='spec_value')
    op.drop_index(op.f('ix_spec_value_group_id'), table_name='spec_value')
    op.drop_table('spec_value')
    op.drop_index(op.f('ix_shop_courier_merchant_id'), table_name='shop_courier')
    op.drop_index(op.f('ix_shop_courier_courier_id'), table_name='shop_courier')
    op.drop_table('shop_courier')
    op.drop_index('ix_product_merchant_status', table_name='product')
    op.drop_index('ix_product_merchant_pin', table_name='product')
    op.drop_index('ix_product_merchant_name', table_name='product')
    op.drop_index(op.f('ix_product_merchant_id'), table_name='product')
    op.drop_index('ix_product_merchant_created', table_name='product')
    op.drop_index(op.f('ix_product_freight_template_id'), table_name='product')
    op.drop_index(op.f('ix_product_created_at'), table_name='product')
    op.drop_index(op.f('ix_product_brand_id'), table_name='product')
    op.drop_table('product')
    op.drop_index(op.f('ix_freight_region_template_id'), table_name='freight_region')
    op.drop_index(op.f('ix_freight_region_merchant_id'), table_name='freight_region')
    op.drop_table('freight_region')
    op.drop_index(op.f('ix_spec_group_merchant_id'), table_name='spec_group')
    op.drop_index(op.f('ix_spec_group_created_at'), table_name='spec_group')
    op.drop_table('spec_group')
    op.drop_index('ix_product_category_merchant_sort', table_name='product_category')
    op.drop_index(op.f('ix_product_category_merchant_id'), table_name='product_category')
    op.drop_index(op.f('ix_product_category_created_at'), table_name='product_category')
    op.drop_table('product_category')
    op.drop_index(op.f('ix_freight_template_merchant_id'), table_name='freight_template')
    op.drop_index('ix_freight_template_merchant_created', table_name='freight_template')
    op.drop_index(op.f('ix_freight_template_created_at'), table_name='freight_template')
    op.drop_table('freight_template')
    op.drop_index(op.f('ix_courier_merchant_id'), table_name='courier')
    op.drop_index(op.f('ix_courier_created_at'), table_name='courier')
    op.drop_table('courier')
    op.drop_index(op.f('ix_brand_merchant_id'), table_name='brand')
    op.drop_index(op.f('ix_brand_created_at'), table_name='brand')
    op.drop_table('brand')
