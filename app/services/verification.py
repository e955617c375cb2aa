"""到店核销: find a pickup order by its code, confirm it exactly once, and the statistics of
the first guide's 核销端 (totals, today, per day of a month, per staff). The desk also takes
抽奖游戏 gift codes (``find_code``); those are redeemed by ``lottery_game.redeem_gift`` and
have no verification record (their record is the draw row's 核销 columns).

"Exactly once" holds under concurrency on every database: the order row is locked first
(FOR UPDATE, so the second confirmer waits and then sees the first one's record), the
record's unique ``order_id`` refuses a second insert whatever happens, and the order moves
to 已完成 through ``order.complete``'s conditional UPDATE.
"""
import re
from calendar import monthrange
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.fulfilment import VerificationRecord
from app.models.order import Order
from app.services import order as order_service
from app.services.errors import N_
from app.services.fulfilment import FulfilmentError, status_text

CODE_RE = re.compile(r"^[A-Za-z0-9]{4,16}$")


class AlreadyVerified(FulfilmentError):
    """该订单已核销, with when and by whom."""


def normalise_code(code):
    """What a scan or a typed code leaves: spaces and dashes dropped. A QR code may carry
    a URL or ``MDV:<code>``; the code is its last part."""
    code = (code or "").strip()
    code = re.split(r"[/:=]", code)[-1]
    return re.sub(r"[\s-]", "", code)[:32]


def find_order(session, code):
    """The current merchant's order with this code (the tenant guard filters), else
    "订单不存在" — another merchant's code included."""
    code = normalise_code(code)
    if not code:
        raise FulfilmentError(N_("请输入核销码"), code="no_code", field="code")
    if not CODE_RE.match(code):
        raise FulfilmentError(N_("订单不存在"), code="not_found", status=404, field="code")
    order = session.execute(select(Order).where(Order.verification_code == code)).scalar()
    if order is None:
        raise FulfilmentError(N_("订单不存在"), code="not_found", status=404, field="code")
    return order


def find_code(session, code):
    """What a code typed or scanned at the 核销台 is, within the current merchant (the
    tenant guard filters both lookups): ``("order", Order)`` for a pickup order's
    verification code, else ``("gift", LotteryGameDraw)`` for a 抽奖游戏 physical prize's
    核销码 (app/services/lottery_game.py), else "核销码不存在" — another merchant's codes
    of either kind included. Order codes are looked up first (12 digits); a gift code uses
    the games' alphabet and is matched case-insensitively."""
    from app.services import lottery_game as games

    code = normalise_code(code)
    if not code:
        raise FulfilmentError(N_("请输入核销码"), code="no_code", field="code")
    if CODE_RE.match(code):
        order = session.execute(select(Order).where(Order.verification_code == code)).scalar()
        if order is not None:
            return "order", order
    gift_code = games.normalise_code(code)
    if len(gift_code) == games.CODE_LENGTH:
        try:
            return "gift", games.find_gift(session, code=gift_code)
        except games.GameError as exc:
            if exc.code != "not_found":
                raise
    raise FulfilmentError(N_("核销码不存在"), code="not_found", status=404, field="code")


def record_of(session, order_id, latest=False):
    """The order's record. ``latest`` reads the newest committed row with a locking read:
    under MariaDB's REPEATABLE READ a plain SELECT would still show the snapshot taken
    before the winner of a race committed."""
    query = select(VerificationRecord).where(VerificationRecord.order_id == order_id)
    if latest:
        query = query.with_for_update(read=True)
    return session.execute(query).scalar()


def already_verified(record):
    return AlreadyVerified(N_("该订单已核销（核销时间：%(at)s，核销人：%(who)s）"),
                           code="already_verified", status=409,
                           at=record.verified_at.strftime("%Y-%m-%d %H:%M:%S"),
                           who=record.staff_name)


def check_verifiable(session, order, latest=False):
    record = record_of(session, order.id, latest)
    if record is not None:
        raise already_verified(record)
    if order.delivery_method != "pickup":
        raise FulfilmentError(N_("该订单不是到店自提订单，不能核销"), code="not_pickup",
                              status=409)
    if order.status != "awaiting_shipment":
        raise FulfilmentError(N_("订单当前状态为「%(state)s」，不能核销"), code="bad_state",
                              status=409, state=status_text(order.status))


