"""退单与退款: merchant cancellation (退单且退款 / 取消订单不退款), answers to a buyer's
cancellation request (拒绝 / 同意 / 退单且退款), and refunds by the way the order was paid.

* 储值卡: credited back through the card ledger at once;
* 积分 (积分商品): the points are returned through the points ledger at once;
* 货到付款: nothing moves online ("退单完成即代表退款完成");
* 微信支付: a ``Refund`` row in ``pending``; the caller commits and enqueues
  ``app.workers.refund.refund_job`` with its id. The job calls WeChat outside any
  transaction with the row's ``out_refund_no`` as the idempotency key, so a retry after a
  failure (余额不足, 证书过期) never pays twice.

A refund never exceeds what is left of the paid amount. Closing the order (which returns
stock, coupon and the points used for 积分抵现) is ``app.services.order.close``.
"""
import secrets
from decimal import Decimal

from sqlalchemy import func, select, update

from app.models.base import china_now
from app.models.fulfilment import AfterSale, Refund
from app.models.member import Member
from app.models.order import Order
from app.services import order as order_service
from app.services import points as points_service
from app.services import stored_value
from app.services.errors import N_
from app.services.fulfilment import FulfilmentError, move_status, status_text

CENT = Decimal("0.01")
CANCELLABLE = ("unpaid", "awaiting_shipment", "cancel_requested")
RETRY_HINT = N_("处理后请回到订单点击「重试退款」。")


def new_out_refund_no():
    """R + date + randomness: 28 characters, within WeChat's 64 and our 32."""
    from datetime import datetime

    return f"R{datetime.now():%Y%m%d%H%M%S}{secrets.randbelow(10 ** 13):013d}"


def refunds_of(session, order_id):
    return session.execute(select(Refund).where(Refund.order_id == order_id)
                           .order_by(Refund.id)).scalars().all()


def refunded_total(session, order_id):
    """Money taken by refunds of the order: done, under way, or failed and retryable."""
    return Decimal(session.execute(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.order_id == order_id)).scalar()).quantize(CENT)


def refundable(session, order):
    return max(Decimal(order.paid_amount or 0) - refunded_total(session, order.id),
               Decimal("0.00")).quantize(CENT)


def _amount(value):
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (ArithmeticError, ValueError):
        raise FulfilmentError(N_("请输入正确的退款金额"), code="bad_amount",
                              field="amount") from None
    if amount < 0 or amount != Decimal(str(value)):
        raise FulfilmentError(N_("请输入正确的退款金额，最多两位小数"), code="bad_amount",
                              field="amount")
    return amount


def create_refund(session, order, *, amount=None, reason="", operator_id=None,
                  points=None, points_key=None, points_ref=None):
    """A refund of ``amount`` (default: all that is left) by the order's payment method.
    Refused above the refundable amount. Non-WeChat refunds finish here; a WeChat refund
    stays ``pending`` for the job. Returns the Refund.

    ``points`` go back through the points ledger at once: for 积分支付 orders by default
    (key ``refund:<out_refund_no>``), for any order when ``points_key`` is given (售后 of
    a 积分+现金 line: ``after_sale:<id>:points``, ``points_ref`` the 售后编号), so a
    retried call with the same key returns them once."""
    if order.status == "unpaid" or order.paid_at is None and order.payment_method != "cod":
        raise FulfilmentError(N_("订单未付款，无需退款"), code="not_paid", status=409)
    left = refundable(session, order)
    amount = left if amount in (None, "") else _amount(amount)
    if amount > left:
        raise FulfilmentError(
            N_("退款金额 %(amount)s 元超过可退金额 %(left)s 元（实付 %(paid)s 元）"),
            code="too_much", field="amount", amount=amount, left=left,
            paid=Decimal(order.paid_amount or 0).quantize(CENT))
    if points is None:
        points = order.points_paid or 0 if order.payment_method == "points" else 0
    if amount <= 0 and not points:
        raise FulfilmentError(N_("没有可退的金额"), code="nothing_left", field="amount")
    refund = Refund(merchant_id=order.merchant_id, order_id=order.id, order_no=order.order_no,
                    method=order.payment_method, amount=amount, points=points,
                    status="pending", out_refund_no=new_out_refund_no(),
                    reason=(reason or "")[:100] or None, operator_id=operator_id, attempts=0)
    session.add(refund)
    session.flush()
    if refund.method == "stored_value" and amount > 0:
        card = stored_value.card_of(session, _member(session, order))
        if card is None:
            raise FulfilmentError(N_("买家没有储值卡，无法退回储值卡"), code="no_card")
        # The ledger's idempotency key is the refund's: a replay credits once.
        stored_value.move(session, card, amount, "refund",
                           f"订单 {order.order_no} 退款"[:100], f"refund:{refund.out_refund_no}",
                           operator_id)
    if points and (refund.method == "points" or points_key):
        points_service.change_points(session, _member(session, order), int(points),
                                     f"订单 {order.order_no} 退款退还积分", "order_refund",
                                     points_key or f"refund:{refund.out_refund_no}",
                                     ref=points_ref or order.order_no,
                                     operator_id=operator_id)
    if refund.method != "wechat":
        refund.status = "succeeded"
        refund.attempts = 1
        refund.finished_at = china_now()
    order_service.log_action(session, order, "refund", operator_id=operator_id,
              note=f"退款 {amount} 元（{status_text(refund.method, _methods())}）"
                   + (f"，退还 {points} 积分" if points else "")
                   + (f"：{reason}" if reason else ""))
    session.flush()
    return refund


