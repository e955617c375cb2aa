"""Order figures for the home page: 昨日总订单 and 昨日总付款 (Asia/Shanghai days)."""
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.models.base import china_now
from app.models.order import Order


def day_bounds(day):
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def yesterday_totals(session, now=None):
    """Orders placed yesterday, and the amount of the orders paid yesterday. Both ranges
    are served by the (merchant_id, created_at) and (merchant_id, paid_at) indexes.
    (Counting ``Order.id``, not ``count(*)`` over ``select_from``: the tenant guard
    filters statements by the entities they select.)"""
    start, end = day_bounds((now or china_now()).date() - timedelta(days=1))
    orders = session.execute(select(func.count(Order.id)).where(
        Order.created_at >= start, Order.created_at < end)).scalar()
    paid_count, paid_sum = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.paid_amount), 0)).where(
            Order.paid_at >= start, Order.paid_at < end)).one()
    return {"yesterday_orders": orders, "yesterday_paid_count": paid_count,
            "yesterday_paid": Decimal(paid_sum).quantize(Decimal("0.01"))}
