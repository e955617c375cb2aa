"""积分: every change of a member's points, the points rules, sign-in and expiry.

A member's points always equal the sum of their ledger (``PointsLedger.delta``): the only
writer is ``change_points``, which updates the counter conditionally and writes the ledger
row in the same transaction.
"""
import math
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from app.models.member import Member, PointsLedger, PointsRule, SignIn
from app.services.errors import N_
from app.services.member import LoyaltyError, apply_delta, current_value

STREAK_BONUS_DAYS = (7, 15, 30)
MAX_RULE_POINTS = 1_000_000


def floor_points(value):
    """Points are whole numbers; fractions are floored (9.8 -> 9), never rounded."""
    return int(math.floor(Decimal(value or 0)))


def points_for_amount(original_price, per_yuan):
    """Points for a purchase, computed on the original price (not the paid amount)."""
    return max(0, floor_points(Decimal(original_price or 0) * Decimal(per_yuan or 0)))


def change_points(session, member, delta, reason, source, idempotency_key, ref=None,
                  operator_id=None):
    """Add ``delta`` points (negative to take) with a ledger row; the balance never goes
    below zero. Calling again with the same key changes nothing and returns the first row.
    The caller commits."""
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise LoyaltyError(N_("积分变动必须是非零整数"), code="bad_delta", field="delta")
    reason = (reason or "").strip()
    if not reason:
        raise LoyaltyError(N_("请填写调整原因"), code="no_reason", field="reason")
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValueError("idempotency_key must be 1-64 characters")
    existing = session.execute(select(PointsLedger).where(
        PointsLedger.idempotency_key == idempotency_key)).scalar()
    if existing is not None:
        return existing
    after = apply_delta(session, Member.__table__, member.id, "points", delta)
    if after is None:
        raise LoyaltyError(N_("积分不足：当前积分 %(value)s，不能扣减 %(delta)s"),
                           code="insufficient_points", field="delta",
                           value=current_value(session, Member.__table__, member.id, "points"),
                           delta=-delta)
    set_committed_value(member, "points", after)
    row = PointsLedger(merchant_id=member.merchant_id, member_id=member.id, delta=delta,
                       balance_after=after, reason=reason[:100], source=source, ref=ref,
                       idempotency_key=idempotency_key, operator_id=operator_id)
    session.add(row)
    session.flush()
    return row


def ledger_sum(session, member_id):
    return session.execute(select(func.coalesce(func.sum(PointsLedger.delta), 0)).where(
        PointsLedger.member_id == member_id)).scalar()


# -- rules ---------------------------------------------------------------------------------
RULE_INT_FIELDS = ("sign_in_points", "streak_7_points", "streak_15_points", "streak_30_points",
                   "referral_purchase_points", "referral_register_points", "register_points",
                   "bind_points", "redeem_points_per_yuan")


def points_rule(session, merchant_id=None):
    """The merchant's 积分规则 row, created (all zero) when missing."""
    rule = session.execute(select(PointsRule).limit(1)).scalar()
    if rule is None:
        rule = PointsRule()
        if merchant_id is not None:
            rule.merchant_id = merchant_id
        for name in RULE_INT_FIELDS + ("redeem_max_percent",):
            setattr(rule, name, 0)
        rule.points_per_yuan = rule.experience_per_yuan = Decimal("0")
        rule.expire_yearly = False
        session.add(rule)
        session.flush()
    return rule


def check_rule(values):
    """Errors per field for a points-rules form: {field: Chinese message}."""
    errors = {}
    for name in RULE_INT_FIELDS:
        value = values.get(name)
        if value is None or value < 0:
            errors[name] = N_("请输入 0 或正整数")
        elif value > MAX_RULE_POINTS:
            errors[name] = N_("数值过大")
    percent = values.get("redeem_max_percent")
    if percent is None or not 0 <= percent <= 100:
        errors["redeem_max_percent"] = N_("请输入 0-100 之间的整数")
    for name in ("points_per_yuan", "experience_per_yuan"):
        value = values.get(name)
        if value is None or value < 0 or value > 10000:
            errors[name] = N_("请输入 0-10000 之间的数字，最多两位小数")
    return errors


