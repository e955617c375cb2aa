"""Merchants (商家), their staff accounts and their own roles."""
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column
from app.models.base import label as info  # "label" is also a column name below
from app.tenancy import TenantMixin

MERCHANT_STATUS = [("normal", _l("正常")), ("frozen", _l("冻结"))]


class Merchant(db.Model):
    """The tenant. Created by the platform admin, together with its owner account."""

    __label__ = _l("商家")
    __tablename__ = "merchant"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True, info=info(_l("商家名称")))
    contact_phone = Column(String(20), nullable=False, unique=True,
                           info=info(_l("联系电话"), description=_l("也是大管理员的登录账号")))
    status = choice_column(MERCHANT_STATUS, "normal", _l("状态"))
    expires_on = Column(Date, nullable=True, info=info(_l("到期日期")))
    created_at = created_at_column()

    def __str__(self):
        return self.name

    def login_block_reason(self, today=None):
        """Why nobody of this merchant may log in now, or None."""
        from flask_babel import gettext as _

        today = today or china_now().date()
        if self.status == "frozen":
            return _("商家“%(name)s”已被冻结，请联系平台客服。", name=self.name)
        if self.expires_on is not None and self.expires_on < today:
            return _("商家“%(name)s”已于 %(day)s 到期，请续费后再登录。",
                     name=self.name, day=self.expires_on.isoformat())
        return None


class StaffUser(User):
    """Console account: the platform admin (no merchant), an owner or a staff member."""

    __label__ = _l("分管理员")
    __tablename__ = "ab_user"
    merchant_id = Column(Integer, ForeignKey("merchant.id"), nullable=True, index=True)
    phone = Column(String(20), nullable=True, unique=True)
    is_owner = Column(Boolean, nullable=False, default=False, server_default="0")
    must_change_password = Column(Boolean, nullable=False, default=False, server_default="0")
    password_changed_at = Column(DateTime, nullable=True)
    merchant = relationship(Merchant, foreign_keys=[merchant_id], lazy="joined")

    @property
    def display_name(self):
        return self.first_name or self.phone or self.username


class MerchantRole(TenantMixin, db.Model):
    """A merchant's own role (角色). FAB roles are global and uniquely named, so each
    merchant role is a FAB role named ``m<merchant_id>:<label>`` plus this side row."""

    __label__ = _l("角色")
    __tablename__ = "merchant_role"
    id = Column(Integer, primary_key=True)
    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), nullable=False,
                     unique=True)
    label = Column(String(32), nullable=False, info=info(_l("角色名称")))
    description = Column(String(200), nullable=True, info=info(_l("说明")))
    created_at = created_at_column()
    role = relationship(Role, lazy="joined")
    __table_args__ = (Index("uq_merchant_role_label", "merchant_id", "label", unique=True),)

    def __str__(self):
        return self.label


class LoginFailure(db.Model):
    """One failed login, kept for throttling per account and per IP."""

    __label__ = _l("登录失败记录")
    __tablename__ = "login_failure"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    account = Column(String(64), nullable=False, index=True)
    ip = Column(String(45), nullable=False, index=True)
    failed_at = Column(DateTime, nullable=False, default=china_now, index=True)
