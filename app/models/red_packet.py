"""微红包 (插件管理 → 红包营销设置): the merchant's red-packet pool and its ledger, pool
recharges by WeChat Native pay, the shared activity information, activities with their
prize tiers and budget ledger, draws, and payouts (cash red packets sent by WeChat Pay).

Money counters change only through app/services/red_packet.py, by one conditional UPDATE
plus a ledger row in the same transaction:
* ``red_packet_pool.balance`` = sum of the merchant's ``red_packet_pool_ledger.delta``;
* ``red_packet_activity.remaining`` = ``total`` + sum of its ``red_packet_budget_ledger.delta``.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

POOL_LEDGER_KINDS = [("recharge", _l("微信充值")), ("offline", _l("线下充值")),
                     ("activity", _l("新增活动")), ("activity_end", _l("活动结束退回")),
                     ("returned", _l("红包退回")), ("game", _l("游戏红包"))]
RECHARGE_STATUS = [("pending", _l("待支付")), ("paid", _l("已支付")), ("failed", _l("下单失败"))]
CLAIM_MODES = [("24h", _l("24小时领取")), ("window", _l("特定时间领取"))]
ACTIVITY_STATUS = [("active", _l("进行中")), ("ended", _l("已结束"))]
BUDGET_LEDGER_KINDS = [("reserve", _l("活动预算")), ("draw", _l("中奖")),
                       ("end", _l("结束退回"))]
PAYOUT_STATUS = [("waiting", _l("待发放")), ("sending", _l("发放中")), ("sent", _l("已发放")),
                 ("claimed", _l("已领取")), ("failed", _l("发放失败")), ("returned", _l("已退回"))]
PAYOUT_SOURCES = [("red_packet", _l("微红包")), ("game", _l("抽奖游戏"))]


def _rate_column(text):
    return Column(Numeric(7, 4), nullable=False, default=0, info=label(text))


class RedPacketPool(TenantMixin, db.Model):
    """红包余额: one row per merchant."""

    __label__ = _l("红包余额")
    __tablename__ = "red_packet_pool"
    id = Column(Integer, primary_key=True)
    balance = money_column(_l("红包余额（元）"))
    total_recharged = money_column(_l("累计充值（元）"))
    updated_at = Column(DateTime, nullable=True, info=label(_l("更新时间")))
    merchant = relationship("Merchant", lazy="joined")
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_red_packet_pool_merchant"),)

    def __str__(self):
        return f"{self.balance}"

    @property
    def ops(self):
        """The merchant's id, for the platform list's 线下充值 button."""
        return self.merchant_id


class RedPacketPoolLedger(TenantMixin, db.Model):
    """红包余额明细: every movement of the pool (append-only)."""

    __label__ = _l("红包余额明细")
    __tablename__ = "red_packet_pool_ledger"
    id = Column(Integer, primary_key=True)
    kind = choice_column(POOL_LEDGER_KINDS, "recharge", _l("类型"))
    delta = money_column(_l("变动金额（元）"))
    balance_after = money_column(_l("变动后余额（元）"))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    note = Column(String(200), nullable=True, info=label(_l("备注")))
    idempotency_key = Column(String(96), nullable=False, unique=True,
                             info=label(_l("幂等键")))
    operator_id = Column(Integer, nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_rp_pool_ledger_merchant_created", "merchant_id", "created_at"),)


class RedPacketRecharge(TenantMixin, db.Model):
    """充值: a WeChat Native payment to the platform's merchant account."""

    __label__ = _l("红包充值")
    __tablename__ = "red_packet_recharge"
    id = Column(Integer, primary_key=True)
    amount = money_column(_l("充值金额（元）"))
    out_trade_no = Column(String(32), nullable=False, unique=True, info=label(_l("充值单号")))
    status = choice_column(RECHARGE_STATUS, "pending", _l("状态"))
    code_url = Column(String(255), nullable=True, info=label(_l("支付二维码链接")))
    error = Column(String(255), nullable=True, info=label(_l("失败原因")))
    transaction_id = Column(String(64), nullable=True, info=label(_l("微信支付单号")))
    paid_at = Column(DateTime, nullable=True, info=label(_l("支付时间")))
    operator_id = Column(Integer, nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_rp_recharge_merchant_created", "merchant_id", "created_at"),)


class RedPacketSetting(TenantMixin, db.Model):
    """设置活动基本信息: shared by every activity of the merchant."""

    __label__ = _l("活动基本信息")
    __tablename__ = "red_packet_setting"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=True, info=label(_l("活动名称")))
    follow_qr = Column(String(64), nullable=True,
                       info=label(_l("红包领取成功引导关注二维码"), image=True))
    rules = Column(Text, nullable=True, info=label(_l("活动规则")))
    home_image = Column(String(64), nullable=True, info=label(_l("首页第一栏"), image=True))
    home_second = Column(String(50), nullable=True, info=label(_l("首页第二栏")))
    home_third = Column(String(50), nullable=True, info=label(_l("首页第三栏")))
    updated_at = Column(DateTime, nullable=True, info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_red_packet_setting_merchant"),)


class RedPacketActivity(TenantMixin, db.Model):
    __label__ = _l("红包活动")
    __tablename__ = "red_packet_activity"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), nullable=False, info=label(_l("活动名称")))
    logo = Column(String(64), nullable=True, info=label(_l("企业logo"), image=True))
    total = money_column(_l("红包总金额（元）"))
    remaining = money_column(_l("剩余金额（元）"))
    awarded = money_column(_l("已中奖金额（元）"))
    claim_mode = choice_column(CLAIM_MODES, "24h", _l("领取时间"))
    starts_at = Column(DateTime, nullable=False, info=label(_l("开始时间")))
    ends_at = Column(DateTime, nullable=False, index=True, info=label(_l("结束时间")))
    per_day = Column(Integer, nullable=False, default=1,
                     info=label(_l("每人每天抽奖次数"), description=_l("0 表示不限")))
    per_member = Column(Integer, nullable=False, default=1,
                        info=label(_l("每人总抽奖次数"), description=_l("0 表示不限")))
    status = choice_column(ACTIVITY_STATUS, "active", _l("状态"))
    ended_at = Column(DateTime, nullable=True, info=label(_l("结束于")))
    created_at = created_at_column()
    tiers = relationship("RedPacketTier", order_by="RedPacketTier.amount.desc()",
                         lazy="selectin", cascade="all, delete-orphan")
    __table_args__ = (Index("ix_rp_activity_merchant_created", "merchant_id", "created_at"),
                      Index("ix_rp_activity_merchant_status", "merchant_id", "status"))

    def __str__(self):
        return self.name or ""

    @property
    def ops(self):
        """The id, for the list's 操作 column (the view renders the buttons)."""
        return self.id

    def _stats(self):
        """(draws, winners, participants) from the draw rows: one indexed query per listed
        activity, cached on the instance. Counted rather than kept on the activity row, so
        a draw that wins nothing never locks the activity."""
        cached = self.__dict__.get("_md_stats")
        if cached is not None:
            return cached
        from sqlalchemy import case, func, select
        from sqlalchemy.orm import object_session

        session = object_session(self)
        if session is None or self.id is None:
            return (0, 0, 0)
        row = session.execute(select(
            func.count(RedPacketDraw.id),
            func.coalesce(func.sum(case((RedPacketDraw.won.is_(True), 1), else_=0)), 0),
            func.count(func.distinct(RedPacketDraw.member_id)))
            .where(RedPacketDraw.merchant_id == self.merchant_id,
                   RedPacketDraw.activity_id == self.id)).one()
        self.__dict__["_md_stats"] = tuple(int(v or 0) for v in row)
        return self.__dict__["_md_stats"]

    @property
    def draw_count(self):
        """抽奖次数."""
        return self._stats()[0]

    @property
    def winner_count(self):
        """中奖次数."""
        return self._stats()[1]

    @property
    def participant_count(self):
        """参与人数: distinct members who drew."""
        return self._stats()[2]


