"""Shops (商城): a merchant runs one or more malls."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Index, Integer, String

from app.extensions import db
from app.models.base import choice_column, created_at_column, label
from app.tenancy import TenantMixin

SHOP_TYPES = [("wx_mall", _l("微商城")), ("mini_mall", _l("小程序商城")),
              ("diy_mini", _l("百变小程序"))]
SHOP_STATUS = [("open", _l("营业中")), ("closed", _l("已打烊"))]


class Shop(TenantMixin, db.Model):
    __label__ = _l("商城")
    __tablename__ = "shop"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, info=label(_l("商城名称")))
    shop_type = choice_column(SHOP_TYPES, "wx_mall", _l("商城类型"))
    logo = Column(String(255), nullable=True, info=label(_l("商城Logo"), image=True))
    status = choice_column(SHOP_STATUS, "open", _l("状态"))
    theme_color = Column(String(7), nullable=False, default="#E4393C",
                         server_default="#E4393C",
                         info=label(_l("主题色"), description=_l("例如 #E4393C")))
    created_at = created_at_column()
    __table_args__ = (
        Index("ix_shop_merchant_created", "merchant_id", "created_at"),
        Index("ix_shop_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.name

    @property
    def qr(self):
        """The row id for the list's "查看二维码" column; the view renders the link."""
        return self.id
