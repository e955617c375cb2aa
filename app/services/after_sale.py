"""售后管理, following the second guide's flows:

* 仅退款: 待审核 → 同意 (refund) → 退款中 → 已完成; or 驳回.
* 退货退款: 待审核 → 同意 with the return address → 待买家退货 → the buyer enters the
  return waybill → 买家已退货 → 确认收货 and refund → 退款中 → 已完成.
* 换货: the same until 买家已退货 → 确认收货 and reship with a waybill → 已重新发货 →
  the buyer confirms → 已完成.

Each step is one compare-and-set on the after-sale's status, so two staff clicking at once
cannot both act. Refunds go through ``app.services.refund`` (WeChat ones through the job).

积分+现金 and 积分商品 lines: the refund also returns the line's points in proportion to the
units refunded, through the points ledger (``change_points``, the service the close path
uses), keyed ``after_sale:<id>:points`` with the 售后编号 as ``ref``. Rounding (points are
whole numbers): cumulative floor — after a refund the line has returned
floor(line points × units refunded so far / units bought) in all, so each partial refund
returns the floor of its share and the refund that completes the line returns the
remainder; the total returned equals the points paid. See ``points_to_return``.
"""
import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from app.models.base import china_now
from app.models.fulfilment import AfterSale
from app.models.order import Order, OrderItem
from app.services import order as order_service
from app.services import refund as refund_service
from app.services.errors import N_
from app.services.fulfilment import FulfilmentError, move_status, status_text
from app.services.shipping import check_waybill

CENT = Decimal("0.01")
TYPES = ("refund_only", "return_refund", "exchange")
OPEN = ("pending", "awaiting_return", "returned", "refunding", "reshipped")
PAID = ("awaiting_shipment", "shipped", "completed")
RECEIVED = ("shipped", "completed")


def new_after_sale_no():
    return f"AS{datetime.now():%Y%m%d%H%M%S}{secrets.randbelow(10 ** 6):06d}"


def item_refundable(item, quantity):
    """What ``quantity`` of a line paid after its share of the order's discounts."""
    paid = Decimal(item.line_total) - Decimal(item.discount_share or 0)
    return max(paid * quantity / item.quantity, Decimal("0")).quantize(CENT)


def _text(value, limit, message, field):
    value = (value or "").strip()
    if not value:
        raise FulfilmentError(message, code="required", field=field)
    if len(value) > limit:
        raise FulfilmentError(N_("最多 %(n)s 个字"), code="too_long", field=field, n=limit)
    return value


def apply(session, *, member, order, order_item_id, type, quantity, reason, amount=None,
          description=None, goods_status="received"):
    """申请售后 by the buyer. 退货退款 and 换货 need the goods received (shipped order)."""
    if order.member_id != member.id:
        raise FulfilmentError(N_("订单不存在"), code="not_found", status=404)
    if type not in TYPES:
        raise FulfilmentError(N_("请选择售后类型"), code="bad_type", field="type")
    allowed = RECEIVED if type != "refund_only" else PAID
    if order.status not in allowed:
        raise FulfilmentError(N_("订单当前状态为「%(state)s」，不能申请该售后"),
                              code="bad_state", status=409,
                              state=status_text(order.status))
    item = session.get(OrderItem, order_item_id)
    if item is None or item.order_id != order.id:
        raise FulfilmentError(N_("订单中没有该商品"), code="bad_item", field="order_item_id")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise FulfilmentError(N_("数量须为正整数"), code="bad_quantity", field="quantity")
    left = item.quantity - (item.refunded_quantity or 0)
    if quantity > left:
        raise FulfilmentError(N_("该商品最多可申请 %(n)s 件"), code="too_many",
                              field="quantity", n=left)
    # One open 售后 per line: the line's row lock makes two applies at the same moment (a
    # double tap) take turns, and the second looks for open 售后 with a locking read, which
    # sees committed rows even where plain reads use an older snapshot (MariaDB).
    session.execute(select(OrderItem.id).where(OrderItem.id == item.id).with_for_update())
    busy = session.execute(select(AfterSale.id).where(
        AfterSale.order_item_id == item.id, AfterSale.status.in_(OPEN))
        .with_for_update()).first()
    if busy:
        raise FulfilmentError(N_("该商品已有进行中的售后申请"), code="busy", status=409)
    reason = _text(reason, 100, N_("请填写申请原因"), "reason")
    cap = item_refundable(item, quantity)
    if type == "exchange":
        amount = Decimal("0.00")
    elif amount in (None, ""):
        amount = cap
    else:
        amount = refund_service._amount(amount)
        if amount > cap:
            raise FulfilmentError(N_("退款金额不能超过 %(cap)s 元"), code="too_much",
                                  field="amount", cap=cap)
    row = AfterSale(merchant_id=order.merchant_id, after_sale_no=new_after_sale_no(),
                    order_id=order.id, order_item_id=item.id, member_id=member.id,
                    order_no=order.order_no, product_id=item.product_id,
                    product_name=item.product_name[:100], receiver_name=order.receiver_name,
                    receiver_phone=order.receiver_phone, type=type, status="pending",
                    goods_status="received" if goods_status != "not_received" else
                    "not_received", quantity=quantity, amount=amount, reason=reason,
                    description=(description or "").strip()[:500] or None)
    session.add(row)
    session.flush()
    order_service.log_action(session, order, "after_sale", actor="买家",
                             note=f"申请售后 {row.after_sale_no}：{reason}")
    return row


