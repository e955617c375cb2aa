"""抽奖游戏: activities (大转盘, 刮刮卡, 砸金蛋, 拆宝箱), their prizes and the draw records

Revision ID: 0018_lottery_game
Revises: 0013_lottery
Depends on: 0008_orders (coupon batches), 0009_fulfilment (verification)
"""
from alembic import op
import sqlalchemy as sa


revision = "0018_lottery_game"
down_revision = "0013_lottery"
branch_labels = None
depends_on = ("0008_orders", "0009_fulfilment")


def _merchant():
    return [sa.Column('merchant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], )]


def _merchant_index(table):
    op.create_index(op.f(f'ix_{table}_merchant_id'), table, ['merchant_id'], unique=False)


def upgrade():
    op.create_table(
        'lottery_game',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('game_type', sa.String(length=20), server_default='wheel', nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('per_day', sa.Integer(), server_default='0', nullable=False),
        sa.Column('total', sa.Integer(), server_default='0', nullable=False),
        sa.Column('points_cost', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rules', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=14), server_default='active', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_merchant(),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_lottery_game_created_at'), 'lottery_game', ['created_at'],
                    unique=False)
    op.create_index('ix_lottery_game_merchant_created', 'lottery_game',
                    ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_lottery_game_merchant_status', 'lottery_game',
                    ['merchant_id', 'status'], unique=False)
    _merchant_index('lottery_game')

    op.create_table(
        'lottery_game_prize',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('game_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=18), server_default='gift', nullable=False),
        sa.Column('probability', sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column('stock', sa.Integer(), nullable=False),
        sa.Column('remaining', sa.Integer(), nullable=False),
        sa.Column('coupon_batch_id', sa.Integer(), nullable=True),
        sa.Column('points', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('sort', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_merchant(),
        sa.ForeignKeyConstraint(['game_id'], ['lottery_game.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['coupon_batch_id'], ['coupon_batch.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_lottery_game_prize_game_id'), 'lottery_game_prize', ['game_id'],
                    unique=False)
    op.create_index(op.f('ix_lottery_game_prize_created_at'), 'lottery_game_prize',
                    ['created_at'], unique=False)
    _merchant_index('lottery_game_prize')

    op.create_table(
        'lottery_game_draw',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draw_no', sa.String(length=32), nullable=False),
        sa.Column('game_id', sa.Integer(), nullable=False),
        sa.Column('game_type', sa.String(length=20), server_default='wheel', nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('member_nickname', sa.String(length=64), nullable=True),
        sa.Column('member_phone', sa.String(length=20), nullable=True),
        sa.Column('result', sa.String(length=14), server_default='none', nullable=False),
        sa.Column('prize_id', sa.Integer(), nullable=True),
        sa.Column('drawn_prize_id', sa.Integer(), nullable=True),
        sa.Column('prize_kind', sa.String(length=16), nullable=True),
        sa.Column('prize_name', sa.String(length=20), nullable=True),
        sa.Column('points_cost', sa.Integer(), nullable=False),
        sa.Column('points_awarded', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('member_coupon_id', sa.Integer(), nullable=True),
        sa.Column('payout_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=16), nullable=True),
        sa.Column('redeemed_at', sa.DateTime(), nullable=True),
        sa.Column('redeemed_by', sa.Integer(), nullable=True),
        sa.Column('redeemed_by_name', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_merchant(),
        sa.ForeignKeyConstraint(['game_id'], ['lottery_game.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['prize_id'], ['lottery_game_prize.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['member_coupon_id'], ['member_coupon.id'],
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['redeemed_by'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('draw_no', name='uq_lottery_game_draw_no'),
        sa.UniqueConstraint('code', name='uq_lottery_game_draw_code'),
    )
    op.create_index(op.f('ix_lottery_game_draw_created_at'), 'lottery_game_draw',
                    ['created_at'], unique=False)
    op.create_index('ix_lottery_game_draw_merchant_created', 'lottery_game_draw',
                    ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_lottery_game_draw_merchant_result', 'lottery_game_draw',
                    ['merchant_id', 'result'], unique=False)
    op.create_index('ix_lottery_game_draw_merchant_phone', 'lottery_game_draw',
                    ['merchant_id', 'member_phone'], unique=False)
    op.create_index('ix_lottery_game_draw_game_member', 'lottery_game_draw',
                    ['game_id', 'member_id'], unique=False)
    op.create_index('ix_lottery_game_draw_prize', 'lottery_game_draw', ['prize_id'],
                    unique=False)
    _merchant_index('lottery_game_draw')


def downgrade():
    op.drop_table('lottery_game_draw')
    op.drop_table('lottery_game_prize')
    op.drop_table('lottery_game')
