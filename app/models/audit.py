"""操作日志: one row per add, edit, delete and action, written in the same transaction."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Index, Integer, String, Text

from app.extensions import db
from app.models.base import created_at_column, label
from app.tenancy import OptionalTenantMixin


class AuditLog(OptionalTenantMixin, db.Model):
    __label__ = _l("操作日志")
    __tablename__ = "audit_log"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    created_at = created_at_column()
    user_id = Column(Integer, nullable=True, index=True, info=label(_l("操作人ID")))
    user_name = Column(String(64), nullable=True, info=label(_l("操作人")))
    ip = Column(String(45), nullable=True, info=label(_l("IP地址")))
    entity = Column(String(64), nullable=False, info=label(_l("对象")))
    entity_id = Column(String(64), nullable=True, info=label(_l("对象ID")))
    action = Column(String(64), nullable=False, info=label(_l("操作")))
    changes = Column(Text, nullable=True, info=label(_l("变更内容")))
    __table_args__ = (Index("ix_audit_log_merchant_created", "merchant_id", "created_at"),)

    @property
    def change_summary(self):
        """The row itself, for the list's readable diff; the view renders it."""
        return self
