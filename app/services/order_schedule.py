"""Scheduled order work: close orders left unpaid, confirm receipt of shipped orders.

Both walk the due orders merchant by merchant (inside each merchant's tenant scope) in
small batches, and move each order through the state service in its own transaction: an
order paid (or confirmed by the buyer) a moment before is refused by the conditional UPDATE
and simply skipped. Run from cron (`flask md order-jobs`) or as an RQ job
(app/workers/order.py); running twice does nothing twice.
"""
import logging
from datetime import timedelta

from sqlalchemy import select

from app.models.base import china_now
from app.models.order import Order
from app.services.errors import BusinessError
from app.tenancy import platform_scope, tenant_scope

log = logging.getLogger(__name__)

DEFAULT_UNPAID_MINUTES = 30  # the second guide: 未在设置时间内支付，订单将会被自动取消，默认30分钟
DEFAULT_CONFIRM_DAYS = 7     # no figure in the guides: a common default, configurable
BATCH = 200


def _merchants_with(session, *where):
    with platform_scope():
        return session.execute(select(Order.merchant_id).where(*where).distinct()
                               ).scalars().all()


def _run(session, where, action, now):
    done = 0
    for merchant_id in _merchants_with(session, *where):
        with tenant_scope(merchant_id):
            last_id = 0
            while True:
                ids = session.execute(select(Order.id).where(*where, Order.id > last_id)
                                      .order_by(Order.id).limit(BATCH)).scalars().all()
                if not ids:
                    break
                last_id = ids[-1]
                for order_id in ids:
                    order = session.get(Order, order_id)
                    try:
                        action(session, order)
                        session.commit()
                        done += 1
                    except BusinessError as exc:  # moved meanwhile: the UPDATE refused it
                        session.rollback()
                        log.info("scheduled order job skipped %s: %s", order_id, exc)
    return done


def close_unpaid(session, now=None, minutes=DEFAULT_UNPAID_MINUTES):
    """未付款 orders older than ``minutes`` are closed (stock, coupon, points restored)."""
    from app.services import order as orders

    now = now or china_now()
    cutoff = now - timedelta(minutes=minutes)
    return _run(session, [Order.status == "unpaid", Order.created_at < cutoff],
                lambda s, o: orders.close(s, o, reason=f"超过 {minutes} 分钟未付款，系统自动关闭",
                                          actor="系统"), now)


def auto_confirm(session, now=None, days=DEFAULT_CONFIRM_DAYS):
    """已发货 orders shipped (fully) more than ``days`` ago are confirmed as received
    (completed: points, experience and commission are awarded)."""
    from app.services import order as orders

    now = now or china_now()
    cutoff = now - timedelta(days=days)
    return _run(session, [Order.status == "shipped",
                          Order.logistics_status.in_(("shipped", "signed")),
                          Order.shipped_at < cutoff],
                lambda s, o: orders.complete(s, o, actor="系统",
                                             note=f"发货 {days} 天后系统自动确认收货"), now)
