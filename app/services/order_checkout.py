"""下单: turn a cart (SKU ids and quantities) into an order.

1. check the lines (on shelf, not retired, the delivery method the products allow);
2. freight per freight template (app/services/logistics.compute_freight), 0 for 自提;
3. price through the marketing module (``coupon.quote``: campaigns, coupon, level, points);
4. write the order with item snapshots, then in the same transaction: take the stock of
   下单减库存 products (all products for 货到付款), redeem the coupon (an 优惠码 typed at
   checkout is bound first, ``coupon.coupon_for_code``), take the points used, take the
   points part of 积分+现金 products paid in cash, and give 到店自提 orders a verification
   code.
Everything happens in the caller's transaction; any refusal leaves nothing behind once the
caller rolls back.
"""
import secrets
from collections import OrderedDict, defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.catalog import Sku, product_category_link
from app.models.member import Distributor
from app.models.order import DELIVERY_METHODS, PAYMENT_METHODS, Order, OrderCampaign, OrderItem
from app.services.errors import N_
from app.services.order import OrderError, log_action

MAX_LINES = 50
MAX_QUANTITY = 9999
# 积分商品: all points (积分支付), or points plus cash paid by WeChat Pay or the 储值卡.
POINTS_PRODUCT_METHODS = ("points", "wechat", "stored_value")
ZERO = Decimal("0.00")
COUPON_PROBLEMS = {"out_of_scope": N_("所选优惠券不适用于这些商品"),
                   "threshold": N_("未达到优惠券的使用门槛")}


def new_order_no(now=None):
    """20 digits: the time to the second, then six random digits."""
    now = now or china_now()
    return now.strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10 ** 6):06d}"


def new_verification_code():
    """12 digits for the 到店核销 QR code and manual entry."""
    return f"{secrets.randbelow(10 ** 12):012d}"


def _merge(lines):
    merged = OrderedDict()
    for line in lines or []:
        try:
            sku_id, quantity = line
            sku_id, quantity = int(sku_id), int(quantity)
        except (TypeError, ValueError):
            raise OrderError(N_("商品数量无效"), code="bad_line", field="lines") from None
        if quantity < 1 or quantity > MAX_QUANTITY:
            raise OrderError(N_("每种商品的数量须在 1-9999 之间"), code="bad_quantity",
                             field="lines")
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    if not merged:
        raise OrderError(N_("请选择要购买的商品"), code="empty", field="lines")
    if len(merged) > MAX_LINES:
        raise OrderError(N_("一个订单最多 50 种商品"), code="too_many", field="lines")
    return merged


def _receiver(receiver, delivery_method):
    from app.services.member import LoyaltyError, check_phone

    receiver = {k: (str(v).strip() if v is not None else "") for k, v in (receiver or {}).items()}
    name, phone = receiver.get("name", ""), receiver.get("phone", "")
    if delivery_method == "pickup":
        if phone:
            try:
                check_phone(phone)
            except LoyaltyError as exc:
                raise OrderError(str(exc), code="bad_phone", field="receiver.phone") from None
        return {"receiver_name": name[:32] or None, "receiver_phone": phone or None}
    if not name or len(name) > 32:
        raise OrderError(N_("请填写收货人姓名（最多 32 个字）"), code="bad_receiver",
                         field="receiver.name")
    try:
        check_phone(phone)
    except LoyaltyError as exc:
        raise OrderError(str(exc), code="bad_phone", field="receiver.phone") from None
    address = receiver.get("address", "")
    if not address or len(address) > 200:
        raise OrderError(N_("请填写详细地址（最多 200 个字）"), code="bad_receiver",
                         field="receiver.address")
    return {"receiver_name": name, "receiver_phone": phone,
            "receiver_province": receiver.get("province", "")[:20] or None,
            "receiver_city": receiver.get("city", "")[:20] or None,
            "receiver_district": receiver.get("district", "")[:20] or None,
            "receiver_address": address}


