"""members, more: 省/市/区 on member addresses

Revision ID: 0012_members_more
Revises: 0003_members
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_members_more"
down_revision = "0003_members"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member_address', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('city', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('district', sa.String(length=20), server_default='', nullable=False))
    # The '' default only fills existing rows; the app always writes the three parts.
    with op.batch_alter_table('member_address', schema=None) as batch_op:
        for column in ('province', 'city', 'district'):
            batch_op.alter_column(column, existing_type=sa.String(length=20),
                                  existing_nullable=False, server_default=None)


def downgrade():
    with op.batch_alter_table('member_address', schema=None) as batch_op:
        batch_op.drop_column('district')
        batch_op.drop_column('city')
        batch_op.drop_column('province')
