"""品牌内容 (brand content) and 商家荣誉 (merchant credentials).

* 焦点图管理: the brand mini program's top carousel (image, link, sort, active). This is
  not the 广告管理 home banner (app/models/ads.py Banner): that one is bound to a shop and
  must point at an on-shelf product; a brand focus image belongs to the merchant's brand
  content and links anywhere (product, article, category or an https page).
* 文章 / 资讯 and their 目录 (categories), shared by 文章管理, 资讯管理 and 百变资讯管理.
* 关于商城 / 关于我们: one rich-text page per merchant, shared by the 微商城 and the mini program.
* 商城实名认证 (certification) and 消费者保障 (guarantee): one row each per merchant; the
  platform operator reviews them.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

# Limits at the field. The guides give none for articles; these follow the product
# fields of the same kind (名称 100, 简介 200, 分类名 30) and WeChat's article title (64).
ARTICLE_TITLE_MAX = 64
ARTICLE_SUMMARY_MAX = 200
ARTICLE_CATEGORY_NAME_MAX = 20
RICH_TEXT_MAX = 60000  # the same cap as 商品描述 (app/views/catalog.py)
LINK_MAX = 500

CERTIFICATION_STATUS = [("pending", _l("待审核")), ("approved", _l("已通过")),
                        ("rejected", _l("已驳回"))]
GUARANTEE_STATUS = [("pending", _l("待确认")), ("confirmed", _l("已确认")),
                    ("rejected", _l("已驳回"))]


class BrandFocusImage(TenantMixin, db.Model):
    __label__ = _l("焦点图")
    __tablename__ = "brand_focus_image"
    id = Column(Integer, primary_key=True)
    title = Column(String(30), nullable=True, info=label(
        _l("标题"), description=_l("选填，仅用于后台识别，不超过 30 个字")))
    # A 素材库 URL (/api/v1/media/<token>) chosen with the library picker; rows made before
    # the picker hold an uploaded file name (``file``: still served by the checked routes).
    image = Column(String(512), nullable=True, info=label(_l("焦点图"), file=True))
    link = Column(String(LINK_MAX), nullable=True, info=label(_l("链接"), description=_l(
        "选填。填写 https:// 开头的网址，或 product:商品ID、article:文章ID、category:商品分类ID")))
    sort = Column(Integer, nullable=False, default=0, info=label(
        _l("排序"), description=_l("数字越小越靠前")))
    active = Column(Boolean, nullable=False, default=True, info=label(_l("启用")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_brand_focus_image_merchant_sort", "merchant_id", "sort"),)

    def __str__(self):
        return self.title or f"{self.id}"


class ArticleCategory(TenantMixin, db.Model):
    """目录: groups articles so shoppers and the merchant can find them."""

    __label__ = _l("文章目录")
    __tablename__ = "article_category"
    id = Column(Integer, primary_key=True)
    name = Column(String(ARTICLE_CATEGORY_NAME_MAX), nullable=False, info=label(_l("目录名称")))
    sort = Column(Integer, nullable=False, default=0, info=label(
        _l("排序"), description=_l("数字越小越靠前")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "name", name="uq_article_category_merchant_name"),
        Index("ix_article_category_merchant_sort", "merchant_id", "sort"),
    )

    def __str__(self):
        return self.name


class Article(TenantMixin, db.Model):
    """文章 / 资讯. Shoppers see it once 已发布, 显示 and its publish time has come."""

    __label__ = _l("文章")
    __tablename__ = "article"
    id = Column(Integer, primary_key=True)
    title = Column(String(ARTICLE_TITLE_MAX), nullable=False, info=label(_l("文章标题")))
    cover = Column(String(512), nullable=True, info=label(_l("封面图"), file=True))  # as above
    summary = Column(String(ARTICLE_SUMMARY_MAX), nullable=True, info=label(_l("摘要")))
    category_id = Column(Integer, ForeignKey("article_category.id"), nullable=True,
                         index=True, info=label(_l("目录")))
    category = relationship("ArticleCategory", info=label(_l("目录")))
    head_product_id = Column(Integer, ForeignKey("product.id", ondelete="SET NULL"),
                             nullable=True, info=label(_l("头部商品")))
    head_product = relationship("Product", foreign_keys=[head_product_id],
                                info=label(_l("头部商品")))
    tail_product_id = Column(Integer, ForeignKey("product.id", ondelete="SET NULL"),
                             nullable=True, info=label(_l("尾部商品")))
    tail_product = relationship("Product", foreign_keys=[tail_product_id],
                                info=label(_l("尾部商品")))
    video = Column(String(LINK_MAX), nullable=True, info=label(_l("视频"), description=_l(
        "选填：从素材库选择的 MP4 视频")))
    body = Column(Text, nullable=True, info=label(_l("文章详情")))
    published = Column(Boolean, nullable=False, default=False, info=label(_l("已发布")))
    visible = Column(Boolean, nullable=False, default=True, info=label(
        _l("显示"), description=_l("隐藏的文章不在小程序和微商城中展示")))
    published_at = Column(DateTime, nullable=True, info=label(_l("发布时间"), description=_l(
        "选填：留空则在点击“立即发布”时取当前时间；填写将来的时间则到时自动展示")))
    created_at = created_at_column()
    __table_args__ = (
        Index("ix_article_merchant_created", "merchant_id", "created_at"),
        Index("ix_article_merchant_published", "merchant_id", "published", "visible",
              "published_at"),
    )

    def __str__(self):
        return self.title

    @property
    def state(self):
        """The list's 状态 column (草稿/已发布/已隐藏/定时发布): the view renders the row."""
        return self


