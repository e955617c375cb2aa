"""AI 刷脸: face_settings, face_campaign, face_coupon_tier, face_scan, face_photo

Revision ID: 0016_face_coupon
Revises: 0008_orders
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = "0016_face_coupon"
# Tiers point at coupon batches (0007, before 0008); scans at members (0003) and member
# coupons (0007); campaigns at shops (0001).
down_revision = "0008_orders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('face_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=15), server_default='local', nullable=False),
    sa.Column('tencent_secret_id', sa.Text(), nullable=True),
    sa.Column('tencent_secret_key', sa.Text(), nullable=True),
    sa.Column('tencent_region', sa.String(length=32), server_default='ap-guangzhou', nullable=False),
    sa.Column('retention_days', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_face_settings_merchant')
    )
    op.create_index(op.f('ix_face_settings_merchant_id'), 'face_settings', ['merchant_id'], unique=False)
    op.create_table('face_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.Text(), nullable=True),
    sa.Column('share_title', sa.String(length=50), nullable=True),
    sa.Column('share_image', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=14), server_default='active', nullable=False),
    sa.Column('participation_limit', sa.Integer(), server_default='1', nullable=False),
    sa.Column('rule_mode', sa.String(length=18), server_default='age_gender', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_face_campaign_created_at'), 'face_campaign', ['created_at'], unique=False)
    op.create_index('ix_face_campaign_merchant_created', 'face_campaign', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_face_campaign_merchant_id'), 'face_campaign', ['merchant_id'], unique=False)
    op.create_index('ix_face_campaign_merchant_status', 'face_campaign', ['merchant_id', 'status'], unique=False)
    op.create_table('face_coupon_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_to', sa.DateTime(), nullable=False),
    sa.Column('beauty_min', sa.Integer(), nullable=True),
    sa.Column('beauty_max', sa.Integer(), nullable=True),
    sa.Column('gender', sa.String(length=14), server_default='any', nullable=False),
    sa.Column('age_min', sa.Integer(), nullable=True),
    sa.Column('age_max', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batch.id'], ),
    sa.ForeignKeyConstraint(['campaign_id'], ['face_campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_face_coupon_tier_campaign_id'), 'face_coupon_tier', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_face_coupon_tier_created_at'), 'face_coupon_tier', ['created_at'], unique=False)
    op.create_index(op.f('ix_face_coupon_tier_merchant_id'), 'face_coupon_tier', ['merchant_id'], unique=False)
    op.create_table('face_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.Column('result', sa.String(length=18), server_default='rewarded', nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('beauty', sa.Integer(), nullable=True),
    sa.Column('gender', sa.String(length=8), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('member_coupon_id', sa.Integer(), nullable=True),
    sa.Column('coupon_code', sa.String(length=32), nullable=True),
    sa.Column('photo_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['face_campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_coupon_id'], ['member_coupon.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['tier_id'], ['face_coupon_tier.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'member_id', 'slot', name='uq_face_scan_slot')
    )
    op.create_index('ix_face_scan_campaign_result', 'face_scan', ['campaign_id', 'result'], unique=False)
    op.create_index(op.f('ix_face_scan_created_at'), 'face_scan', ['created_at'], unique=False)
    op.create_index('ix_face_scan_member', 'face_scan', ['member_id', 'campaign_id'], unique=False)
    op.create_index('ix_face_scan_merchant_created', 'face_scan', ['merchant_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_face_scan_merchant_id'), 'face_scan', ['merchant_id'], unique=False)
    op.create_table('face_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('data', sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), 'mariadb').with_variant(mysql.MEDIUMBLOB(), 'mysql'), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['scan_id'], ['face_scan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scan_id')
    )
    op.create_index(op.f('ix_face_photo_created_at'), 'face_photo', ['created_at'], unique=False)
    op.create_index(op.f('ix_face_photo_expires_at'), 'face_photo', ['expires_at'], unique=False)
    op.create_index(op.f('ix_face_photo_merchant_id'), 'face_photo', ['merchant_id'], unique=False)


def downgrade():
    for table in ("face_photo", "face_scan", "face_coupon_tier", "face_campaign",
                  "face_settings"):
        op.drop_table(table)
