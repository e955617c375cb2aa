"""mini_program: fast registrations, nearby POIs, the analytics cache

Revision ID: 0005_mini_program
Revises: 0002_wechat
Create Date: 2026-11-22 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_mini_program'
down_revision = '0002_wechat'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mini_program_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('code_type', sa.String(length=9), server_default='1', nullable=False),
    sa.Column('legal_persona_name', sa.String(length=32), nullable=False),
    sa.Column('legal_persona_wechat', sa.String(length=64), nullable=False),
    sa.Column('component_phone', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=17), server_default='submitted', nullable=False),
    sa.Column('message', sa.String(length=255), nullable=True),
    sa.Column('appid', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mini_program_registration', schema=None) as batch_op:
        batch_op.create_index('ix_mp_registration_merchant_status', ['merchant_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mini_program_registration_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mini_program_registration_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('mini_program_nearby_poi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('related_name', sa.String(length=100), nullable=False),
    sa.Column('related_credential', sa.String(length=20), nullable=False),
    sa.Column('related_address', sa.String(length=255), nullable=False),
    sa.Column('proof_name', sa.String(length=100), nullable=True),
    sa.Column('poi_id', sa.String(length=32), nullable=True),
    sa.Column('audit_id', sa.String(length=32), nullable=True),
    sa.Column('audit_status', sa.String(length=16), server_default='auditing', nullable=False),
    sa.Column('refuse_reason', sa.String(length=255), nullable=True),
    sa.Column('synced_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'poi_id', name='uq_nearby_poi_poi_id')
    )
    with op.batch_alter_table('mini_program_nearby_poi', schema=None) as batch_op:
        batch_op.create_index('ix_nearby_poi_merchant_status', ['merchant_id', 'audit_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mini_program_nearby_poi_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mini_program_nearby_poi_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('mini_program_analytics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='summary', nullable=False),
    sa.Column('ref_date', sa.String(length=32), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('merchant_id', 'kind', name='uq_mp_analytics_kind')
    )
    with op.batch_alter_table('mini_program_analytics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mini_program_analytics_merchant_id'), ['merchant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mini_program_analytics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mini_program_analytics_merchant_id'))
    op.drop_table('mini_program_analytics')
    with op.batch_alter_table('mini_program_nearby_poi', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mini_program_nearby_poi_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_mini_program_nearby_poi_created_at'))
        batch_op.drop_index('ix_nearby_poi_merchant_status')
    op.drop_table('mini_program_nearby_poi')
    with op.batch_alter_table('mini_program_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mini_program_registration_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_mini_program_registration_created_at'))
        batch_op.drop_index('ix_mp_registration_merchant_status')
    op.drop_table('mini_program_registration')
