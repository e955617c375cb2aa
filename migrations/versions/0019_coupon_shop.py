"""优惠券 适用商城: coupon_batch.shop_id, an optional shop a batch's coupons are limited to
(NULL: every shop of the merchant). AI 刷脸 tier batches carry their campaign's shop.

Revision ID: 0019_coupon_shop
Revises: 0016_face_coupon
"""
from alembic import op
import sqlalchemy as sa


revision = "0019_coupon_shop"
# coupon_batch comes from 0007 (0016's ancestor); the backfill reads 0016's face tables.
down_revision = "0016_face_coupon"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite has no ALTER ... ADD CONSTRAINT, but a nullable column may carry its
        # REFERENCES clause (no table copy needed).
        op.execute("ALTER TABLE coupon_batch ADD COLUMN shop_id INTEGER REFERENCES shop (id)")
    else:
        op.add_column("coupon_batch", sa.Column("shop_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_coupon_batch_shop", "coupon_batch", "shop", ["shop_id"],
                              ["id"])
    # AI 刷脸 promised "a coupon to spend in the campaign's shop": existing tier batches get
    # that shop (one batch per tier; MAX only keeps the subquery scalar).
    op.execute(
        "UPDATE coupon_batch SET shop_id = ("
        " SELECT MAX(face_campaign.shop_id) FROM face_coupon_tier"
        " JOIN face_campaign ON face_campaign.id = face_coupon_tier.campaign_id"
        " WHERE face_coupon_tier.batch_id = coupon_batch.id)"
        " WHERE id IN (SELECT batch_id FROM face_coupon_tier)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column used by a foreign key: batch mode copies the table.
        with op.batch_alter_table("coupon_batch", schema=None) as batch_op:
            batch_op.drop_column("shop_id")
        return
    op.drop_constraint("fk_coupon_batch_shop", "coupon_batch", type_="foreignkey")
    op.drop_column("coupon_batch", "shop_id")
