"""Order states (订单状态): every transition is one function here, and only here.

Each transition is ONE conditional UPDATE on the order's status (``... WHERE id = :id AND
status IN (:allowed)``) with a rowcount check, so two staff (or a staff member and the
payment notification) can never both move the same order; the loser gets an ``OrderError``
naming the state the order is in now. Each writes an ``OrderLog`` row. Side effects on
counters (stock, coupon, points, balance, commission) go through their own services and
ledgers with idempotency keys derived from the order id, in the caller's transaction. The
caller commits (and rolls back on an error).

    unpaid ──pay──> awaiting_shipment ──ship──> shipped ──complete──> completed
      │                 │    ▲  (pickup: complete on verification)
      │                 ▼    │ refuse_cancel
      │           cancel_requested
      └────────────────┴─────┴──close──> closed

Placing an order (pricing, stock, coupon, points) lives in ``order_checkout``; the rewards
of completion and the restorations of closing in ``order_ledgers``.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.models.base import china_now
from app.models.order import ORDER_STATUS, STAR_COLORS, Order, OrderLog
from app.services.errors import N_, BusinessError

CENT = Decimal("0.01")
STATUS_LABELS = dict(ORDER_STATUS)
STAR_CODES = {code for code, _label in STAR_COLORS}
CLOSABLE = ("unpaid", "awaiting_shipment", "cancel_requested")
MAX_REASON = 100


class OrderError(BusinessError):
    """A refused order operation; the message names the order's current state."""

    def __init__(self, message, code="invalid", status=None, field=None, **params):
        super().__init__(message, code=code, status=status)
        self.field = field
        self.params = params

    def __str__(self):
        text = super().__str__()
        if not self.params:
            return text
        return text % {k: _translate(v) for k, v in self.params.items()}


def _translate(value):
    if isinstance(value, str):
        try:
            from flask_babel import gettext
        except ImportError:  # pragma: no cover
            return value
        return gettext(value)
    return str(value)


def status_label(code):
    label = STATUS_LABELS.get(code)
    return str(label) if label is not None else (code or "")


def refuse(order_or_status, verb, code="bad_state"):
    """The Chinese refusal: 订单当前状态为「已发货」，不能改价."""
    current = getattr(order_or_status, "status", order_or_status)
    return OrderError(N_("订单当前状态为「%(state)s」，不能%(verb)s"), code=code, status=409,
                      state=status_label(current), verb=verb)


# -- the log ---------------------------------------------------------------------------------
def log_action(session, order, action, *, note=None, operator_id=None, actor=None,
               from_status=None, to_status=None, at=None):
    """One ``OrderLog`` row (the fulfilment module logs its shipments and refunds here)."""
    if actor is None:
        actor = N_("商家") if operator_id else N_("系统")
    row = OrderLog(merchant_id=order.merchant_id, order_id=order.id, at=at or china_now(),
                   operator_id=operator_id, actor=actor[:64], action=action[:32],
                   from_status=from_status, to_status=to_status,
                   note=(note or None) and note[:255])
    session.add(row)
    session.flush()
    return row


def _transition(session, order, allowed, to_status, action, verb, *, values=None,
                extra_where=(), note=None, operator_id=None, actor=None, at=None):
    """The one conditional UPDATE every transition goes through."""
    table = Order.__table__
    values = dict(values or {})
    if to_status is not None:
        values["status"] = to_status
    where = [table.c.id == order.id, table.c.merchant_id == order.merchant_id,
             table.c.status.in_(allowed), *extra_where]
    result = session.execute(update(table).where(*where).values(**values))
    # Re-read the status and what the UPDATE wrote (SQL expressions such as COALESCE).
    names = [name for name in values if name != "status"]
    row = session.execute(select(table.c.status, *[table.c[n] for n in names])
                          .where(table.c.id == order.id)).one()
    current = row[0]
    from_status = order.status if order.status in allowed else allowed[0]
    set_committed_value(order, "status", current)
    if result.rowcount != 1:
        raise refuse(current, verb)
    for name, value in zip(names, row[1:]):
        set_committed_value(order, name, value)
    log_action(session, order, action, note=note, operator_id=operator_id, actor=actor,
               from_status=from_status, to_status=current, at=at)
    return order