class RedPacketTier(TenantMixin, db.Model):
    """中奖概率设置: one red-packet amount and its probability (%)."""

    __label__ = _l("红包档位")
    __tablename__ = "red_packet_tier"
    id = Column(Integer, primary_key=True)
    activity_id = Column(ForeignKey("red_packet_activity.id", ondelete="CASCADE"),
                         nullable=False, index=True, info=label(_l("活动")))
    amount = money_column(_l("红包金额（元）"))
    probability = _rate_column(_l("中奖概率（%）"))

    def __str__(self):
        return f"{self.amount}"


class RedPacketBudgetLedger(TenantMixin, db.Model):
    """An activity's budget ledger: the reserve at creation, each award, the end refund."""

    __label__ = _l("活动预算明细")
    __tablename__ = "red_packet_budget_ledger"
    id = Column(Integer, primary_key=True)
    activity_id = Column(ForeignKey("red_packet_activity.id", ondelete="CASCADE"),
                         nullable=False, info=label(_l("活动")))
    kind = choice_column(BUDGET_LEDGER_KINDS, "draw", _l("类型"))
    delta = money_column(_l("变动金额（元）"))
    remaining_after = money_column(_l("变动后剩余（元）"))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_rp_budget_activity", "merchant_id", "activity_id"),)


