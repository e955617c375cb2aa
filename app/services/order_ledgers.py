"""What an order does to the other ledgers: stock taken and given back, coupon and points
restored on closing, and the rewards of completion (points, experience, referral points,
distributor commission, 满赠券).

Every change goes through its own service (conditional UPDATE + ledger row) with an
idempotency key derived from the order and line ids, so a retried job or a repeated call
never counts twice. Called from app/services/order.py inside the caller's transaction.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.models.base import china_now
from app.models.catalog import Product, Sku
from app.models.member import Distributor, Member
from app.services.errors import N_

CENT = Decimal("0.01")


def _key(order, *parts):
    return ":".join(["order", str(order.id), *[str(p) for p in parts]])


# -- stock -----------------------------------------------------------------------------------
def take_stock(session, order, reason, *, items=None, strict=True):
    """Take the stock of ``items`` (default: every line not taken yet). ``strict`` raises
    the stock service's 库存不足; otherwise the short product names are returned and the
    other lines are still taken (the payment already happened)."""
    from app.services.order import OrderError
    from app.services.stock import StockError, change_stock

    short = []
    for item in (order.items if items is None else items):
        if item.stock_taken:
            continue
        sku = session.get(Sku, item.sku_id)
        if sku is None:
            short.append(item.product_name)
            continue
        try:
            change_stock(session, sku, -item.quantity, reason, order_ref=order.order_no,
                         idempotency_key=_key(order, item.id, "take"))
        except StockError:
            if strict:
                raise OrderError(N_("商品「%(name)s」库存不足"), code="insufficient_stock",
                                 name=item.product_name) from None
            short.append(item.product_name)
            continue
        item.stock_taken = item.quantity
    session.flush()
    return short


def give_back_stock(session, order, reason):
    from app.services.stock import change_stock

    for item in order.items:
        if not item.stock_taken:
            continue
        sku = session.get(Sku, item.sku_id)
        if sku is not None:  # a deleted SKU has nothing to give back to
            change_stock(session, sku, item.stock_taken, reason, order_ref=order.order_no,
                         idempotency_key=_key(order, item.id, "back"))
        item.stock_taken = 0
    session.flush()


# -- closing ---------------------------------------------------------------------------------
def restore_on_close(session, order):
    """关闭: stock, the coupon, the points used to pay part of the order (积分抵现) and the
    points part of 积分+现金 products come back, each through its ledger (积分退还:
    订单取消成功后，将自动返还积分). The second guide keeps a
    used coupon on cancellation (优惠券都将不予退还); the issue returns it, so a merchant
    never has to re-issue a coupon by hand after cancelling a paid order."""
    from app.services import points as points_service

    give_back_stock(session, order, "订单关闭")
    if order.member_coupon_id:
        from app.services import coupon

        coupon.restore(session, order.member_coupon_id, order.order_no)
    if order.points_used:
        member = session.get(Member, order.member_id)
        points_service.change_points(session, member, int(order.points_used),
                                     f"订单 {order.order_no} 关闭，退还抵现积分",
                                     "order_refund", _key(order, "redeem", "back"),
                                     ref=order.order_no)
    if order.points_paid and order.payment_method != "points":
        # 积分+现金: the points part was taken at placement (order_checkout); it comes back
        # whether or not the cash is refunded. (积分支付 orders get theirs back through the
        # refund, app/services/refund.py.)
        # Points a 售后 of the order returned already are not returned twice.
        from app.services.after_sale import order_points_returned

        back = int(order.points_paid) - order_points_returned(session, order.id)
        if back > 0:
            member = session.get(Member, order.member_id)
            points_service.change_points(session, member, back,
                                         f"订单 {order.order_no} 关闭，退还兑换积分",
                                         "order_refund", _key(order, "points_pay", "back"),
                                         ref=order.order_no)


# -- completion ------------------------------------------------------------------------------
def award_completion(session, order):
    """交易成功: the member's points (points_per_yuan on the goods total, plus each
    product's 购买可获积分) and experience (experience_per_yuan on the paid amount), the
    referrer's 推荐购买 points, the distributor's commission, 满赠券, and the member's
    成交单数 / 消费总额."""
    from app.services import points as points_service
    from app.services.member import apply_delta, change_experience, experience_for_amount

    member = session.get(Member, order.member_id)
    rule = points_service.points_rule(session, order.merchant_id)
    products = _products(session, order)
    earned = points_service.points_for_amount(order.goods_total, rule.points_per_yuan)
    earned += sum((products[i.product_id].points_earned or 0) * (i.quantity - i.refunded_quantity)
                  for i in order.items if i.product_id in products)
    if earned > 0:
        points_service.change_points(session, member, int(earned),
                                     f"订单 {order.order_no} 交易成功", "order",
                                     _key(order, "earn"), ref=order.order_no)
    experience = experience_for_amount(order.paid_amount, rule.experience_per_yuan)
    if experience > 0:
        change_experience(session, member, experience, f"订单 {order.order_no} 交易成功",
                          "order", _key(order, "exp"), ref=order.order_no)
    if member.referrer_id and rule.referral_purchase_points:
        referrer = session.get(Member, member.referrer_id)
        if referrer is not None:
            points_service.change_points(session, referrer, int(rule.referral_purchase_points),
                                         f"推荐的好友 {member.nickname} 购买商品",
                                         "referral_purchase", _key(order, "referral"),
                                         ref=order.order_no)
    _credit_commission(session, order, products)
    if order.gift_batch_ids:
        from app.services import coupon

        coupon.grant_gift_coupons(session, member, list(order.gift_batch_ids), order.order_no)
    table = Member.__table__
    apply_delta(session, table, member.id, "order_count", 1, None)
    after = apply_delta(session, table, member.id, "total_spend",
                        Decimal(order.paid_amount), None)
    set_committed_value(member, "total_spend", after)


def commission_for(order, products, distributor, default_rate):
    """分销提成: for 分销商品 lines, what the buyer paid for them (after the order's
    discounts, minus refunded units) times the product's rate (or the distributor's, or the
    merchant default) in percent, half up to 0.01."""
    total = Decimal("0")
    for item in order.items:
        product = products.get(item.product_id)
        if product is None or product.product_type != "distribution" or not item.quantity:
            continue
        kept = Decimal(item.quantity - item.refunded_quantity) / Decimal(item.quantity)
        paid = (Decimal(item.line_total) - Decimal(item.discount_share)) * kept
        rate = product.commission_rate
        if rate is None:
            rate = distributor.commission_rate if distributor.commission_rate is not None \
                else default_rate
        total += paid * Decimal(rate or 0) / 100
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def _credit_commission(session, order, products):
    if not order.distributor_id:
        return
    from app.services import distribution

    distributor = session.get(Distributor, order.distributor_id)
    if distributor is None or distributor.status != "approved":
        return
    rule = distribution.distribution_rule(session, order.merchant_id)
    amount = commission_for(order, products, distributor, rule.default_rate)
    if amount > 0:
        distribution.credit_commission(session, distributor, amount,
                                       f"订单 {order.order_no} 分销提成", order.order_no,
                                       _key(order, "commission"))


def _products(session, order):
    ids = {i.product_id for i in order.items}
    if not ids:
        return {}
    rows = session.execute(select(Product).where(Product.id.in_(ids))).scalars()
    return {p.id: p for p in rows}


# -- WeChat Pay notification -----------------------------------------------------------------
def apply_payment_notification(session, notification):
    """A verified 支付结果通知 pays the matching unpaid WeChat order (out_trade_no =
    order_no) when the amount matches. Idempotent: a repeat, or an order already paid,
    changes nothing. Returns the order, or None when no order matches."""
    from app.models.order import Order
    from app.services import order as order_service
    from app.services.wechat import parse_pay_time

    order = session.execute(select(Order).where(
        Order.order_no == notification.out_trade_no)).scalar()
    if order is None:
        return None
    if order.status != "unpaid":
        if order.payment_no == notification.transaction_id:
            notification.status = "applied"
        return order
    if order.payment_method != "wechat":
        order_service.log_action(session, order, "pay", note=(
            f"收到微信支付通知 {notification.transaction_id}，但订单的支付方式不是微信支付，未入账"),
            from_status=order.status, to_status=order.status)
        return order
    if Decimal(notification.total_fee).quantize(CENT) != Decimal(order.paid_amount).quantize(CENT):
        order_service.log_action(session, order, "pay", note=(
            f"微信支付金额 {notification.total_fee} 元与订单金额 {order.paid_amount} 元不符，"
            f"未入账（{notification.transaction_id}）"),
            from_status=order.status, to_status=order.status)
        return order
    try:
        order_service.mark_paid(session, order, payment_no=notification.transaction_id,
                                at=parse_pay_time(notification.time_end) or china_now(),
                                strict=False)
    except order_service.OrderError:
        return order  # paid or closed meanwhile: the conditional UPDATE decided
    notification.status = "applied"
    session.flush()
    return order