# -- transitions -----------------------------------------------------------------------------
def place_order(session, **kwargs):
    """下单: see ``order_checkout.place_order`` (pricing, stock, coupon, points)."""
    from app.services.order_checkout import place_order as _place

    return _place(session, **kwargs)


def mark_paid(session, order, *, payment_no=None, at=None, strict=True, operator_id=None,
              note=None):
    """unpaid -> awaiting_shipment. Takes the stock of 付款减库存 products; with
    ``strict`` (a payment the buyer can still abandon) a shortage refuses the payment,
    without it (money already received, e.g. a WeChat notification) the shortage is logged
    for the merchant and the order stays paid."""
    at = at or china_now()
    _transition(session, order, ("unpaid",), "awaiting_shipment", "pay", N_("付款"),
                values={"paid_at": at, "payment_no": payment_no or order.payment_no},
                note=note, operator_id=operator_id, actor=N_("买家"), at=at)
    from app.services.order_ledgers import take_stock

    short = take_stock(session, order, "订单付款", strict=strict)
    if short:
        log_action(session, order, "pay", note="付款后库存不足：" + "、".join(short) +
                   "，请联系买家或退款")
    return order


def pay_with_stored_value(session, order):
    """储值卡支付: the card ledger is debited with the order's amount, then paid."""
    from app.models.member import Member
    from app.services import stored_value
    from app.services.member import LoyaltyError

    if order.status != "unpaid":
        raise refuse(order, N_("付款"))
    if order.payment_method != "stored_value":
        raise OrderError(N_("该订单的支付方式不是储值卡"), code="wrong_method")
    member = session.get(Member, order.member_id)
    card = stored_value.card_of(session, member)
    if card is None:
        raise OrderError(N_("该会员还没有储值卡"), code="no_card")
    mark_paid(session, order, payment_no=f"SV{order.order_no}")
    amount = Decimal(order.paid_amount)
    if amount > 0:
        try:
            # kind "order" (订单支付) rather than deduct()'s 划卡: the card ledger tells them apart.
            stored_value.move(session, card, -amount, "order", f"订单支付 {order.order_no}",
                               f"order:{order.id}:pay", None)
        except LoyaltyError as exc:
            raise OrderError(str(exc), code=exc.code) from None
    return order


def pay_with_points(session, order):
    """积分支付 (积分商品): the points price is taken from the member's points."""
    from app.models.member import Member
    from app.services import points as points_service
    from app.services.member import LoyaltyError

    if order.status != "unpaid":
        raise refuse(order, N_("付款"))
    if order.payment_method != "points":
        raise OrderError(N_("该订单的支付方式不是积分"), code="wrong_method")
    mark_paid(session, order, payment_no=f"PT{order.order_no}")
    if order.points_paid:
        member = session.get(Member, order.member_id)
        try:
            points_service.change_points(session, member, -int(order.points_paid),
                                         f"积分兑换 订单 {order.order_no}", "redeem",
                                         f"order:{order.id}:points_pay", ref=order.order_no)
        except LoyaltyError as exc:
            raise OrderError(str(exc), code=exc.code) from None
    return order


def mark_shipped(session, order, *, partial, at=None, operator_id=None, note=None):
    """发货 (all or part): awaiting_shipment, or a partly shipped order, -> shipped; the
    logistics state becomes 部分发货 or 已发货."""
    table = Order.__table__
    at = at or china_now()
    if order.status not in ("awaiting_shipment", "shipped") or (
            order.status == "shipped" and order.logistics_status != "partly_shipped"):
        current = session.execute(select(table.c.status).where(table.c.id == order.id)).scalar()
        raise refuse(current, N_("发货"))
    return _transition(
        session, order, ("awaiting_shipment", "shipped"), "shipped", "ship", N_("发货"),
        values={"logistics_status": "partly_shipped" if partial else "shipped",
                "shipped_at": func.coalesce(table.c.shipped_at, at)},
        extra_where=[or_(table.c.status == "awaiting_shipment",
                         and_(table.c.status == "shipped",
                              table.c.logistics_status == "partly_shipped"))],
        note=note, operator_id=operator_id, at=at)


