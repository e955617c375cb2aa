"""素材库 and 商城装修: media groups and files, shop styles, decorated pages and their
published versions

Revision ID: 0010_decoration
Revises: 0004_catalog
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_decoration"
down_revision = "0004_catalog"
branch_labels = None
depends_on = ("0001_foundation",)


def upgrade():
    op.create_table('media_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'name', name='uq_media_group_merchant_name')
    )
    op.create_index(op.f('ix_media_group_created_at'), 'media_group', ['created_at'], unique=False)
    op.create_index(op.f('ix_media_group_merchant_id'), 'media_group', ['merchant_id'], unique=False)
    op.create_table('media_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=13), server_default='image', nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('thumb_key', sa.String(length=255), nullable=True),
    sa.Column('token', sa.String(length=48), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['media_group.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_media_file_created_at'), 'media_file', ['created_at'], unique=False)
    op.create_index(op.f('ix_media_file_group_id'), 'media_file', ['group_id'], unique=False)
    op.create_index(op.f('ix_media_file_merchant_id'), 'media_file', ['merchant_id'], unique=False)
    op.create_index('ix_media_file_merchant_created', 'media_file', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_media_file_merchant_group', 'media_file', ['merchant_id', 'group_id'], unique=False)
    op.create_table('shop_style',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('accent_color', sa.String(length=7), server_default='#FF9900', nullable=False),
    sa.Column('template_style', sa.String(length=20), server_default='classic', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id')
    )
    op.create_index(op.f('ix_shop_style_created_at'), 'shop_style', ['created_at'], unique=False)
    op.create_index(op.f('ix_shop_style_merchant_id'), 'shop_style', ['merchant_id'], unique=False)
    op.create_table('decoration_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=30), nullable=False),
    sa.Column('is_home', sa.Boolean(), nullable=False),
    sa.Column('bg_color', sa.String(length=7), nullable=False),
    sa.Column('draft', sa.Text(), nullable=True),
    sa.Column('draft_saved_at', sa.DateTime(), nullable=True),
    sa.Column('draft_saved_by', sa.String(length=64), nullable=True),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_decoration_page_created_at'), 'decoration_page', ['created_at'], unique=False)
    op.create_index(op.f('ix_decoration_page_merchant_id'), 'decoration_page', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_decoration_page_shop_id'), 'decoration_page', ['shop_id'], unique=False)
    op.create_index('ix_decoration_page_merchant_created', 'decoration_page', ['merchant_id', 'created_at'], unique=False)
    op.create_table('page_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_by_name', sa.String(length=64), nullable=True),
    sa.Column('rolled_back_from', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['decoration_page.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('page_id', 'number', name='uq_page_version_number')
    )
    op.create_index(op.f('ix_page_version_created_at'), 'page_version', ['created_at'], unique=False)
    op.create_index(op.f('ix_page_version_merchant_id'), 'page_version', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_page_version_page_id'), 'page_version', ['page_id'], unique=False)


def downgrade():
    op.drop_table('page_version')
    op.drop_table('decoration_page')
    op.drop_table('shop_style')
    op.drop_table('media_file')
    op.drop_table('media_group')
