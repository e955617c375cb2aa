"""抽奖游戏 (插件管理): 大转盘, 刮刮卡, 砸金蛋, 拆宝箱, on the one draw engine
(app/services/lottery.py).

* ``lottery_game``: one activity of a game type, with its window, per-member chances and an
  optional points cost per draw;
* ``lottery_game_prize``: its prizes, each with a probability and a stock. ``remaining``
  changes only by a conditional UPDATE (``remaining >= 1``); ``stock - remaining`` always
  equals the prize's winning draws, so the draw rows are the prize's ledger;
* ``lottery_game_draw``: every draw (won or not), the prize record (中奖记录) the merchant
  searches and exports. A physical gift carries its verification ``code``, redeemed by 核销
  exactly once (``redeemed_at``). A red-packet prize keeps the payout id as a plain integer
  (the red-packet plugin owns that table).
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

GAME_TYPES = [("wheel", _l("大转盘")), ("scratch_card", _l("刮刮卡")),
              ("golden_egg", _l("砸金蛋")), ("treasure_box", _l("拆宝箱"))]
GAME_STATUS = [("active", _l("启用")), ("paused", _l("停用"))]
PRIZE_KINDS = [("coupon", _l("优惠券")), ("points", _l("积分")), ("red_packet", _l("红包")),
               ("gift", _l("实物奖品")), ("thanks", _l("谢谢参与"))]
DRAW_RESULTS = [("won", _l("中奖")), ("thanks", _l("谢谢参与")), ("none", _l("未中奖"))]


class LotteryGame(TenantMixin, db.Model):
    """抽奖活动: one game type, a window, chances per member and an optional points cost."""

    __label__ = _l("抽奖活动")
    __tablename__ = "lottery_game"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), nullable=False, info=label(_l("活动名称")))
    game_type = choice_column(GAME_TYPES, "wheel", _l("游戏类型"))
    starts_at = Column(DateTime, nullable=False, info=label(_l("开始时间")))
    ends_at = Column(DateTime, nullable=False, info=label(_l("结束时间")))
    per_day = Column(Integer, nullable=False, default=0, server_default="0",
                     info=label(_l("每人每天次数"), description=_l("0 表示不限")))
    total = Column(Integer, nullable=False, default=0, server_default="0",
                   info=label(_l("每人总次数"), description=_l("0 表示不限")))
    points_cost = Column(Integer, nullable=False, default=0, server_default="0",
                         info=label(_l("每次消耗积分"), description=_l("0 表示免费")))
    rules = Column(Text, nullable=True, info=label(_l("活动规则")))
    status = choice_column(GAME_STATUS, "active", _l("状态"))
    created_at = created_at_column()
    prizes = relationship("LotteryGamePrize", back_populates="game",
                          order_by="(LotteryGamePrize.sort, LotteryGamePrize.id)",
                          cascade="all, delete-orphan", passive_deletes=True)
    __table_args__ = (
        Index("ix_lottery_game_merchant_created", "merchant_id", "created_at"),
        Index("ix_lottery_game_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.name

    @property
    def ops(self):
        """The row itself, for the list's 操作 column."""
        return self

    @property
    def window(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} ~ {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def chances(self):
        return _l("每天 %(day)s 次 / 总共 %(total)s 次", day=self.per_day or _l("不限"),
                  total=self.total or _l("不限"))


class LotteryGamePrize(TenantMixin, db.Model):
    """奖品: a coupon batch, points, a red-packet amount, a physical gift or 谢谢参与."""

    __label__ = _l("奖品")
    __tablename__ = "lottery_game_prize"
    id = Column(Integer, primary_key=True)
    game_id = Column(ForeignKey("lottery_game.id", ondelete="CASCADE"), nullable=False,
                     index=True, info=label(_l("抽奖活动")))
    name = Column(String(20), nullable=False, info=label(_l("奖品名称")))
    kind = choice_column(PRIZE_KINDS, "gift", _l("奖品类型"))
    probability = Column(Numeric(7, 4), nullable=False, info=label(_l("中奖概率（%）")))
    stock = Column(Integer, nullable=False, default=0, info=label(_l("奖品数量")))
    remaining = Column(Integer, nullable=False, default=0, info=label(_l("剩余数量")))
    coupon_batch_id = Column(ForeignKey("coupon_batch.id", ondelete="SET NULL"), nullable=True,
                             info=label(_l("优惠券")))
    points = Column(Integer, nullable=True, info=label(_l("积分数")))
    # 红包金额, or a gift's declared value: what orders the fallback.
    amount = money_column(_l("金额/价值（元）"), nullable=True, default=None)
    sort = Column(Integer, nullable=False, default=0, server_default="0",
                  info=label(_l("排序")))
    created_at = created_at_column()
    game = relationship(LotteryGame, back_populates="prizes")
    coupon_batch = relationship("CouponBatch", lazy="joined")

    def __str__(self):
        return self.name

    @property
    def probability_text(self):
        """The probability as entered: 12.5000 -> "12.5", 10.0000 -> "10"."""
        if self.probability is None:
            return ""
        return f"{self.probability.normalize():f}"


class LotteryGameDraw(TenantMixin, db.Model):
    """中奖记录: one row per draw; what was won, and for a gift its 核销."""

    __label__ = _l("中奖记录")
    __tablename__ = "lottery_game_draw"
    id = Column(Integer, primary_key=True)
    draw_no = Column(String(32), nullable=False, info=label(_l("抽奖单号")))
    game_id = Column(ForeignKey("lottery_game.id", ondelete="CASCADE"), nullable=False,
                     info=label(_l("抽奖活动")))
    game_type = choice_column(GAME_TYPES, "wheel", _l("游戏类型"))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    member_nickname = Column(String(64), nullable=True, info=label(_l("会员昵称")))
    member_phone = Column(String(20), nullable=True, info=label(_l("手机号")))
    result = choice_column(DRAW_RESULTS, "none", _l("抽奖结果"))
    prize_id = Column(ForeignKey("lottery_game_prize.id", ondelete="SET NULL"), nullable=True,
                      info=label(_l("奖品")))
    # What chance picked (differs from prize_id when that prize had run out).
    drawn_prize_id = Column(Integer, nullable=True, info=label(_l("抽中奖品")))
    prize_kind = Column(String(16), nullable=True,
                        info=label(_l("奖品类型"), choices=PRIZE_KINDS))
    prize_name = Column(String(20), nullable=True, info=label(_l("奖品名称")))
    points_cost = Column(Integer, nullable=False, default=0, info=label(_l("消耗积分")))
    points_awarded = Column(Integer, nullable=False, default=0, info=label(_l("获得积分")))
    amount = money_column(_l("金额/价值（元）"), nullable=True, default=None)
    member_coupon_id = Column(ForeignKey("member_coupon.id", ondelete="SET NULL"),
                              nullable=True, info=label(_l("会员优惠券")))
    payout_id = Column(Integer, nullable=True, info=label(_l("红包发放单")))
    code = Column(String(16), nullable=True, info=label(_l("核销码")))
    redeemed_at = Column(DateTime, nullable=True, info=label(_l("核销时间")))
    redeemed_by = Column(ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True,
                         info=label(_l("核销人ID")))
    redeemed_by_name = Column(String(64), nullable=True, info=label(_l("核销人")))
    created_at = created_at_column()
    game = relationship(LotteryGame, lazy="joined")
    prize = relationship(LotteryGamePrize)

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (核销 of a physical prize)."""
        return self
    __table_args__ = (
        UniqueConstraint("draw_no", name="uq_lottery_game_draw_no"),
        UniqueConstraint("code", name="uq_lottery_game_draw_code"),
        Index("ix_lottery_game_draw_merchant_created", "merchant_id", "created_at"),
        Index("ix_lottery_game_draw_merchant_result", "merchant_id", "result"),
        Index("ix_lottery_game_draw_merchant_phone", "merchant_id", "member_phone"),
        Index("ix_lottery_game_draw_game_member", "game_id", "member_id"),
        Index("ix_lottery_game_draw_prize", "prize_id"),
    )