def mark_signed(session, order, at=None, operator_id=None, note=None):
    """已签收: the courier reports delivery; the order state itself does not change."""
    table = Order.__table__
    result = session.execute(
        update(table).where(table.c.id == order.id, table.c.merchant_id == order.merchant_id,
                            table.c.status.in_(("shipped", "completed")),
                            table.c.logistics_status == "shipped")
        .values(logistics_status="signed"))
    if result.rowcount != 1:
        current = session.execute(select(table.c.status).where(table.c.id == order.id)).scalar()
        raise refuse(current, N_("签收"))
    set_committed_value(order, "logistics_status", "signed")
    log_action(session, order, "sign", note=note, operator_id=operator_id,
               from_status=order.status, to_status=order.status, at=at)
    return order


def complete(session, order, *, at=None, operator_id=None, note=None, actor=None):
    """已完成: a shipped order (确认收货), or a paid pickup order when it is verified.
    Awards points, experience, referral points and commission through their ledgers."""
    table = Order.__table__
    at = at or china_now()
    values = {"completed_at": at}
    if order.payment_method == "cod":  # 货到付款: the money arrives with the goods
        values["paid_at"] = func.coalesce(table.c.paid_at, at)
    _transition(session, order, ("shipped", "awaiting_shipment"), "completed", "complete",
                N_("完成"), values=values,
                extra_where=[or_(table.c.status == "shipped",
                                 and_(table.c.status == "awaiting_shipment",
                                      table.c.delivery_method == "pickup"))],
                note=note, operator_id=operator_id, actor=actor, at=at)
    from app.services.order_ledgers import award_completion

    award_completion(session, order)
    return order


def close(session, order, *, reason, operator_id=None, actor=None):
    """已关闭: unpaid, awaiting shipment or cancellation requested. Stock, the coupon and
    the points come back through their ledgers; money is refunded by the fulfilment
    module."""
    reason = _reason(reason, N_("请填写关闭原因"))
    before = session.execute(select(Order.__table__.c.status).where(
        Order.__table__.c.id == order.id)).scalar()
    set_committed_value(order, "status", before)  # the log's "from" is the real one
    _transition(session, order, CLOSABLE, "closed", "close", N_("关闭"),
                values={"closed_at": china_now(), "close_reason": reason}, note=reason,
                operator_id=operator_id, actor=actor,
                extra_where=[Order.__table__.c.status == before])
    from app.services.order_ledgers import restore_on_close

    restore_on_close(session, order)
    return order


def request_cancel(session, order, reason):
    """退单申请 by the buyer, before shipping."""
    if order.status != "awaiting_shipment":  # the state first: it is what the buyer needs
        raise refuse(order, N_("申请退单"))
    reason = _reason(reason, N_("请选择退单原因"))
    return _transition(session, order, ("awaiting_shipment",), "cancel_requested",
                       "request_cancel", N_("申请退单"),
                       values={"status_before_cancel": "awaiting_shipment",
                               "cancel_reason": reason, "cancel_refuse_reason": None},
                       note=reason, actor=N_("买家"))


def refuse_cancel(session, order, reason, operator_id=None):
    """拒绝退单: back to the state before the request; the reason is kept on the order for
    the buyer (order API, order detail) and sent to them (``refund.notify_cancel_refused``)."""
    reason = _reason(reason, N_("请填写拒绝原因"))
    table = Order.__table__
    return _transition(session, order, ("cancel_requested",), None, "refuse_cancel",
                       N_("拒绝退单"),
                       values={"status": func.coalesce(table.c.status_before_cancel,
                                                       "awaiting_shipment"),
                               "cancel_refuse_reason": reason},
                       note=reason, operator_id=operator_id)