class RedPacketPayout(TenantMixin, db.Model):
    """A cash red packet to one member; ``mch_billno`` is WeChat's idempotency key."""

    __label__ = _l("红包发放")
    __tablename__ = "red_packet_payout"
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id"), nullable=False, index=True,
                       info=label(_l("会员")))
    openid = Column(String(64), nullable=True, info=label(_l("领取人（openid）")))
    amount = money_column(_l("红包金额（元）"))
    source = choice_column(PAYOUT_SOURCES, "red_packet", _l("来源"))
    ref = Column(String(64), nullable=True, info=label(_l("关联记录")))
    act_name = Column(String(32), nullable=True, info=label(_l("活动名称")))
    mch_billno = Column(String(28), nullable=False, unique=True, info=label(_l("红包单号")))
    status = choice_column(PAYOUT_STATUS, "waiting", _l("发放状态"))
    attempts = Column(Integer, nullable=False, default=0, info=label(_l("发放次数")))
    send_listid = Column(String(64), nullable=True, info=label(_l("微信红包单号")))
    error_code = Column(String(64), nullable=True, info=label(_l("失败代码")))
    error = Column(String(255), nullable=True, info=label(_l("失败原因")))
    sent_at = Column(DateTime, nullable=True, info=label(_l("发放时间")))
    synced_at = Column(DateTime, nullable=True, info=label(_l("同步时间")))
    finished_at = Column(DateTime, nullable=True, info=label(_l("领取/退回时间")))
    created_at = created_at_column()
    member = relationship("Member")
    __table_args__ = (Index("ix_rp_payout_merchant_created", "merchant_id", "created_at"),
                      Index("ix_rp_payout_merchant_status", "merchant_id", "status"))


class RedPacketDraw(TenantMixin, db.Model):
    """抽红包记录: one row per draw, won or not."""

    __label__ = _l("抽奖记录")
    __tablename__ = "red_packet_draw"
    id = Column(Integer, primary_key=True)
    activity_id = Column(ForeignKey("red_packet_activity.id", ondelete="CASCADE"),
                         nullable=False, info=label(_l("活动")))
    member_id = Column(ForeignKey("member.id"), nullable=False, index=True,
                       info=label(_l("会员")))
    won = Column(Boolean, nullable=False, default=False, info=label(_l("是否中奖")))
    amount = money_column(_l("中奖金额（元）"))
    tier_id = Column(Integer, nullable=True, info=label(_l("中奖档位")))
    drawn_tier_id = Column(Integer, nullable=True, info=label(_l("抽中档位")))
    payout_id = Column(ForeignKey("red_packet_payout.id"), nullable=True,
                       info=label(_l("红包发放")))
    created_at = created_at_column()
    activity = relationship("RedPacketActivity")
    member = relationship("Member")
    payout = relationship("RedPacketPayout")
    __table_args__ = (Index("ix_rp_draw_merchant_created", "merchant_id", "created_at"),
                      Index("ix_rp_draw_merchant_activity", "merchant_id", "activity_id"))
