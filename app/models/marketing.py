"""营销设置管理: coupon batches and codes, members' coupons, the coupon ledger, campaigns
(满减/满折/满免邮/满赠券) with their tiers and scopes, and the one-per-account gift grants.

A batch's ``remaining`` changes only through app/services/coupon.py (one conditional UPDATE
plus a ``coupon_ledger`` row in the same transaction): ``remaining`` always equals
``quantity`` plus the sum of the batch's ledger deltas.
"""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Table, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

COUPON_KINDS = [("normal", _l("普通券")), ("reusable", _l("复用券"))]
DISCOUNT_TYPES = [("cash", _l("代金券")), ("discount", _l("折扣券"))]
VALIDITY_TYPES = [("range", _l("固定日期")), ("days", _l("领取后N天有效"))]
COUPON_SCOPES = [("all", _l("全部商品")), ("categories", _l("指定分类")),
                 ("products", _l("指定商品"))]
COUPON_STATUS = [("draft", _l("未发布")), ("published", _l("已发布")), ("voided", _l("已废弃")),
                 ("deleted", _l("已删除"))]
GIFT_KINDS = [("none", _l("无")), ("register", _l("注册送券")), ("new_member", _l("新人礼包"))]
CODE_STATUS = [("available", _l("未发放")), ("taken", _l("已发放"))]
MEMBER_COUPON_SOURCES = [("issue", _l("商家派发")), ("claim", _l("顾客领取")),
                         ("code", _l("输入优惠码")), ("gift", _l("满赠券")),
                         ("register", _l("注册送券")), ("new_member", _l("新人礼包"))]
MEMBER_COUPON_SOURCES += [("face", _l("AI 刷脸"))]
# 抽奖游戏 coupon prizes; "lottery" (as in POINTS_SOURCES) keeps the column at String(18):
# "lottery_game" would widen it and need a migration.
MEMBER_COUPON_SOURCES += [("lottery", _l("抽奖游戏"))]
MEMBER_COUPON_STATUS = [("unused", _l("未使用")), ("used", _l("已使用")),
                        ("voided", _l("已失效"))]
COUPON_LEDGER_KINDS = [("issue", _l("派发")), ("claim", _l("领取")), ("gift", _l("赠送")),
                       ("redeem", _l("使用")), ("restore", _l("退还"))]
COUPON_LEDGER_KINDS += [("face", _l("AI 刷脸"))]
COUPON_LEDGER_KINDS += [("lottery", _l("抽奖游戏"))]  # fits String(15) as well
CAMPAIGN_KINDS = [("full_reduction", _l("满减")), ("full_discount", _l("满折")),
                  ("free_shipping", _l("满免邮")), ("gift_coupon", _l("满赠券"))]
PRODUCT_SCOPES = [("all", _l("全场商品")), ("products", _l("部分商品"))]
CUSTOMER_SCOPES = [("all", _l("全员可用")), ("levels", _l("指定会员")),
                   ("members", _l("指定顾客")), ("first_order", _l("首单顾客"))]
CAMPAIGN_STATUS = [("active", _l("有效")), ("ended", _l("已结束"))]
CAMPAIGN_STATES = [("upcoming", _l("未开始")), ("running", _l("进行中")), ("ended", _l("已结束"))]


