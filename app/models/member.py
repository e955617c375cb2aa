"""会员管理 and the member parts of 营销设置管理: members, levels, tags, points and
experience ledgers, sign-ins, stored-value cards, distribution and reservation cities.

Counters that can run out (points, experience, card balance, commission balance) change only
through app/services (one conditional UPDATE plus a ledger row in the same transaction).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric,
                        String, Table, UniqueConstraint)
from sqlalchemy.orm import backref, relationship

from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

GENDERS = [("unknown", _l("未知")), ("male", _l("男")), ("female", _l("女"))]
MEMBER_SOURCES = [("official", _l("公众号")), ("mini", _l("小程序")), ("h5", _l("H5")),
                  ("store", _l("门店")), ("import", _l("导入"))]
MEMBER_STATUS = [("normal", _l("正常")), ("blacklist", _l("黑名单"))]
LEVEL_ICONS = [("fa-user", _l("普通")), ("fa-star", _l("星星")), ("fa-diamond", _l("钻石")),
               ("fa-trophy", _l("奖杯")), ("fa-certificate", _l("勋章"))]
POINTS_SOURCES = [("admin", _l("后台调整")), ("sign_in", _l("签到")),
                  ("sign_in_bonus", _l("连续签到奖励")), ("register", _l("注册赠送")),
                  ("bind", _l("绑定赠送")), ("referral_register", _l("推荐注册")),
                  ("referral_purchase", _l("推荐购买")), ("order", _l("购物")),
                  ("order_refund", _l("订单退还")), ("redeem", _l("积分抵现")),
                  ("expire", _l("积分过期")), ("import", _l("导入"))]
POINTS_SOURCES.append(("lottery", _l("抽奖游戏")))  # 抽奖游戏: draw cost and points prizes
EXPERIENCE_SOURCES = [("admin", _l("后台调整")), ("order", _l("购物")), ("import", _l("导入"))]
CARD_STATUS = [("active", _l("正常")), ("frozen", _l("已封禁"))]
BALANCE_KINDS = [("recharge", _l("充值")), ("bonus", _l("充值赠送")), ("deduct", _l("划卡")),
                 ("order", _l("订单支付")), ("refund", _l("退款"))]
DISTRIBUTOR_STATUS = [("pending", _l("待审核")), ("approved", _l("已通过")),
                      ("rejected", _l("已拒绝"))]
WITHDRAWAL_STATUS = [("pending", _l("待审核")), ("approved", _l("已同意")),
                     ("rejected", _l("已拒绝"))]
COMMISSION_KINDS = [("order", _l("订单提成")), ("withdrawal", _l("提现")),
                    ("adjust", _l("调整"))]


class MemberLevel(TenantMixin, db.Model):
    __label__ = _l("会员级别")
    __tablename__ = "member_level"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), nullable=False, info=label(_l("级别名称")))
    icon = choice_column(LEVEL_ICONS, "fa-user", _l("级别图标"))
    discount = Column(Numeric(3, 2), nullable=False, default=1,
                      info=label(_l("折扣"), description=_l("输入 9.5 表示 9.5 折，范围 0.1-10 折；10 为不打折")))
    experience_threshold = Column(Integer, nullable=False, default=0,
                                  info=label(_l("所需经验值"),
                                             description=_l("会员经验值达到此值自动升级到本级别")))
    is_default = Column(Boolean, nullable=False, default=False, server_default="0",
                        info=label(_l("默认级别")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_member_level_name"),)

    def __str__(self):
        return self.name

    @property
    def discount_text(self):
        return discount_text(self.discount)


def discount_text(discount):
    """A stored discount (0.95) as merchants read it: "9.5折", or "不打折"."""
    from decimal import Decimal

    if discount is None or Decimal(discount) >= 1:
        return _l("不打折")
    return _l("%(n)s折", n=f"{(Decimal(discount) * 10).normalize():f}")


class MemberTag(TenantMixin, db.Model):
    __label__ = _l("会员标签")
    __tablename__ = "member_tag"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), nullable=False, info=label(_l("标签名称")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_member_tag_name"),)

    def __str__(self):
        return self.name

    @property
    def member_count(self):
        """会员数: how many members carry the tag (shown before deleting it)."""
        from sqlalchemy import func, select
        from sqlalchemy.orm import object_session

        session = object_session(self)
        if session is None or self.id is None:
            return 0
        return session.execute(select(func.count()).select_from(member_tag_link).where(
            member_tag_link.c.tag_id == self.id)).scalar()

    @property
    def delete_link(self):
        """The row id, for the list's 删除 column (a confirmation page with the count)."""
        return self.id


