"""广告管理: home banners (首页焦点图 / 首页广告位) that point at a product."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label
from app.tenancy import TenantMixin

BANNER_POSITIONS = [("home_focus", _l("首页焦点图")), ("home_ad", _l("首页广告位"))]
# 首页广告位 exists only in some shop templates (the guide: "如拼团商城"): the mini-program
# malls here. A 微商城 has focus images only.
AD_SLOT_SHOP_TYPES = ("mini_mall", "diy_mini")


class Banner(TenantMixin, db.Model):
    __label__ = _l("焦点图广告")
    __tablename__ = "home_banner"
    id = Column(Integer, primary_key=True)
    shop_id = Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False,
                     index=True, info=label(_l("商城")))
    shop = relationship("Shop", info=label(_l("商城")))
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False,
                        index=True, info=label(_l("推荐商品ID"), description=_l(
                            "在“全部商品列表”中可查到商品ID；商品须已上架")))
    product = relationship("Product", info=label(_l("推荐商品")))
    image = Column(String(255), nullable=True, info=label(_l("广告图片"), image=True))
    position = choice_column(BANNER_POSITIONS, "home_focus", _l("图片位置"))
    sort = Column(Integer, nullable=False, default=0, info=label(
        _l("排序"), description=_l("数字越小越靠前")))
    active = Column(Boolean, nullable=False, default=True, info=label(_l("启用")))
    starts_at = Column(DateTime, nullable=True, info=label(_l("开始时间")))
    ends_at = Column(DateTime, nullable=True, info=label(_l("结束时间")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_home_banner_merchant_created", "merchant_id", "created_at"),)

    def __str__(self):
        return f"{self.id}"