def _load_skus(session, merged, delivery_method):
    skus = {s.id: s for s in session.execute(
        select(Sku).where(Sku.id.in_(list(merged)))).scalars()}
    for sku_id in merged:
        sku = skus.get(sku_id)
        if sku is None or sku.retired:
            raise OrderError(N_("商品规格不存在或已停用（规格ID %(id)s）"), code="no_sku",
                             field="lines", id=sku_id)
        product = sku.product
        if product.status != "on_shelf":
            raise OrderError(N_("商品「%(name)s」已下架"), code="off_shelf", field="lines",
                             name=product.name)
        if delivery_method == "pickup" and product.delivery == "express":
            raise OrderError(N_("商品「%(name)s」不支持到店自提"), code="no_pickup",
                             field="delivery_method", name=product.name)
        if delivery_method != "pickup" and product.delivery == "store":
            raise OrderError(N_("商品「%(name)s」仅支持到店自提"), code="pickup_only",
                             field="delivery_method", name=product.name)
    return skus


def _freight(session, skus, merged, delivery_method, province):
    """Sum of the freight of each template's lines; 包邮 products and 自提 cost nothing."""
    from app.models.logistics import FreightTemplate
    from app.services.logistics import CartItem, FreightError, compute_freight

    if delivery_method == "pickup":
        return ZERO
    groups = defaultdict(list)
    for sku_id, quantity in merged.items():
        product = skus[sku_id].product
        if product.free_shipping or product.freight_template_id is None:
            continue
        groups[product.freight_template_id].append(CartItem(
            quantity=quantity, unit_price=Decimal(skus[sku_id].price),
            unit_weight=Decimal(product.weight or 0)))
    total = ZERO
    for template_id, items in groups.items():
        template = session.get(FreightTemplate, template_id)
        if template is None:
            continue
        try:
            total += compute_freight(template, items, province=province)
        except FreightError as exc:
            raise OrderError(str(exc), code=exc.code, field="delivery_method") from None
    return total


def _category_ids(session, product_ids):
    rows = session.execute(select(product_category_link.c.product_id,
                                  product_category_link.c.category_id)
                           .where(product_category_link.c.product_id.in_(product_ids))).all()
    result = defaultdict(set)
    for product_id, category_id in rows:
        result[product_id].add(category_id)
    return result


def _distributor(session, distributor_id):
    if not distributor_id:
        return None
    distributor = session.get(Distributor, int(distributor_id))
    if distributor is None or distributor.status != "approved":
        raise OrderError(N_("分销商不存在或未通过审核"), code="bad_distributor",
                         field="distributor_id")
    return distributor


