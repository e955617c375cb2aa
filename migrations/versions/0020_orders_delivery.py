"""orders, delivery: the delivery methods a 满免邮 campaign covers (参加活动的配送方式),
and the points each order line was bought with (积分+现金, returned in part by 售后)

Revision ID: 0020_orders_delivery
Revises: 0014_orders_more
"""
from alembic import op
import sqlalchemy as sa


revision = "0020_orders_delivery"
down_revision = "0014_orders_more"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_methods', sa.String(length=64),
                                      nullable=True))
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points_paid', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.drop_column('points_paid')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('delivery_methods')
