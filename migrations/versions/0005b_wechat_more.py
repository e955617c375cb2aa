"""wechat (issue #3, finishing): APIv3 verification result, the service provider's
certificate serial and expiry, the mini program's analytics sync status

Revision ID: 0005b_wechat_more
Revises: 0005_mini_program
Create Date: 2026-11-28 05:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005b_wechat_more'
down_revision = '0005_mini_program'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wechat_payment_config', schema=None) as batch_op:
        batch_op.add_column(sa.Column('v3_verify_result', sa.String(length=14),
                                      server_default='none', nullable=False))
        batch_op.add_column(sa.Column('v3_verify_message', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('v3_verified_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('wechat_platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sp_cert_serial', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sp_cert_expires_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('wechat_mini_program', schema=None) as batch_op:
        batch_op.add_column(sa.Column('analytics_synced_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('analytics_error', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('wechat_mini_program', schema=None) as batch_op:
        batch_op.drop_column('analytics_error')
        batch_op.drop_column('analytics_synced_at')
    with op.batch_alter_table('wechat_platform', schema=None) as batch_op:
        batch_op.drop_column('sp_cert_expires_at')
        batch_op.drop_column('sp_cert_serial')
    with op.batch_alter_table('wechat_payment_config', schema=None) as batch_op:
        batch_op.drop_column('v3_verified_at')
        batch_op.drop_column('v3_verify_message')
        batch_op.drop_column('v3_verify_result')