def _methods():
    from app.models.fulfilment import REFUND_METHODS

    return REFUND_METHODS


def _member(session, order):
    return session.get(Member, order.member_id)


# -- 退单 ----------------------------------------------------------------------------------------
def cancel_order(session, order, *, refund, reason, operator_id=None):
    """商家主动退单: 退单且退款 (``refund=True``) or 取消订单不退款; also 同意退单 and
    退单且退款 on a buyer's request. Returns (order, Refund or None)."""
    reason = (reason or "").strip()
    if not reason:
        raise FulfilmentError(N_("请填写退单原因"), code="no_reason", field="reason")
    if order.status not in CANCELLABLE:
        raise FulfilmentError(N_("订单当前状态为「%(state)s」，不能退单"), code="bad_state",
                              status=409, state=status_text(order.status))
    row = None
    # 货到付款: nothing was paid online, the cancellation is the refund.
    if refund and order.status != "unpaid" and order.payment_method != "cod":
        from app.services.after_sale import order_points_returned

        left = refundable(session, order)
        points = order.points_paid or 0 if order.payment_method == "points" else 0
        if points:  # what a 售后 returned already is not returned twice
            points = max(0, int(points) - order_points_returned(session, order.id))
        if left > 0 or points:
            row = create_refund(session, order, amount=left, reason=reason,
                                operator_id=operator_id, points=points)
    order_service.close(session, order, reason=reason[:200], operator_id=operator_id)
    return order, row


def refuse_cancel(session, order, *, reason, operator_id=None):
    """拒绝退单, with the reason the buyer is told; the order returns to where it was."""
    reason = (reason or "").strip()
    if not reason:
        raise FulfilmentError(N_("请填写拒绝退单的原因"), code="no_reason", field="reason")
    if order.status != "cancel_requested":
        raise FulfilmentError(N_("订单当前状态为「%(state)s」，没有待处理的退单申请"),
                              code="bad_state", status=409,
                              state=status_text(order.status))
    return order_service.refuse_cancel(session, order, reason[:200], operator_id)


def notify_cancel_refused(session, order):
    """Tell the buyer their cancellation request was refused, and why: a 模板消息 (event
    ``cancel_refused``) through the official account's send job (RQ, in-process without
    Redis), when the merchant enabled that template and the buyer has an openid. Call it
    after the refusal is committed. Returns the send-log id, or None when there is no
    message to send (the reason is still on the order and in the buyer's order API)."""
    from app.services.official_account import send_template_message

    member = _member(session, order)
    if member is None or not member.openid or not order.cancel_refuse_reason:
        return None
    data = {"first": "您的退单申请未通过",
            "keyword1": order.order_no,
            "keyword2": order.cancel_refuse_reason,
            "remark": "订单将继续为您处理，如有疑问请联系商家"}
    return send_template_message(order.merchant_id, "cancel_refused", member.openid, data,
                                 session=session)


# -- WeChat refunds, driven by the job ----------------------------------------------------------
def start_attempt(session, refund_id):
    """Claim a pending WeChat refund for one attempt (pending → processing, attempts + 1);
    None when it is not pending (done, or another worker has it)."""
    table = Refund.__table__
    result = session.execute(update(table).where(
        table.c.id == refund_id, table.c.status == "pending", table.c.method == "wechat")
        .values(status="processing", attempts=table.c.attempts + 1, error_code=None,
                error_message=None, error_advice=None))
    if result.rowcount != 1:
        return None
    return session.get(Refund, refund_id, populate_existing=True)


def record_success(session, refund, wechat_refund_id=None):
    if not move_status(session, Refund, refund, ("processing", "pending"), "succeeded",
                       wechat_refund_id=wechat_refund_id, finished_at=china_now()):
        return refund
    _after_refund(session, refund)
    return refund


def record_failure(session, refund, *, message, advice=None, code=None):
    """A refused attempt: the merchant reads the reason and the guide's advice, and may
    retry with the same out_refund_no."""
    advice = " ".join(p for p in (advice, RETRY_HINT) if p)
    move_status(session, Refund, refund, ("processing", "pending"), "failed",
                error_code=(code or "")[:32] or None, error_message=str(message)[:255],
                error_advice=advice[:255], finished_at=china_now())
    return refund


def retry(session, refund):
    """重试退款: a failed WeChat refund goes back to pending (same out_refund_no)."""
    if refund.method != "wechat" or refund.status != "failed":
        raise FulfilmentError(N_("只有退款失败的微信支付退款可以重试"), code="not_retryable",
                              status=409)
    if not move_status(session, Refund, refund, ("failed",), "pending"):
        raise FulfilmentError(N_("该退款正在处理，请稍后刷新"), code="busy", status=409)
    return refund


def _after_refund(session, refund):
    """A finished refund completes the after-sale it pays."""
    after_sale = session.execute(select(AfterSale).where(
        AfterSale.refund_id == refund.id)).scalar()
    if after_sale is not None:
        move_status(session, AfterSale, after_sale, ("refunding",), "completed",
                    completed_at=china_now())


def order_for(session, refund):
    return session.get(Order, refund.order_id)