coupon_batch_product = Table(
    "coupon_batch_product", db.metadata,
    Column("batch_id", Integer, ForeignKey("coupon_batch.id", ondelete="CASCADE"),
           primary_key=True),
    Column("product_id", Integer, ForeignKey("product.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)
coupon_batch_category = Table(
    "coupon_batch_category", db.metadata,
    Column("batch_id", Integer, ForeignKey("coupon_batch.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", Integer, ForeignKey("product_category.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class CouponBatch(TenantMixin, db.Model):
    """优惠券: a batch. 普通券: ``quantity`` one-use codes (prefix + serial); 复用券: one
    custom code usable ``quantity`` times."""

    __label__ = _l("优惠券")
    __tablename__ = "coupon_batch"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, info=label(_l("优惠券名称")))
    kind = choice_column(COUPON_KINDS, "normal", _l("优惠券类型"))
    discount_type = choice_column(DISCOUNT_TYPES, "cash", _l("优惠方式"))
    # cash: yuan off; discount: the rate paid (0.85 = 8.5折)
    value = Column(Numeric(12, 2), nullable=False, info=label(_l("面额/折扣")))
    threshold = money_column(_l("使用门槛（元）"))
    code_prefix = Column(String(8), nullable=True, info=label(_l("优惠码前缀")))
    code = Column(String(20), nullable=True, info=label(_l("优惠码")))
    quantity = Column(Integer, nullable=False, info=label(_l("生成数量")))
    remaining = Column(Integer, nullable=False, info=label(_l("剩余数量")))
    validity_type = choice_column(VALIDITY_TYPES, "range", _l("有效期类型"))
    valid_from = Column(DateTime, nullable=True, info=label(_l("开始时间")))
    valid_to = Column(DateTime, nullable=True, info=label(_l("结束时间")))
    valid_days = Column(Integer, nullable=True, info=label(_l("领取后有效天数")))
    scope = choice_column(COUPON_SCOPES, "all", _l("适用商品"))
    # 适用商城: one of the merchant's shops, or NULL for every shop (checked at checkout).
    shop_id = Column(ForeignKey("shop.id"), nullable=True,
                     info=label(_l("适用商城"), description=_l("不选表示全部商城可用")))
    per_member_limit = Column(Integer, nullable=False, default=1,
                              info=label(_l("每人限领"), description=_l("0 表示不限")))
    gift_kind = choice_column(GIFT_KINDS, "none", _l("用于"))
    status = choice_column(COUPON_STATUS, "draft", _l("状态"))
    published_at = Column(DateTime, nullable=True, info=label(_l("发布时间")))
    created_at = created_at_column()
    products = relationship("Product", secondary=coupon_batch_product,
                            info=label(_l("指定商品")))
    categories = relationship("ProductCategory", secondary=coupon_batch_category,
                              info=label(_l("指定分类")))
    shop = relationship("Shop", info=label(_l("适用商城")))
    __table_args__ = (
        UniqueConstraint("merchant_id", "code", name="uq_coupon_batch_code"),
        Index("ix_coupon_batch_merchant_created", "merchant_id", "created_at"),
        Index("ix_coupon_batch_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.name

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (links per the operations matrix)."""
        return self

    @property
    def value_text(self):
        """面额/折扣 as merchants read it: "10元", "8.5折"."""
        if self.discount_type == "discount":
            return _l("%(n)s折", n=f"{(Decimal(self.value) * 10).normalize():f}")
        return _l("%(n)s元", n=self.value)

    @property
    def shop_text(self):
        """适用商城 as merchants read it: the shop's name, or 全部商城."""
        return str(self.shop) if self.shop_id is not None and self.shop else _l("全部商城")

    @property
    def validity(self):
        if self.validity_type == "days":
            return _l("领取后 %(n)s 天内有效", n=self.valid_days)
        if self.valid_from and self.valid_to:
            return f"{self.valid_from:%Y-%m-%d %H:%M} ~ {self.valid_to:%Y-%m-%d %H:%M}"
        return ""


class CouponCode(TenantMixin, db.Model):
    """普通券's one-use codes, numbered 1..quantity within the batch: the n-th coupon taken
    from the batch gets serial n (the conditional UPDATE on ``remaining`` decides n)."""

    __label__ = _l("优惠码")
    __tablename__ = "coupon_code"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    batch_id = Column(ForeignKey("coupon_batch.id", ondelete="CASCADE"), nullable=False,
                      info=label(_l("优惠券")))
    serial = Column(Integer, nullable=False, info=label(_l("序号")))
    code = Column(String(32), nullable=False, info=label(_l("优惠码")))
    status = choice_column(CODE_STATUS, "available", _l("状态"))
    batch = relationship(CouponBatch)
    __table_args__ = (
        UniqueConstraint("merchant_id", "code", name="uq_coupon_code_code"),
        UniqueConstraint("batch_id", "serial", name="uq_coupon_code_serial"),
    )


class MemberCoupon(TenantMixin, db.Model):
    """A coupon a member holds (派发, 领取, 满赠券, 注册送券...), with its own validity."""

    __label__ = _l("会员优惠券")
    __tablename__ = "member_coupon"
    id = Column(Integer, primary_key=True)
    batch_id = Column(ForeignKey("coupon_batch.id", ondelete="CASCADE"), nullable=False,
                      info=label(_l("优惠券")))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    code_id = Column(ForeignKey("coupon_code.id", ondelete="SET NULL"), nullable=True,
                     info=label(_l("优惠码")))
    code = Column(String(32), nullable=True, info=label(_l("优惠码")))
    source = choice_column(MEMBER_COUPON_SOURCES, "issue", _l("获得方式"))
    status = choice_column(MEMBER_COUPON_STATUS, "unused", _l("使用状态"))
    valid_from = Column(DateTime, nullable=True, info=label(_l("生效时间")))
    valid_to = Column(DateTime, nullable=True, info=label(_l("过期时间")))
    used_at = Column(DateTime, nullable=True, info=label(_l("使用时间")))
    order_no = Column(String(32), nullable=True, info=label(_l("订单号")))
    # 领取 n of a batch by one member takes slot n (1..每人限领); the unique key keeps the
    # per-member limit under concurrency even where reads see an older snapshot (MariaDB).
    claim_slot = Column(Integer, nullable=True, info=label(_l("领取序号")))
    created_at = created_at_column()
    batch = relationship(CouponBatch, lazy="joined")
    member = relationship("Member", lazy="joined")
    __table_args__ = (
        Index("ix_member_coupon_merchant_created", "merchant_id", "created_at"),
        Index("ix_member_coupon_merchant_status", "merchant_id", "status"),
        Index("ix_member_coupon_member", "member_id", "status"),
        Index("ix_member_coupon_batch", "batch_id", "status"),
        Index("ix_member_coupon_merchant_code", "merchant_id", "code"),
        UniqueConstraint("batch_id", "member_id", "claim_slot", name="uq_member_coupon_slot"),
    )

    def __str__(self):
        return f"{self.batch.name}（{self.code}）" if self.code else str(self.batch)

    @property
    def shop_text(self):
        """The batch's 适用商城: where this coupon can be spent."""
        return self.batch.shop_text if self.batch is not None else ""


class CouponLedger(TenantMixin, db.Model):
    """Every change of a batch's ``remaining``: append-only."""

    __label__ = _l("优惠券流水")
    __tablename__ = "coupon_ledger"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    batch_id = Column(ForeignKey("coupon_batch.id", ondelete="CASCADE"), nullable=False,
                      info=label(_l("优惠券")))
    member_id = Column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True,
                       info=label(_l("会员")))
    kind = choice_column(COUPON_LEDGER_KINDS, "issue", _l("类型"))
    delta = Column(Integer, nullable=False, info=label(_l("变动数量")))
    remaining_after = Column(Integer, nullable=False, info=label(_l("变动后剩余")))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    idempotency_key = Column(String(64), nullable=False, info=label(_l("幂等键")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_coupon_ledger_key"),
        Index("ix_coupon_ledger_batch", "batch_id", "id"),
    )


class CouponGiftGrant(TenantMixin, db.Model):
    """注册送券 / 新人礼包: at most one per account and kind (the unique key decides under
    concurrency), as the guide's FAQ says."""

    __label__ = _l("新人券发放记录")
    __tablename__ = "coupon_gift_grant"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    kind = choice_column(GIFT_KINDS, "register", _l("类型"))
    batch_id = Column(ForeignKey("coupon_batch.id", ondelete="SET NULL"), nullable=True,
                      info=label(_l("优惠券")))
    member_coupon_id = Column(ForeignKey("member_coupon.id", ondelete="SET NULL"),
                              nullable=True, info=label(_l("会员优惠券")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("member_id", "kind", name="uq_coupon_gift_member_kind"),)


campaign_product = Table(
    "campaign_product", db.metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           primary_key=True),
    Column("product_id", Integer, ForeignKey("product.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)
campaign_level = Table(
    "campaign_level", db.metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           primary_key=True),
    Column("level_id", Integer, ForeignKey("member_level.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)
campaign_member = Table(
    "campaign_member", db.metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"),
           primary_key=True),
    Column("member_id", Integer, ForeignKey("member.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class Campaign(TenantMixin, db.Model):
    """营销活动: 满减 (tiered or 每满减), 满折 (by amount or item count), 满免邮, 满赠券."""

    __label__ = _l("营销活动")
    __tablename__ = "campaign"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False, info=label(_l("活动名称")))
    kind = choice_column(CAMPAIGN_KINDS, "full_reduction", _l("活动类型"))
    per_threshold = Column(Boolean, nullable=False, default=False, server_default="0",
                           info=label(_l("每满减"), description=_l("订单每满指定金额减一次")))
    by_count = Column(Boolean, nullable=False, default=False, server_default="0",
                      info=label(_l("按件数"), description=_l("满折按商品件数计算门槛")))
    starts_at = Column(DateTime, nullable=False, info=label(_l("开始时间")))
    ends_at = Column(DateTime, nullable=True,
                     info=label(_l("结束时间"), description=_l("不填为永久活动")))
    product_scope = choice_column(PRODUCT_SCOPES, "all", _l("参与商品"))
    customer_scope = choice_column(CUSTOMER_SCOPES, "all", _l("参与顾客"))
    # 满免邮: provinces (short names, "新疆、西藏") where free shipping does not apply.
    excluded_provinces = Column(String(255), nullable=True, info=label(
        _l("不参与地区"), description=_l("这些省份的收货地址不享受免邮")))
    # 满免邮: 参加活动的配送方式, codes of DELIVERY_METHODS (app/models/order.py) joined by
    # commas ("courier,merchant_delivery"); NULL covers every method (older campaigns).
    delivery_methods = Column(String(64), nullable=True, info=label(
        _l("参加活动的配送方式"), description=_l("这些配送方式的订单才享受免邮")))
    status = choice_column(CAMPAIGN_STATUS, "active", _l("状态"))
    ended_at = Column(DateTime, nullable=True, info=label(_l("手动结束时间")))
    created_at = created_at_column()
    tiers = relationship("CampaignTier", back_populates="campaign", order_by="CampaignTier.threshold",
                         cascade="all, delete-orphan", info=label(_l("优惠层级")))
    products = relationship("Product", secondary=campaign_product, info=label(_l("活动商品")))
    levels = relationship("MemberLevel", secondary=campaign_level, info=label(_l("会员级别")))
    members = relationship("Member", secondary=campaign_member, info=label(_l("指定顾客")))
    __table_args__ = (
        Index("ix_campaign_merchant_created", "merchant_id", "created_at"),
        Index("ix_campaign_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.name

    @property
    def ops(self):
        return self

    @property
    def state(self):
        """未开始 / 进行中 / 已结束 as a code (upcoming, running, ended)."""
        from app.models.base import china_now

        now = china_now()
        if self.status == "ended" or (self.ends_at is not None and self.ends_at <= now):
            return "ended"
        return "upcoming" if self.starts_at > now else "running"

    @property
    def state_text(self):
        return dict(CAMPAIGN_STATES)[self.state]

    @property
    def delivery_methods_text(self):
        """满免邮's 参加活动的配送方式 as merchants read them (快递、商家自送); empty for
        other kinds."""
        if self.kind != "free_shipping":
            return ""
        from app.models.order import DELIVERY_METHODS

        codes = set((self.delivery_methods or "").split(",")) - {""}
        if not codes:
            return str(_l("全部配送方式"))
        return "、".join(str(text) for code, text in DELIVERY_METHODS if code in codes)

    @property
    def tiers_text(self):
        """The tiers as merchants read them: 满100减10；满200减30."""
        parts = []
        for t in self.tiers:
            if self.kind == "full_reduction":
                text = _l("每满%(t)s减%(v)s", t=t.threshold, v=t.value) if self.per_threshold \
                    else _l("满%(t)s减%(v)s", t=t.threshold, v=t.value)
            elif self.kind == "full_discount":
                zhe = f"{(Decimal(t.value) * 10).normalize():f}"
                text = _l("满%(t)s件打%(v)s折", t=t.threshold.normalize(), v=zhe) if self.by_count \
                    else _l("满%(t)s元打%(v)s折", t=t.threshold, v=zhe)
            elif self.kind == "gift_coupon":
                text = _l("满%(t)s元赠%(b)s", t=t.threshold, b=t.gift_batch or "")
            else:
                text = _l("满%(t)s元包邮", t=t.threshold)
            parts.append(str(text))
        return "；".join(parts) or (str(_l("包邮")) if self.kind == "free_shipping" else "")


class CampaignTier(TenantMixin, db.Model):
    """One 层级: threshold (yuan, or items for 满折 by count) and its value: yuan off (满减),
    the rate paid (满折, 0.9 = 9折), nothing (满免邮) or the batch given (满赠券)."""

    __label__ = _l("优惠层级")
    __tablename__ = "campaign_tier"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    campaign_id = Column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False,
                         index=True, info=label(_l("营销活动")))
    threshold = Column(Numeric(12, 2), nullable=False, info=label(_l("门槛")))
    value = Column(Numeric(12, 2), nullable=False, default=0, info=label(_l("优惠")))
    gift_batch_id = Column(ForeignKey("coupon_batch.id", ondelete="SET NULL"), nullable=True,
                           info=label(_l("赠送优惠券")))
    campaign = relationship(Campaign, back_populates="tiers")
    gift_batch = relationship(CouponBatch)
