"""品牌内容 and 商家荣誉: brand focus images, article categories and articles, the 关于商城
page, 实名认证 and 消费者保障

Revision ID: 0011_content
Revises: 0004_catalog
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_content"
down_revision = "0004_catalog"  # article.head_product_id / tail_product_id -> product.id
branch_labels = None
depends_on = ("0001_foundation",)


def upgrade():
    op.create_table('about_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=30), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_about_page_merchant')
    )
    op.create_index(op.f('ix_about_page_merchant_id'), 'about_page', ['merchant_id'], unique=False)
    op.create_table('article_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'name', name='uq_article_category_merchant_name')
    )
    op.create_index(op.f('ix_article_category_created_at'), 'article_category', ['created_at'], unique=False)
    op.create_index(op.f('ix_article_category_merchant_id'), 'article_category', ['merchant_id'], unique=False)
    op.create_index('ix_article_category_merchant_sort', 'article_category', ['merchant_id', 'sort'], unique=False)
    op.create_table('brand_focus_image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=30), nullable=True),
    sa.Column('image', sa.String(length=512), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_brand_focus_image_created_at'), 'brand_focus_image', ['created_at'], unique=False)
    op.create_index(op.f('ix_brand_focus_image_merchant_id'), 'brand_focus_image', ['merchant_id'], unique=False)
    op.create_index('ix_brand_focus_image_merchant_sort', 'brand_focus_image', ['merchant_id', 'sort'], unique=False)
    op.create_table('certification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('legal_person', sa.String(length=30), nullable=False),
    sa.Column('licence_image', sa.String(length=512), nullable=True),
    sa.Column('contact_name', sa.String(length=30), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('reject_reason', sa.String(length=200), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submit_count', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_certification_merchant')
    )
    op.create_index(op.f('ix_certification_merchant_id'), 'certification', ['merchant_id'], unique=False)
    op.create_index('ix_certification_status', 'certification', ['status', 'submitted_at'], unique=False)
    op.create_table('guarantee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('payment_ref', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=17), server_default='pending', nullable=False),
    sa.Column('reject_reason', sa.String(length=200), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_guarantee_merchant')
    )
    op.create_index(op.f('ix_guarantee_merchant_id'), 'guarantee', ['merchant_id'], unique=False)
    op.create_index('ix_guarantee_status', 'guarantee', ['status', 'submitted_at'], unique=False)
    op.create_table('article',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('cover', sa.String(length=512), nullable=True),
    sa.Column('summary', sa.String(length=200), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('head_product_id', sa.Integer(), nullable=True),
    sa.Column('tail_product_id', sa.Integer(), nullable=True),
    sa.Column('video', sa.String(length=500), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['article_category.id'], ),
    sa.ForeignKeyConstraint(['head_product_id'], ['product.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['tail_product_id'], ['product.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_article_category_id'), 'article', ['category_id'], unique=False)
    op.create_index(op.f('ix_article_created_at'), 'article', ['created_at'], unique=False)
    op.create_index('ix_article_merchant_created', 'article', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_article_merchant_id'), 'article', ['merchant_id'], unique=False)
    op.create_index('ix_article_merchant_published', 'article', ['merchant_id', 'published', 'visible', 'published_at'], unique=False)


def downgrade():
    op.drop_table('article')
    op.drop_table('guarantee')
    op.drop_table('certification')
    op.drop_table('brand_focus_image')
    op.drop_table('article_category')
    op.drop_table('about_page')
