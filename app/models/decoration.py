"""商城装修: per-shop style (个性化 colours, 模板样式) and decorated pages with their
published versions.

A page keeps its working copy in ``draft`` (JSON). Shoppers only ever see a
``PageVersion``: 发布 copies the checked draft into a new version and points
``published_version_id`` at it; 回滚 publishes an old version's content again as a new
version, so history is append-only and says who published what, when.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import created_at_column, label
from app.tenancy import TenantMixin

# 设置模板样式 of a 小程序商城: the guide offers five; each is rendered as a live preview.
TEMPLATE_STYLES = [("classic", _l("经典商城")), ("grid", _l("九宫格")),
                   ("magazine", _l("杂志大图")), ("waterfall", _l("瀑布流")),
                   ("minimal", _l("极简列表"))]


class ShopStyle(TenantMixin, db.Model):
    __label__ = _l("商城个性化")
    __tablename__ = "shop_style"
    id = Column(Integer, primary_key=True)
    shop_id = Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False,
                     unique=True, info=label(_l("商城")))
    shop = relationship("Shop", info=label(_l("商城")))
    accent_color = Column(String(7), nullable=False, default="#FF9900", server_default="#FF9900",
                          info=label(_l("辅助色")))
    template_style = Column(String(20), nullable=False, default="classic",
                            server_default="classic", info=label(_l("模板样式")))
    created_at = created_at_column()


class DecorationPage(TenantMixin, db.Model):
    __label__ = _l("装修页面")
    __tablename__ = "decoration_page"
    id = Column(Integer, primary_key=True)
    shop_id = Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False,
                     index=True, info=label(_l("商城")))
    shop = relationship("Shop", info=label(_l("商城")))
    title = Column(String(30), nullable=False, info=label(_l("页面标题")))
    is_home = Column(Boolean, nullable=False, default=False, info=label(_l("商城首页")))
    bg_color = Column(String(7), nullable=False, default="#F5F5F5", info=label(_l("背景色")))
    draft = Column(Text, nullable=True, info=label(_l("草稿")))
    draft_saved_at = Column(DateTime, nullable=True, info=label(_l("草稿保存时间")))
    draft_saved_by = Column(String(64), nullable=True, info=label(_l("草稿保存人")))
    # No foreign key: page and version reference each other; the service keeps it right.
    published_version_id = Column(Integer, nullable=True, info=label(_l("线上版本")))
    created_at = created_at_column()
    versions = relationship("PageVersion", back_populates="page", order_by="PageVersion.number",
                            cascade="all, delete-orphan", passive_deletes=True,
                            info=label(_l("版本记录")))
    __table_args__ = (Index("ix_decoration_page_merchant_created", "merchant_id", "created_at"),)

    def __str__(self):
        return self.title

    @property
    def ops(self):
        return self.id


class PageVersion(TenantMixin, db.Model):
    __label__ = _l("页面版本")
    __tablename__ = "page_version"
    id = Column(Integer, primary_key=True)
    page_id = Column(Integer, ForeignKey("decoration_page.id", ondelete="CASCADE"),
                     nullable=False, index=True, info=label(_l("页面")))
    page = relationship("DecorationPage", back_populates="versions", info=label(_l("页面")))
    number = Column(Integer, nullable=False, info=label(_l("版本号")))
    content = Column(Text, nullable=False, info=label(_l("页面内容")))
    published_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"),
                             nullable=True, info=label(_l("发布人")))
    published_by_name = Column(String(64), nullable=True, info=label(_l("发布人")))
    rolled_back_from = Column(Integer, nullable=True, info=label(_l("回滚自版本")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("page_id", "number", name="uq_page_version_number"),)

    def __str__(self):
        return f"v{self.number}"