member_tag_link = Table(
    "member_tag_link", db.metadata,
    Column("member_id", Integer, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("member_tag.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Member(TenantMixin, db.Model):
    __label__ = _l("会员")
    __tablename__ = "member"
    id = Column(Integer, primary_key=True)
    nickname = Column(String(64), nullable=False, info=label(_l("昵称")))
    avatar = Column(String(255), nullable=True, info=label(_l("头像")))
    phone = Column(String(20), nullable=True, info=label(_l("手机号")))
    real_name = Column(String(32), nullable=True, info=label(_l("真实姓名")))
    gender = choice_column(GENDERS, "unknown", _l("性别"))
    birthday = Column(Date, nullable=True, info=label(_l("生日")))
    id_number = Column(String(20), nullable=True,
                       info=label(_l("身份证号"), description=_l("保存时只保留前 4 位和后 4 位")))
    source = choice_column(MEMBER_SOURCES, "h5", _l("注册来源"))
    openid = Column(String(64), nullable=True, info=label(_l("微信用户标识")))
    unionid = Column(String(64), nullable=True, info=label(_l("开放平台统一标识")))
    level_id = Column(ForeignKey("member_level.id"), nullable=True, info=label(_l("会员等级")))
    experience = Column(Integer, nullable=False, default=0,
                        info=label(_l("经验值")))
    points = Column(Integer, nullable=False, default=0,
                    info=label(_l("积分")))
    referrer_id = Column(ForeignKey("member.id"), nullable=True, info=label(_l("推荐人")))
    status = choice_column(MEMBER_STATUS, "normal", _l("账号状态"))
    created_at = Column(DateTime, nullable=False, info=label(_l("注册时间")),
                        default=china_now)
    last_login_at = Column(DateTime, nullable=True, info=label(_l("最近登录")))
    order_count = Column(Integer, nullable=False, default=0,
                         info=label(_l("成交单数")))
    total_spend = money_column(_l("消费总额"))
    last_order_at = Column(DateTime, nullable=True, info=label(_l("最新下单时间")))
    remark = Column(String(255), nullable=True, info=label(_l("备注")))

    level = relationship(MemberLevel, lazy="joined")
    referrer = relationship("Member", remote_side=[id], info=label(_l("推荐人")))
    tags = relationship(MemberTag, secondary=member_tag_link, order_by=MemberTag.id,
                        info=label(_l("标签")))
    __table_args__ = (
        UniqueConstraint("merchant_id", "phone", name="uq_member_phone"),
        Index("ix_member_merchant_created", "merchant_id", "created_at"),
        Index("ix_member_merchant_status", "merchant_id", "status"),
        Index("ix_member_merchant_nickname", "merchant_id", "nickname"),
        Index("ix_member_merchant_level", "merchant_id", "level_id"),
        Index("ix_member_merchant_source", "merchant_id", "source"),
        Index("ix_member_merchant_points", "merchant_id", "points"),
        Index("ix_member_merchant_spend", "merchant_id", "total_spend"),
        Index("ix_member_merchant_orders", "merchant_id", "order_count"),
        Index("ix_member_merchant_last_order", "merchant_id", "last_order_at"),
        Index("ix_member_openid", "merchant_id", "openid"),
    )

    def __str__(self):
        return f"{self.nickname}（{self.phone}）" if self.phone else self.nickname

    @property
    def display(self):
        """The row itself, for the list's 昵称 column (blacklist mark, detail link)."""
        return self

    @property
    def ops(self):
        """The row itself, for the list's 操作 column; the view renders the links."""
        return self


class MemberAddress(TenantMixin, db.Model):
    __label__ = _l("收货地址")
    __tablename__ = "member_address"
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True,
                       info=label(_l("会员")))
    name = Column(String(32), nullable=False, info=label(_l("收货人")))
    phone = Column(String(20), nullable=False, info=label(_l("联系电话")))
    # 省/市/区 are kept apart for orders and freight; ``region`` keeps "省 市 区" as one
    # string for lists and exports (written by app/services/member_address.py).
    province = Column(String(20), nullable=False, default="",
                      info=label(_l("省份")))
    city = Column(String(20), nullable=False, default="",
                  info=label(_l("城市")))
    district = Column(String(20), nullable=False, default="",
                      info=label(_l("区县")))
    region = Column(String(64), nullable=False, info=label(_l("所在地区")))
    detail = Column(String(200), nullable=False, info=label(_l("详细地址")))
    is_default = Column(Boolean, nullable=False, default=False, server_default="0",
                        info=label(_l("默认地址")))
    created_at = created_at_column()
    member = relationship(Member, backref=backref("addresses", passive_deletes=True,
                                                  order_by="MemberAddress.id"))


class PointsLedger(TenantMixin, db.Model):
    """积分明细: append-only; a member's points always equal the sum of their deltas."""

    __label__ = _l("积分明细")
    __tablename__ = "points_ledger"
    __audit__ = False  # the ledger is itself the record
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    delta = Column(Integer, nullable=False, info=label(_l("变动积分")))
    balance_after = Column(Integer, nullable=False, info=label(_l("变动后积分")))
    reason = Column(String(100), nullable=False, info=label(_l("原因")))
    source = choice_column(POINTS_SOURCES, "admin", _l("来源"))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    idempotency_key = Column(String(64), nullable=False, info=label(_l("幂等键")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    member = relationship(Member)
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_points_ledger_key"),
        Index("ix_points_ledger_member", "member_id", "id"),
        Index("ix_points_ledger_merchant_created", "merchant_id", "created_at"),
    )


class ExperienceLedger(TenantMixin, db.Model):
    __label__ = _l("经验值明细")
    __tablename__ = "experience_ledger"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    delta = Column(Integer, nullable=False, info=label(_l("变动经验值")))
    balance_after = Column(Integer, nullable=False, info=label(_l("变动后经验值")))
    reason = Column(String(100), nullable=False, info=label(_l("原因")))
    source = choice_column(EXPERIENCE_SOURCES, "admin", _l("来源"))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    idempotency_key = Column(String(64), nullable=False, info=label(_l("幂等键")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    member = relationship(Member)
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_experience_ledger_key"),
        Index("ix_experience_ledger_member", "member_id", "id"),
        Index("ix_experience_ledger_merchant_created", "merchant_id", "created_at"),
    )


class PointsRule(TenantMixin, db.Model):
    """积分规则设置: one row per merchant."""

    __label__ = _l("积分规则")
    __tablename__ = "points_rule"
    id = Column(Integer, primary_key=True)
    sign_in_points = Column(Integer, nullable=False, default=0,
                            info=label(_l("每日签到奖励积分"),
                                       description=_l("会员每天签到一次获得的积分，0 表示不奖励")))
    streak_7_points = Column(Integer, nullable=False, default=0,
                             info=label(_l("每月连续签到7次额外赠送积分")))
    streak_15_points = Column(Integer, nullable=False, default=0,
                              info=label(_l("每月连续签到15次额外赠送积分")))
    streak_30_points = Column(Integer, nullable=False, default=0,
                              info=label(_l("每月连续签到30次额外赠送积分")))
    referral_purchase_points = Column(Integer, nullable=False, default=0,
                                      info=label(_l("推荐好友购买商品奖励积分")))
    referral_register_points = Column(Integer, nullable=False, default=0,
                                      info=label(_l("推荐注册送积分")))
    register_points = Column(Integer, nullable=False, default=0,
                             info=label(_l("注册送积分")))
    bind_points = Column(Integer, nullable=False, default=0,
                         info=label(_l("绑定送积分")))
    points_per_yuan = Column(Numeric(8, 2), nullable=False, default=0,
                             info=label(_l("每消费 1 元赠送积分"),
                                        description=_l("按商品原价计算，结果向下取整")))
    experience_per_yuan = Column(Numeric(8, 2), nullable=False, default=0,
                                 info=label(_l("每消费 1 元获得经验值"),
                                            description=_l("订单交易成功后发放；不足 1 时按 1 计")))
    redeem_points_per_yuan = Column(Integer, nullable=False, default=0,
                                    info=label(_l("积分抵现比例"),
                                               description=_l("多少积分抵 1 元，0 表示不开启积分抵现")))
    redeem_max_percent = Column(Integer, nullable=False, default=0,
                                info=label(_l("积分抵现上限（%）"),
                                           description=_l("积分抵扣金额不超过订单金额的百分比")))
    expire_yearly = Column(Boolean, nullable=False, default=False, server_default="0",
                           info=label(_l("积分次年年底清零"),
                                      description=_l("开启后，每年获得的积分在次年 12 月 31 日 23:59:59 过期")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_points_rule_merchant"),)


class SignIn(TenantMixin, db.Model):
    """签到: at most one row per member and natural day (Asia/Shanghai)."""

    __label__ = _l("签到记录")
    __tablename__ = "sign_in"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    sign_date = Column(Date, nullable=False, info=label(_l("签到日期")))
    streak = Column(Integer, nullable=False, default=1, info=label(_l("本月连续签到天数")))
    points = Column(Integer, nullable=False, default=0, info=label(_l("获得积分")))
    created_at = created_at_column()
    member = relationship(Member)
    __table_args__ = (UniqueConstraint("member_id", "sign_date", name="uq_sign_in_member_day"),)


class RechargeTier(TenantMixin, db.Model):
    __label__ = _l("充返档位")
    __tablename__ = "recharge_tier"
    id = Column(Integer, primary_key=True)
    amount = money_column(_l("充值金额（元）"))
    bonus = money_column(_l("赠送金额（元）"))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "amount", name="uq_recharge_tier_amount"),)

    def __str__(self):
        return f"充{self.amount}元返{self.bonus}元"


class StoredValueSetting(TenantMixin, db.Model):
    """在线办理储值卡设置: one row per merchant."""

    __label__ = _l("储值卡设置")
    __tablename__ = "stored_value_setting"
    id = Column(Integer, primary_key=True)
    online_signup = Column(Boolean, nullable=False, default=False, server_default="0",
                           info=label(_l("在线办理储值卡"),
                                      description=_l("开启后，商城前端会引导会员在线办理储值卡")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_stored_value_setting_merchant"),)


class StoredValueCard(TenantMixin, db.Model):
    __label__ = _l("储值卡")
    __tablename__ = "stored_value_card"
    id = Column(Integer, primary_key=True)
    card_no = Column(String(20), nullable=False, info=label(_l("卡号")))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    balance = money_column(_l("余额（元）"))
    total_recharge = money_column(_l("累计充值（元）"))
    status = choice_column(CARD_STATUS, "active", _l("状态"))
    created_at = created_at_column()
    member = relationship(Member, lazy="joined",
                          backref=backref("cards", passive_deletes=True))
    __table_args__ = (
        UniqueConstraint("merchant_id", "card_no", name="uq_stored_value_card_no"),
        UniqueConstraint("member_id", name="uq_stored_value_card_member"),
        Index("ix_stored_value_card_merchant_created", "merchant_id", "created_at"),
        Index("ix_stored_value_card_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.card_no

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (充值, 划卡, 记录, 查看)."""
        return self


class BalanceLedger(TenantMixin, db.Model):
    """储值明细: append-only; a card's balance is the sum of its deltas."""

    __label__ = _l("储值明细")
    __tablename__ = "balance_ledger"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    card_id = Column(ForeignKey("stored_value_card.id", ondelete="CASCADE"), nullable=False,
                     info=label(_l("储值卡")))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    kind = choice_column(BALANCE_KINDS, "recharge", _l("类型"))
    delta = money_column(_l("变动金额（元）"))
    balance_after = money_column(_l("变动后余额（元）"))
    reason = Column(String(100), nullable=False, info=label(_l("备注")))
    idempotency_key = Column(String(64), nullable=False, info=label(_l("幂等键")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    card = relationship(StoredValueCard)
    member = relationship(Member)
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_balance_ledger_key"),
        Index("ix_balance_ledger_card", "card_id", "id"),
        Index("ix_balance_ledger_merchant_created", "merchant_id", "created_at"),
        Index("ix_balance_ledger_merchant_kind", "merchant_id", "kind", "created_at"),
    )


class DistributionRule(TenantMixin, db.Model):
    """分销规则设置: one row per merchant."""

    __label__ = _l("分销规则")
    __tablename__ = "distribution_rule"
    id = Column(Integer, primary_key=True)
    default_rate = Column(Numeric(5, 2), nullable=False, default=0,
                          info=label(_l("默认提成比例（%）"),
                                     description=_l("分销商品默认提成比例，0-100，最多两位小数")))
    show_apply = Column(Boolean, nullable=False, default=False, server_default="0",
                        info=label(_l("在线申请分销商"),
                                   description=_l("开启后，手机端显示“申请分销商”入口")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_distribution_rule_merchant"),)


class Distributor(TenantMixin, db.Model):
    """申请分销商: an application, and once approved the distributor."""

    __label__ = _l("分销商")
    __tablename__ = "distributor"
    id = Column(Integer, primary_key=True)
    member_id = Column(ForeignKey("member.id", ondelete="SET NULL"), nullable=True,
                       info=label(_l("会员")))
    name = Column(String(32), nullable=False, info=label(_l("姓名")))
    city = Column(String(32), nullable=False, info=label(_l("城市")))
    phone = Column(String(20), nullable=False, info=label(_l("联系方式")))
    status = choice_column(DISTRIBUTOR_STATUS, "pending", _l("分销状态"))
    commission_rate = Column(Numeric(5, 2), nullable=True, info=label(_l("提成比例（%）")))
    commission_balance = money_column(_l("可提现提成（元）"))
    total_commission = money_column(_l("累计提成（元）"))
    reject_reason = Column(String(100), nullable=True, info=label(_l("拒绝原因")))
    created_at = created_at_column()
    member = relationship(Member)
    __table_args__ = (
        Index("ix_distributor_merchant_created", "merchant_id", "created_at"),
        Index("ix_distributor_merchant_status", "merchant_id", "status"),
        Index("ix_distributor_merchant_phone", "merchant_id", "phone"),
    )

    def __str__(self):
        return f"{self.name}（{self.phone}）"

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (审核, 设置提成比例)."""
        return self


class CommissionLedger(TenantMixin, db.Model):
    __label__ = _l("提成明细")
    __tablename__ = "commission_ledger"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    distributor_id = Column(ForeignKey("distributor.id", ondelete="CASCADE"), nullable=False,
                            info=label(_l("分销商")))
    kind = choice_column(COMMISSION_KINDS, "order", _l("类型"))
    delta = money_column(_l("变动金额（元）"))
    balance_after = money_column(_l("变动后余额（元）"))
    reason = Column(String(100), nullable=False, info=label(_l("说明")))
    ref = Column(String(64), nullable=True, info=label(_l("关联单号")))
    idempotency_key = Column(String(64), nullable=False, info=label(_l("幂等键")))
    created_at = created_at_column()
    distributor = relationship(Distributor)
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_commission_ledger_key"),
        Index("ix_commission_ledger_distributor", "distributor_id", "id"),
    )


class Withdrawal(TenantMixin, db.Model):
    """分销商申请提现."""

    __label__ = _l("提现申请")
    __tablename__ = "distributor_withdrawal"
    id = Column(Integer, primary_key=True)
    distributor_id = Column(ForeignKey("distributor.id", ondelete="CASCADE"), nullable=False,
                            info=label(_l("分销商")))
    amount = money_column(_l("提现金额（元）"))
    status = choice_column(WITHDRAWAL_STATUS, "pending", _l("状态"))
    reason = Column(String(100), nullable=True, info=label(_l("审核说明")))
    reviewed_at = Column(DateTime, nullable=True, info=label(_l("审核时间")))
    created_at = created_at_column()
    distributor = relationship(Distributor, lazy="joined")
    __table_args__ = (
        Index("ix_distributor_withdrawal_merchant_created", "merchant_id", "created_at"),
        Index("ix_distributor_withdrawal_merchant_status", "merchant_id", "status"),
    )

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (审核)."""
        return self


class ReservationCity(TenantMixin, db.Model):
    __label__ = _l("预约服务城市")
    __tablename__ = "reservation_city"
    id = Column(Integer, primary_key=True)
    name = Column(String(32), nullable=False, info=label(_l("城市名称")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_reservation_city_name"),)

    def __str__(self):
        return self.name