def verify(session, *, code, staff_id, staff_name, at=None):
    """确认核销到店. Returns the VerificationRecord; raises AlreadyVerified (with when and
    by whom) for every confirmation after the first. The caller commits."""
    order = find_order(session, code)
    order = order_service.lock(session, order)
    check_verifiable(session, order, latest=True)
    at = at or china_now()
    record = VerificationRecord(merchant_id=order.merchant_id, order_id=order.id,
                                order_no=order.order_no,
                                verification_code=order.verification_code,
                                shop_id=order.shop_id, staff_id=staff_id,
                                staff_name=(staff_name or "")[:64] or str(staff_id),
                                amount=order.paid_amount, verified_at=at)
    order_id = order.id
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        # Databases without FOR UPDATE: the unique order_id decides.
        existing = record_of(session, order_id, latest=True)
        if existing is not None:
            raise already_verified(existing) from None
        raise
    order_service.complete(session, order, at=at, operator_id=staff_id,
                           note=f"到店核销（核销码 {order.verification_code}）")
    return record


# -- 核销统计 ----------------------------------------------------------------------------------
def _scoped(query, staff_id):
    return query if staff_id is None else query.where(VerificationRecord.staff_id == staff_id)


def _sum(session, staff_id, start=None, end=None):
    query = select(func.count(VerificationRecord.id),
                   func.coalesce(func.sum(VerificationRecord.amount), 0))
    if start is not None:
        query = query.where(VerificationRecord.verified_at >= start,
                            VerificationRecord.verified_at < end)
    count, amount = session.execute(_scoped(query, staff_id)).one()
    return int(count), Decimal(amount).quantize(Decimal("0.01"))


def parse_month(text, today):
    """``YYYY-MM`` (the month picker) → the first day; this month when blank or bad."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if match and 2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1)
    return today.replace(day=1)


def stats(session, *, month, today, staff_id=None):
    """Totals, today, the chosen month and each of its days (count and amount), and per
    staff member. ``staff_id`` limits everything to one staff member's records (a 分管理员
    sees only their own)."""
    day0 = datetime.combine(today, datetime.min.time())
    first = datetime.combine(month, datetime.min.time())
    days_in_month = monthrange(month.year, month.month)[1]
    after = first + timedelta(days=days_in_month)
    total = _sum(session, staff_id)
    today_totals = _sum(session, staff_id, day0, day0 + timedelta(days=1))
    month_totals = _sum(session, staff_id, first, after)
    day_col = func.date(VerificationRecord.verified_at)
    rows = session.execute(_scoped(
        select(day_col, func.count(VerificationRecord.id),
               func.coalesce(func.sum(VerificationRecord.amount), 0))
        .where(VerificationRecord.verified_at >= first, VerificationRecord.verified_at < after)
        .group_by(day_col), staff_id)).all()
    by_day = {str(day)[:10]: (int(count), Decimal(amount).quantize(Decimal("0.01")))
              for day, count, amount in rows}
    days = []
    for offset in range(days_in_month):
        day = month + timedelta(days=offset)
        count, amount = by_day.get(day.isoformat(), (0, Decimal("0.00")))
        days.append({"day": day, "count": count, "amount": amount})
    staff_rows = session.execute(_scoped(
        select(VerificationRecord.staff_id, func.max(VerificationRecord.staff_name),
               func.count(VerificationRecord.id),
               func.coalesce(func.sum(VerificationRecord.amount), 0))
        .where(VerificationRecord.verified_at >= first, VerificationRecord.verified_at < after)
        .group_by(VerificationRecord.staff_id)
        .order_by(func.count(VerificationRecord.id).desc()), staff_id)).all()
    per_staff = [{"staff_id": sid, "name": name, "count": int(count),
                  "amount": Decimal(amount).quantize(Decimal("0.01"))}
                 for sid, name, count, amount in staff_rows]
    return {"total": total, "today": today_totals, "month": month_totals, "days": days,
            "per_staff": per_staff, "month_start": month}