def _order(session, after_sale):
    return session.get(Order, after_sale.order_id)


def _step(session, after_sale, allowed, new_status, verb, **values):
    if after_sale.status not in allowed or not move_status(
            session, AfterSale, after_sale, allowed, new_status, **values):
        session.refresh(after_sale)
        raise FulfilmentError(N_("售后单当前状态为「%(state)s」，不能%(verb)s"),
                              code="bad_state", status=409, verb=verb,
                              state=status_text(after_sale.status, _statuses()))
    return after_sale


def _statuses():
    from app.models.fulfilment import AFTER_SALE_STATUS

    return AFTER_SALE_STATUS


def agree(session, after_sale, *, return_address=None, operator_id=None):
    """同意: 仅退款 refunds now; 退货退款 and 换货 need the return address."""
    now = china_now()
    if after_sale.type == "refund_only":
        _step(session, after_sale, ("pending",), "refunding", N_("同意"), handled_at=now,
              operator_id=operator_id)
        return _refund(session, after_sale, operator_id)
    address = _text(return_address, 200, N_("请填写退货地址"), "return_address")
    return _step(session, after_sale, ("pending",), "awaiting_return", N_("同意"),
                 return_address=address, handled_at=now, operator_id=operator_id)


def reject(session, after_sale, *, reason, operator_id=None):
    """驳回, with the reason the buyer reads (at review, or after inspecting the return)."""
    reason = _text(reason, 100, N_("请填写驳回原因"), "reject_reason")
    return _step(session, after_sale, ("pending", "returned"), "rejected", N_("驳回"),
                 reject_reason=reason, handled_at=china_now(), operator_id=operator_id)


def submit_return(session, after_sale, *, courier, waybill_no):
    """The buyer's return waybill (寄回货物的快递公司和快递单号)."""
    courier = _text(courier, 30, N_("请填写快递公司"), "return_courier")
    waybill_no = check_waybill(waybill_no)
    return _step(session, after_sale, ("awaiting_return",), "returned", N_("填写退货运单"),
                 return_courier=courier, return_waybill=waybill_no, returned_at=china_now())


def confirm_and_refund(session, after_sale, *, operator_id=None):
    """确认收货 then refund (退货退款)."""
    if after_sale.type != "return_refund":
        raise FulfilmentError(N_("换货请确认收货后重新发货"), code="bad_type", status=409)
    _step(session, after_sale, ("returned",), "refunding", N_("确认收货并退款"),
          received_at=china_now(), operator_id=operator_id)
    return _refund(session, after_sale, operator_id)


def confirm_and_reship(session, after_sale, *, courier, waybill_no, operator_id=None):
    """确认收货 then reship with a waybill (换货)."""
    if after_sale.type != "exchange":
        raise FulfilmentError(N_("退货退款请确认收货后退款"), code="bad_type", status=409)
    courier = _text(courier, 30, N_("请填写换货的物流公司"), "reship_courier")
    waybill_no = check_waybill(waybill_no)
    now = china_now()
    return _step(session, after_sale, ("returned",), "reshipped", N_("确认收货并发货"),
                 received_at=now, reship_courier=courier, reship_waybill=waybill_no,
                 operator_id=operator_id)