def change_price(session, order, new_total, reason, operator_id=None):
    """改价: unpaid orders only; the original amount and the reason are kept and shown.
    The difference is spread over the lines' ``discount_share`` (refunds use it)."""
    try:
        total = Decimal(str(new_total).strip())
    except (InvalidOperation, ValueError):
        raise OrderError(N_("请输入有效的金额"), code="bad_amount", field="new_total") from None
    if not total.is_finite() or total <= 0:
        raise OrderError(N_("订单金额必须大于 0"), code="bad_amount", field="new_total")
    if total != total.quantize(CENT):
        raise OrderError(N_("金额最多两位小数"), code="bad_amount", field="new_total")
    if total > Decimal("99999999.99"):
        raise OrderError(N_("金额过大"), code="bad_amount", field="new_total")
    reason = _reason(reason, N_("请填写改价原因"), field="reason", limit=MAX_REASON)
    if order.status != "unpaid":
        raise refuse(order, N_("改价"))
    before = Decimal(order.paid_amount)
    table = Order.__table__
    _transition(session, order, ("unpaid",), "unpaid", "change_price", N_("改价"),
                values={"paid_amount": total, "price_change_reason": reason,
                        "original_paid_amount": func.coalesce(table.c.original_paid_amount,
                                                              before)},
                note=f"{before} → {total}：{reason}", operator_id=operator_id)
    _spread(session, order, before - total)
    return order


def _spread(session, order, difference):
    """Add ``difference`` (yuan off; negative = more to pay) to the lines' discount
    shares in proportion to what each line still costs; the last line takes the rest."""
    items = list(order.items)
    if not items or not difference:
        return
    weights = [max(Decimal(i.line_total) - Decimal(i.discount_share), Decimal("0"))
               for i in items]
    total = sum(weights) or Decimal(len(items))
    left = difference
    for index, item in enumerate(items):
        if index == len(items) - 1:
            share = left
        else:
            weight = weights[index] if sum(weights) else Decimal("1")
            share = (difference * weight / total).quantize(CENT, rounding=ROUND_HALF_UP)
        left -= share
        new_share = Decimal(item.discount_share) + share
        # A line never carries more discount than it costs, nor a negative one.
        item.discount_share = min(max(new_share, Decimal("0")), Decimal(item.line_total))
    session.flush()


# -- merchant annotations ----------------------------------------------------------------
def set_note(session, order, note, operator_id=None):
    """商家备注 (shown on the order, never to the buyer)."""
    note = (note or "").strip()
    if len(note) > 200:
        raise OrderError(N_("备注最多 200 个字"), code="long_note", field="merchant_note")
    order.merchant_note = note or None
    session.flush()
    log_action(session, order, "note", note=note or "清空备注", operator_id=operator_id,
               from_status=order.status, to_status=order.status)
    return order


def set_star(session, order, color, operator_id=None):
    """星标 with a colour, or None to remove it."""
    color = (color or "").strip() or None
    if color is not None and color not in STAR_CODES:
        raise OrderError(N_("请选择星标颜色"), code="bad_color", field="star_color")
    order.star_color = color
    session.flush()
    log_action(session, order, "star", note=color or "取消星标", operator_id=operator_id,
               from_status=order.status, to_status=order.status)
    return order


def _reason(reason, message, field="reason", limit=200):
    """A required reason: 200 characters (退单/关闭), 100 for 改价 (its column)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(message, code="no_reason", field=field)
    if len(reason) > limit:
        raise OrderError(N_("原因最多 %(n)s 个字"), code="long_reason", field=field, n=limit)
    return reason


# -- lookups -----------------------------------------------------------------------------
def by_order_no(session, order_no):
    return session.execute(select(Order).where(Order.order_no == order_no)).scalar()


def lock(session, order):
    """Re-read the order's row (with FOR UPDATE where the database has it)."""
    return session.execute(select(Order).where(Order.id == order.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