def place_order(session, *, member, shop, lines, delivery_method, payment_method,
                receiver=None, coupon_id=None, use_points=False, buyer_note="",
                distributor_id=None, at=None, coupon_code=None):
    """Price the cart and write the order (unpaid; 货到付款 orders await shipment).
    ``coupon_code``: an 优惠码 typed at checkout instead of a held coupon's ``coupon_id``;
    it is bound to the member and redeemed in this same transaction."""
    from app.services import coupon
    from app.services import points as points_service
    from app.services.pricing import PricingLine

    if delivery_method not in dict(DELIVERY_METHODS):
        raise OrderError(N_("请选择配送方式"), code="bad_delivery", field="delivery_method")
    if payment_method not in dict(PAYMENT_METHODS):
        raise OrderError(N_("请选择支付方式"), code="bad_payment", field="payment_method")
    if member.status == "blacklist":
        raise OrderError(N_("账号已被加入黑名单，无法下单"), code="blacklisted", status=403)
    if shop is None or shop.merchant_id != member.merchant_id:
        raise OrderError(N_("商城不存在"), code="no_shop", status=404)
    if shop.status != "open":
        raise OrderError(N_("商城已打烊，暂不接受下单"), code="shop_closed")
    buyer_note = (buyer_note or "").strip()
    if len(buyer_note) > 200:
        raise OrderError(N_("留言最多 200 个字"), code="long_note", field="buyer_note")
    merged = _merge(lines)
    address = _receiver(receiver, delivery_method)
    skus = _load_skus(session, merged, delivery_method)
    distributor = _distributor(session, distributor_id)

    points_items = [s for s in merged if skus[s].product.product_type == "points"]
    if points_items and payment_method not in POINTS_PRODUCT_METHODS:
        raise OrderError(N_("积分商品请使用积分支付（积分+现金商品的现金部分可用微信支付或储值卡）"),
                         code="points_only", field="payment_method")
    if payment_method == "points" and len(points_items) != len(merged):
        raise OrderError(N_("只有积分商品可以使用积分支付"), code="not_points",
                         field="payment_method")
    if points_items and use_points:
        raise OrderError(N_("积分商品的订单不能再使用积分抵现"), code="points_twice",
                         field="use_points")

    def unit_price(sku):
        product = sku.product
        if product.product_type == "points":  # 积分商品: points, plus 积分+现金 if set
            return Decimal(product.points_cash or 0)
        return Decimal(sku.price)

    freight = _freight(session, skus, merged, delivery_method, address.get("receiver_province"))
    categories = _category_ids(session, {s.product_id for s in skus.values()})
    pricing_lines = [PricingLine(sku_id=sku_id, product_id=skus[sku_id].product_id,
                                 category_ids=frozenset(categories.get(skus[sku_id].product_id,
                                                                       ())),
                                 unit_price=unit_price(skus[sku_id]), quantity=quantity)
                     for sku_id, quantity in merged.items()]
    coupon_code = (coupon_code or "").strip() if isinstance(coupon_code, str) else coupon_code
    if coupon_code:
        if coupon_id:
            raise OrderError(N_("优惠券和优惠码只能使用一个"), code="two_coupons",
                             field="coupon_code")
        if not isinstance(coupon_code, str):
            raise OrderError(N_("优惠券不存在"), code="coupon_not_found", status=404,
                             field="coupon_code")
        coupon_id = coupon.coupon_for_code(session, member, coupon_code, shop=shop).id
    result = coupon.quote(session, member=member, lines=pricing_lines, freight=freight,
                          coupon_id=coupon_id, use_points=bool(use_points),
                          province=address.get("receiver_province"),
                          delivery_method=delivery_method, shop=shop)
    if coupon_id and result.coupon_problem:
        raise OrderError(COUPON_PROBLEMS.get(result.coupon_problem, N_("所选优惠券不可用")),
                         code="coupon_" + result.coupon_problem,
                         field="coupon_code" if coupon_code else "coupon_id")
    points_paid = sum((skus[s].product.points_price or 0) * merged[s] for s in points_items)
    if payment_method == "points" and result.paid_amount > 0:
        raise OrderError(N_("该订单还需支付现金 %(amount)s 元，请选择微信支付或储值卡"),
                         code="cash_due", field="payment_method", amount=result.paid_amount)
    if points_items and payment_method != "points" and result.paid_amount <= 0:
        raise OrderError(N_("该订单无需支付现金，请选择积分支付"), code="no_cash_due",
                         field="payment_method")
    if points_paid and payment_method != "points" and int(member.points or 0) < points_paid:
        # Checked again by the conditional UPDATE below; this only gives the clear message.
        raise OrderError(N_("积分不足：需要 %(need)s 积分，当前只有 %(have)s 积分"),
                         code="insufficient_points", field="lines", need=points_paid,
                         have=int(member.points or 0))

    now = at or china_now()
    status = "awaiting_shipment" if payment_method == "cod" else "unpaid"
    order = Order(
        merchant_id=member.merchant_id, shop_id=shop.id, member_id=member.id, status=status,
        logistics_status="not_shipped", payment_method=payment_method,
        delivery_method=delivery_method, goods_total=result.goods_total,
        freight=result.freight, campaign_discount=result.campaign_discount,
        coupon_discount=result.coupon_discount, level_discount=result.level_discount,
        points_deduction=result.points_deduction, paid_amount=result.paid_amount,
        points_used=int(result.points_used or 0), points_paid=int(points_paid),
        buyer_note=buyer_note or None, member_coupon_id=int(coupon_id) if coupon_id else None,
        campaign_ids=list(result.campaign_ids or []),
        gift_batch_ids=list(result.gift_batch_ids or []),
        distributor_id=distributor.id if distributor else None, created_at=now, **address)
    for sku_id, quantity in merged.items():
        sku = skus[sku_id]
        product = sku.product
        price = unit_price(sku)
        order.items.append(OrderItem(
            merchant_id=member.merchant_id, product_id=product.id, sku_id=sku.id,
            product_name=product.name, product_code=product.code, spec_text=sku.spec_text or "",
            image=sku.image or product.first_image, product_type=product.product_type,
            unit_price=price, quantity=quantity, line_total=(price * quantity),
            points_paid=int((product.points_price or 0) * quantity)
            if product.product_type == "points" else 0,
            discount_share=Decimal(result.line_discounts.get(sku_id, ZERO))))
    _insert_with_unique_numbers(session, order, now, pickup=delivery_method == "pickup")
    _record_campaigns(session, order)
    log_action(session, order, "place", actor="买家", to_status=status, at=now,
               note=buyer_note or None)

    from app.services.order_ledgers import take_stock

    by_sku = {item.sku_id: item for item in order.items}
    upfront = [by_sku[s] for s in merged
               if payment_method == "cod" or skus[s].product.stock_strategy == "on_order"]
    take_stock(session, order, "订单下单", items=upfront, strict=True)
    if coupon_id:
        coupon.redeem(session, int(coupon_id), order.order_no)
    if order.points_used:
        points_service.change_points(session, member, -order.points_used,
                                     f"订单 {order.order_no} 积分抵现", "redeem",
                                     f"order:{order.id}:redeem", ref=order.order_no)
    if order.points_paid and payment_method != "points":
        take_points_price(session, member, order)
    member.last_order_at = now
    session.flush()
    return order