def buyer_confirm(session, after_sale):
    """买家收货，换货成功."""
    return _step(session, after_sale, ("reshipped",), "completed", N_("确认收货"),
                 completed_at=china_now())


def line_points(session, order, item):
    """The points ``item`` was bought with (积分+现金 or 积分商品): its snapshot; for a
    line written before the snapshot existed, the order's points spread over its 积分商品
    lines by quantity (floored, the last line takes the remainder)."""
    if item.points_paid:
        return int(item.points_paid)
    if not order.points_paid or item.product_type != "points":
        return 0
    lines = [i for i in order.items if i.product_type == "points"]
    if any(i.points_paid for i in lines):
        return 0
    units = sum(i.quantity for i in lines) or 1
    left = int(order.points_paid)
    for index, line in enumerate(lines):
        share = left if index == len(lines) - 1 else \
            int(order.points_paid) * line.quantity // units
        if line.id == item.id:
            return share
        left -= share
    return 0


def points_key(after_sale):
    return f"after_sale:{after_sale.id}:points"


def _returned(session, condition):
    """Points returned by the after-sales matching ``condition``, read from the ledger."""
    from app.models.member import PointsLedger

    keys = [f"after_sale:{pk}:points" for pk in session.execute(
        select(AfterSale.id).where(condition)).scalars()]
    if not keys:
        return 0
    return int(session.execute(select(func.coalesce(func.sum(PointsLedger.delta), 0)).where(
        PointsLedger.idempotency_key.in_(keys))).scalar() or 0)


def points_returned(session, item_id):
    """Points the after-sales of one order line have returned so far."""
    return _returned(session, AfterSale.order_item_id == item_id)


def order_points_returned(session, order_id):
    """Points the after-sales of an order have returned (closing returns only the rest)."""
    return _returned(session, AfterSale.order_id == order_id)


def points_to_return(session, order, item, after_sale, refunded_quantity):
    """Points this after-sale returns once the line's refunded units are
    ``refunded_quantity`` (this one included): floor(line points × refunded / bought) minus
    what the line's after-sales returned already; 0 when this after-sale returned its
    points before (a retry)."""
    from app.models.member import PointsLedger

    total = line_points(session, order, item)
    if total <= 0 or not item.quantity:
        return 0
    if session.execute(select(PointsLedger.id).where(
            PointsLedger.idempotency_key == points_key(after_sale))).first():
        return 0
    return points_share(total, item.quantity, refunded_quantity,
                        points_returned(session, item.id))


def points_share(total, bought, refunded, returned):
    """The rounding rule alone: a line bought with ``total`` points for ``bought`` units,
    ``refunded`` units refunded so far (this refund included), ``returned`` points given
    back already: floor(total × refunded / bought) − returned, never below 0 and never
    above what is left. When ``refunded`` reaches ``bought`` this is the remainder."""
    if total <= 0 or bought <= 0:
        return 0
    due = total * min(max(refunded, 0), bought) // bought
    return max(0, min(due, total) - returned)


def _refund(session, after_sale, operator_id):
    order = _order(session, after_sale)
    if after_sale.refund_id is not None:  # a retry: the refund (and its points) exist
        return after_sale
    table = OrderItem.__table__
    result = session.execute(update(table).where(
        table.c.id == after_sale.order_item_id,
        table.c.refunded_quantity + after_sale.quantity <= table.c.quantity)
        .values(refunded_quantity=table.c.refunded_quantity + after_sale.quantity))
    if result.rowcount != 1:
        raise FulfilmentError(N_("该商品的可退数量不足"), code="too_many", status=409)
    item = session.get(OrderItem, after_sale.order_item_id)
    refunded = session.execute(select(table.c.refunded_quantity).where(
        table.c.id == item.id)).scalar()
    points = points_to_return(session, order, item, after_sale, refunded)
    refund = refund_service.create_refund(
        session, order, amount=after_sale.amount, points=points, operator_id=operator_id,
        reason=f"售后 {after_sale.after_sale_no}：{after_sale.reason}"[:100],
        points_key=points_key(after_sale) if points else None,
        points_ref=after_sale.after_sale_no)
    session.execute(update(AfterSale.__table__).where(AfterSale.__table__.c.id == after_sale.id)
                    .values(refund_id=refund.id))
    if refund.status == "succeeded":
        move_status(session, AfterSale, after_sale, ("refunding",), "completed",
                    completed_at=china_now())
    session.refresh(after_sale)
    return after_sale
