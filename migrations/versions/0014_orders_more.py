"""orders, more: the reason a cancellation request was refused (shown to the buyer), and
the provinces a 满免邮 campaign does not cover

Revision ID: 0014_orders_more
Revises: 0009_fulfilment
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_orders_more"
down_revision = "0009_fulfilment"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_refuse_reason', sa.String(length=200),
                                      nullable=True))
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_provinces', sa.String(length=255),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('excluded_provinces')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('cancel_refuse_reason')
