"""微红包: red-packet pool and ledger, recharges, activity settings, activities, tiers,
budget ledger, draws and payouts

Revision ID: 0017_red_packet
Revises: 0013_lottery
Depends on: 0002_wechat (payments); 0003_members (members) is already an ancestor through
0013_lottery, and naming an ancestor again makes `upgrade heads` fail (KeyError)
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_red_packet"
down_revision = "0013_lottery"
branch_labels = None
depends_on = ("0002_wechat",)


def upgrade():
    op.create_table('red_packet_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('logo', sa.String(length=64), nullable=True),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('remaining', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('awarded', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('claim_mode', sa.String(length=14), server_default='24h', nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('per_day', sa.Integer(), nullable=False),
    sa.Column('per_member', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=14), server_default='active', nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_red_packet_activity_created_at'), 'red_packet_activity', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_activity_ends_at'), 'red_packet_activity', ['ends_at'], unique=False)
    op.create_index(op.f('ix_red_packet_activity_merchant_id'), 'red_packet_activity', ['merchant_id'], unique=False)
    op.create_index('ix_rp_activity_merchant_created', 'red_packet_activity', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_rp_activity_merchant_status', 'red_packet_activity', ['merchant_id', 'status'], unique=False)
    op.create_table('red_packet_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('total_recharged', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_red_packet_pool_merchant')
    )
    op.create_index(op.f('ix_red_packet_pool_merchant_id'), 'red_packet_pool', ['merchant_id'], unique=False)
    op.create_table('red_packet_pool_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='recharge', nullable=False),
    sa.Column('delta', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('idempotency_key', sa.String(length=96), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_index(op.f('ix_red_packet_pool_ledger_created_at'), 'red_packet_pool_ledger', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_pool_ledger_merchant_id'), 'red_packet_pool_ledger', ['merchant_id'], unique=False)
    op.create_index('ix_rp_pool_ledger_merchant_created', 'red_packet_pool_ledger', ['merchant_id', 'created_at'], unique=False)
    op.create_table('red_packet_recharge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=15), server_default='pending', nullable=False),
    sa.Column('code_url', sa.String(length=255), nullable=True),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('transaction_id', sa.String(length=64), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('out_trade_no')
    )
    op.create_index(op.f('ix_red_packet_recharge_created_at'), 'red_packet_recharge', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_recharge_merchant_id'), 'red_packet_recharge', ['merchant_id'], unique=False)
    op.create_index('ix_rp_recharge_merchant_created', 'red_packet_recharge', ['merchant_id', 'created_at'], unique=False)
    op.create_table('red_packet_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('follow_qr', sa.String(length=64), nullable=True),
    sa.Column('rules', sa.Text(), nullable=True),
    sa.Column('home_image', sa.String(length=64), nullable=True),
    sa.Column('home_second', sa.String(length=50), nullable=True),
    sa.Column('home_third', sa.String(length=50), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', name='uq_red_packet_setting_merchant')
    )
    op.create_index(op.f('ix_red_packet_setting_merchant_id'), 'red_packet_setting', ['merchant_id'], unique=False)
    op.create_table('red_packet_budget_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=15), server_default='draw', nullable=False),
    sa.Column('delta', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('remaining_after', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['red_packet_activity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_red_packet_budget_ledger_created_at'), 'red_packet_budget_ledger', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_budget_ledger_merchant_id'), 'red_packet_budget_ledger', ['merchant_id'], unique=False)
    op.create_index('ix_rp_budget_activity', 'red_packet_budget_ledger', ['merchant_id', 'activity_id'], unique=False)
    op.create_table('red_packet_tier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('probability', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['red_packet_activity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_red_packet_tier_activity_id'), 'red_packet_tier', ['activity_id'], unique=False)
    op.create_index(op.f('ix_red_packet_tier_merchant_id'), 'red_packet_tier', ['merchant_id'], unique=False)
    op.create_table('red_packet_payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('source', sa.String(length=18), server_default='red_packet', nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('act_name', sa.String(length=32), nullable=True),
    sa.Column('mch_billno', sa.String(length=28), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='waiting', nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_listid', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=255), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mch_billno')
    )
    op.create_index(op.f('ix_red_packet_payout_created_at'), 'red_packet_payout', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_payout_member_id'), 'red_packet_payout', ['member_id'], unique=False)
    op.create_index(op.f('ix_red_packet_payout_merchant_id'), 'red_packet_payout', ['merchant_id'], unique=False)
    op.create_index('ix_rp_payout_merchant_created', 'red_packet_payout', ['merchant_id', 'created_at'], unique=False)
    op.create_index('ix_rp_payout_merchant_status', 'red_packet_payout', ['merchant_id', 'status'], unique=False)
    op.create_table('red_packet_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('won', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('drawn_tier_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['red_packet_activity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.ForeignKeyConstraint(['payout_id'], ['red_packet_payout.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_red_packet_draw_created_at'), 'red_packet_draw', ['created_at'], unique=False)
    op.create_index(op.f('ix_red_packet_draw_member_id'), 'red_packet_draw', ['member_id'], unique=False)
    op.create_index(op.f('ix_red_packet_draw_merchant_id'), 'red_packet_draw', ['merchant_id'], unique=False)
    op.create_index('ix_rp_draw_merchant_activity', 'red_packet_draw', ['merchant_id', 'activity_id'], unique=False)
    op.create_index('ix_rp_draw_merchant_created', 'red_packet_draw', ['merchant_id', 'created_at'], unique=False)


def downgrade():
    for table in ("red_packet_draw", "red_packet_payout", "red_packet_tier",
                  "red_packet_budget_ledger", "red_packet_setting", "red_packet_recharge",
                  "red_packet_pool_ledger", "red_packet_pool", "red_packet_activity"):
        op.drop_table(table)