def take_points_price(session, member, order):
    """积分+现金: the points part of the order's 积分商品 is taken when the order is placed
    (the cash part is paid by WeChat Pay or the 储值卡 like any order); closing the order
    gives it back (``order_ledgers.restore_on_close``). One ledger row per order."""
    from app.services import points as points_service
    from app.services.member import LoyaltyError

    try:
        points_service.change_points(session, member, -int(order.points_paid),
                                     f"积分兑换 订单 {order.order_no}", "redeem",
                                     f"order:{order.id}:points_pay", ref=order.order_no)
    except LoyaltyError as exc:
        raise OrderError(str(exc), code=exc.code, field="lines") from None


def _insert_with_unique_numbers(session, order, now, pickup):
    """Insert the order; a clash on the order number or verification code (random, so
    nearly never) is retried with new ones inside a savepoint."""
    for attempt in range(5):
        order.order_no = new_order_no(now)
        order.verification_code = new_verification_code() if pickup else None
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
            return
        except IntegrityError:  # the savepoint rollback expunged the order: add it again
            if attempt == 4:
                raise


def _record_campaigns(session, order):
    if not order.campaign_ids:
        return
    from app.models.marketing import Campaign

    for campaign_id, kind in session.execute(select(Campaign.id, Campaign.kind).where(
            Campaign.id.in_([int(c) for c in order.campaign_ids]))).all():
        session.add(OrderCampaign(merchant_id=order.merchant_id, order_id=order.id,
                                  campaign_id=campaign_id, kind=kind))
    session.flush()


def pending_counts(session):
    """待发货 and 退单申请 counts (the list's tabs and the sidebar's total to handle)."""
    rows = session.execute(select(Order.status, func.count()).where(
        Order.status.in_(("awaiting_shipment", "cancel_requested")))
        .group_by(Order.status)).all()
    counts = {"awaiting_shipment": 0, "cancel_requested": 0}
    counts.update({status: n for status, n in rows})
    return counts
