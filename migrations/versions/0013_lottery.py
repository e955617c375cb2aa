"""lottery engine: per-member draw counters shared by 微红包 and the lottery games

Revision ID: 0013_lottery
Revises: 0003_members
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_lottery"
down_revision = "0003_members"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lottery_chance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('activity_kind', sa.String(length=20), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('activity_kind', 'activity_id', 'member_id', 'period',
                            name='uq_lottery_chance'),
    )
    with op.batch_alter_table('lottery_chance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_chance_member_id'), ['member_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_lottery_chance_merchant_id'), ['merchant_id'],
                              unique=False)


def downgrade():
    op.drop_table('lottery_chance')
