"""The draw engine's own table: per-member draw counters shared by 微红包 and the lottery
games. Prize tiers, draws and budget ledgers belong to each plugin (red_packet_*,
lottery_game_*); the engine only needs to know how many chances a member has used.

One row per (activity, member, period), ``period`` being ``"total"`` or a day
(``"2026-11-28"``). ``used`` changes only by the engine's conditional UPDATE
(``used < limit``), so concurrent draws by one member can never exceed a limit.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint

from app.extensions import db
from app.models.base import label
from app.tenancy import TenantMixin

ACTIVITY_KINDS = [("red_packet", _l("微红包")), ("game", _l("抽奖游戏")), ("face", _l("AI 刷脸"))]


class LotteryChance(TenantMixin, db.Model):
    __label__ = _l("抽奖次数")
    __tablename__ = "lottery_chance"
    __table_args__ = (UniqueConstraint("activity_kind", "activity_id", "member_id", "period",
                                       name="uq_lottery_chance"),)
    id = Column(Integer, primary_key=True)
    activity_kind = Column(String(20), nullable=False, info=label(_l("活动类型")))
    activity_id = Column(Integer, nullable=False, info=label(_l("活动")))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       index=True, info=label(_l("会员")))
    period = Column(String(10), nullable=False, info=label(_l("周期")))
    used = Column(Integer, nullable=False, default=0, info=label(_l("已用次数")))