class AboutPage(TenantMixin, db.Model):
    """关于商城 / 关于我们: one per merchant, shared by every shop of the merchant."""

    __label__ = _l("关于商城")
    __tablename__ = "about_page"
    id = Column(Integer, primary_key=True)
    title = Column(String(30), nullable=False, default="关于我们", info=label(_l("标题")))
    body = Column(Text, nullable=True, info=label(_l("内容")))
    updated_at = Column(DateTime, nullable=True, info=label(_l("更新时间")))
    updated_by = Column(String(64), nullable=True, info=label(_l("更新人")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_about_page_merchant"),)


class Certification(TenantMixin, db.Model):
    """商城实名认证: the latest submission of the merchant (resubmitted after a rejection)."""

    __label__ = _l("实名认证")
    __tablename__ = "certification"
    id = Column(Integer, primary_key=True)
    merchant = relationship("Merchant", info=label(_l("商家")))
    company_name = Column(String(100), nullable=False, info=label(_l("企业名称")))
    credit_code = Column(String(18), nullable=False, info=label(_l("统一社会信用代码")))
    legal_person = Column(String(30), nullable=False, info=label(_l("法定代表人")))
    licence_image = Column(String(512), nullable=True, info=label(_l("营业执照"), image=True))
    contact_name = Column(String(30), nullable=False, info=label(_l("联系人")))
    contact_phone = Column(String(20), nullable=False, info=label(_l("联系电话")))
    status = choice_column(CERTIFICATION_STATUS, "pending", _l("审核状态"))
    reject_reason = Column(String(200), nullable=True, info=label(_l("驳回原因")))
    submitted_at = Column(DateTime, nullable=False, info=label(_l("提交时间")))
    submit_count = Column(Integer, nullable=False, default=1, info=label(_l("提交次数")))
    reviewed_at = Column(DateTime, nullable=True, info=label(_l("审核时间")))
    reviewer = Column(String(64), nullable=True, info=label(_l("审核人")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_certification_merchant"),
                      Index("ix_certification_status", "status", "submitted_at"))

    def __str__(self):
        return self.company_name

    @property
    def review(self):
        """The review queue's 操作 column: the view renders buttons for this row."""
        return self


class Guarantee(TenantMixin, db.Model):
    """消费者保障: the merchant records the deposit it paid; the platform confirms receipt."""

    __label__ = _l("消费者保障")
    __tablename__ = "guarantee"
    id = Column(Integer, primary_key=True)
    merchant = relationship("Merchant", info=label(_l("商家")))
    amount = money_column(_l("保证金金额（元）"))
    paid_on = Column(Date, nullable=False, info=label(_l("缴纳日期")))
    payment_ref = Column(String(64), nullable=False, info=label(
        _l("付款流水号"), description=_l("银行转账或支付的流水号，便于平台核对")))
    note = Column(String(200), nullable=True, info=label(_l("备注")))
    status = choice_column(GUARANTEE_STATUS, "pending", _l("确认状态"))
    reject_reason = Column(String(200), nullable=True, info=label(_l("驳回原因")))
    submitted_at = Column(DateTime, nullable=False, info=label(_l("提交时间")))
    reviewed_at = Column(DateTime, nullable=True, info=label(_l("确认时间")))
    reviewer = Column(String(64), nullable=True, info=label(_l("确认人")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_guarantee_merchant"),
                      Index("ix_guarantee_status", "status", "submitted_at"))

    def __str__(self):
        return f"{self.amount}"

    @property
    def review(self):
        """The review queue's 操作 column: the view renders buttons for this row."""
        return self