def redeem_value(points, ratio):
    """Yuan that ``points`` are worth at ``ratio`` points per yuan (0 = off)."""
    if not ratio:
        return Decimal("0.00")
    return (Decimal(points) / Decimal(ratio)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")


# -- sign-in ---------------------------------------------------------------------------------
def sign_in(session, member, today):
    """签到 once per natural day (``today`` in Asia/Shanghai). The unique (member_id,
    sign_date) row decides under concurrency; a sign-in is its own transaction (a lost
    race rolls the session back) and the caller commits. Consecutive days count within a calendar
    month; the 7/15/30-day bonus is credited once, when the streak reaches it.
    Returns (SignIn, points credited)."""
    if member.status == "blacklist":
        raise LoyaltyError(N_("账号已被限制，无法签到"), code="blacklisted", status=403)
    # One member's sign-ins queue on the member row (no-op on SQLite, which serializes
    # writers anyway): without it, MariaDB's FK check on the insert takes shared locks on
    # the member row that deadlock with the winner's points UPDATE.
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    if session.execute(select(SignIn.id).where(SignIn.member_id == member.id,
                                               SignIn.sign_date == today)).first():
        raise LoyaltyError(N_("今天已经签到过了，明天再来吧"), code="already_signed",
                           status=409)
    rule = points_rule(session, member.merchant_id)
    yesterday = session.execute(select(SignIn).where(
        SignIn.member_id == member.id, SignIn.sign_date == today - timedelta(days=1))).scalar()
    streak = 1
    if yesterday is not None and yesterday.sign_date.month == today.month:
        streak = yesterday.streak + 1
    row = SignIn(merchant_id=member.merchant_id, member_id=member.id, sign_date=today,
                 streak=streak, points=0)
    member_id = member.id
    try:
        session.add(row)
        session.flush()
    except (IntegrityError, OperationalError):
        # Another request inserted today's row first: a duplicate key, or on MariaDB a
        # deadlock among the waiters. The transaction is lost either way (sign-in starts
        # its own); a fresh read tells which it was.
        session.rollback()
        if session.execute(select(SignIn.id).where(SignIn.member_id == member_id,
                                                   SignIn.sign_date == today)).first():
            raise LoyaltyError(N_("今天已经签到过了，明天再来吧"), code="already_signed",
                               status=409) from None
        raise
    total = 0
    day = today.isoformat()
    if rule.sign_in_points:
        change_points(session, member, rule.sign_in_points, "每日签到", "sign_in",
                      f"sign_in:{member.id}:{day}")
        total += rule.sign_in_points
    bonus = {7: rule.streak_7_points, 15: rule.streak_15_points,
             30: rule.streak_30_points}.get(streak, 0)
    if bonus:
        change_points(session, member, bonus, f"本月连续签到 {streak} 天奖励", "sign_in_bonus",
                      f"sign_in_bonus:{member.id}:{day}")
        total += bonus
    row.points = total
    session.flush()
    return row, total


# -- expiry -------------------------------------------------------------------------------------
def expire_points(session, now, batch=500):
    """积分清零: points earned in year Y expire at the end of year Y+1 (first earned, first
    used). Run any time after New Year for the merchants whose rule says so; writes one
    ``expire`` ledger row per member, idempotent per member and year. Returns rows written.
    Runs inside the merchant's tenant scope; the caller commits."""
    rule = session.execute(select(PointsRule).limit(1)).scalar()
    if rule is None or not rule.expire_yearly:
        return 0
    earned_before = datetime(now.year - 1, 1, 1)  # earned before this: expired by now
    year = now.year - 2
    earned = func.sum(case((PointsLedger.created_at < earned_before,
                            case((PointsLedger.delta > 0, PointsLedger.delta), else_=0)),
                           else_=0))
    spent = func.sum(case((PointsLedger.delta < 0, -PointsLedger.delta), else_=0))
    rows = session.execute(
        select(PointsLedger.member_id, earned, spent).group_by(PointsLedger.member_id)
        .having(earned > spent)).all()
    written = 0
    for member_id, earned_total, spent_total in rows:
        due = int(earned_total or 0) - int(spent_total or 0)
        member = session.get(Member, member_id)
        if member is None or due <= 0:
            continue
        due = min(due, member.points)
        if due <= 0:
            continue
        change_points(session, member, -due, f"{year} 年获得的积分已于 {year + 1} 年底过期",
                      "expire", f"expire:{member_id}:{year}")
        written += 1
        if written % batch == 0:
            session.flush()
    return written


def today_in_china():
    """Today's date in China (Asia/Shanghai): the sign-in day."""
    from app.models.base import CHINA

    return datetime.now(CHINA).date()
