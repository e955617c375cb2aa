"""Order endpoints of the shop API: place an order, pay it (储值卡 or 积分; WeChat Pay is
confirmed by the payment notification), cancel it, confirm receipt, and read one's orders.
Tests and the demo data place orders through the same service."""
from decimal import Decimal

from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.order import Order
from app.models.shop import Shop
from app.services import order as order_service

MAX_LIST = 50


def _money(value):
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def order_json(order):
    return {
        "order_no": order.order_no, "status": order.status,
        "logistics_status": order.logistics_status, "payment_method": order.payment_method,
        "delivery_method": order.delivery_method, "goods_total": _money(order.goods_total),
        "freight": _money(order.freight), "campaign_discount": _money(order.campaign_discount),
        "coupon_discount": _money(order.coupon_discount),
        "level_discount": _money(order.level_discount),
        "points_deduction": _money(order.points_deduction), "points_used": order.points_used,
        "points_paid": order.points_paid, "paid_amount": _money(order.paid_amount),
        "price_changed": order.original_paid_amount is not None,
        "cancel_reason": order.cancel_reason,
        "cancel_refuse_reason": order.cancel_refuse_reason,
        "verification_code": order.verification_code,
        "created_at": order.created_at.isoformat(timespec="seconds"),
        "paid_at": order.paid_at.isoformat(timespec="seconds") if order.paid_at else None,
        "items": [{"sku_id": i.sku_id, "product_id": i.product_id, "name": i.product_name,
                   "spec": i.spec_text, "unit_price": _money(i.unit_price),
                   "quantity": i.quantity, "line_total": _money(i.line_total)}
                  for i in order.items],
    }


def _own_order(order_no):
    order = db.session.execute(select(Order).where(
        Order.order_no == order_no, Order.member_id == g.member.id)).scalar()
    return order


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.route("/orders", methods=["POST"])
@member_required
def place_order():
    """下单: {shop_id, lines: [{sku_id, quantity}], delivery_method, payment_method,
    receiver: {name, phone, province, city, district, address}, coupon_id or coupon_code
    (an 优惠码 typed by hand), use_points, buyer_note, distributor_id}."""
    data = _body()
    try:
        shop = db.session.get(Shop, int(data.get("shop_id")))
    except (TypeError, ValueError):
        shop = None
    if shop is None:
        return api_error(_("商城不存在"), 404, "no_shop")
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list):
        return api_error(_("请选择要购买的商品"), 422, "empty")
    lines = []
    for line in raw_lines:
        if not isinstance(line, dict):
            return api_error(_("商品数量无效"), 422, "bad_line")
        lines.append((line.get("sku_id"), line.get("quantity")))
    receiver = data.get("receiver") if isinstance(data.get("receiver"), dict) else None
    order = order_service.place_order(
        db.session, member=g.member, shop=shop, lines=lines,
        delivery_method=data.get("delivery_method") or "courier",
        payment_method=data.get("payment_method") or "wechat", receiver=receiver,
        coupon_id=data.get("coupon_id") or None, coupon_code=data.get("coupon_code") or None,
        use_points=bool(data.get("use_points")),
        buyer_note=data.get("buyer_note") or "", distributor_id=data.get("distributor_id"))
    db.session.commit()
    return jsonify(order_json(order)), 201


@bp.route("/orders", methods=["GET"])
@member_required
def my_orders():
    """The member's latest orders (50 at most), optionally one ``status``."""
    query = select(Order).where(Order.member_id == g.member.id)
    status = request.args.get("status")
    if status:
        query = query.where(Order.status == status)
    orders = db.session.execute(query.order_by(Order.created_at.desc(), Order.id.desc())
                                .limit(MAX_LIST)).scalars().all()
    return jsonify(orders=[order_json(o) for o in orders])


@bp.route("/orders/<order_no>", methods=["GET"])
@member_required
def my_order(order_no):
    order = _own_order(order_no)
    if order is None:
        return api_error(_("订单不存在"), 404, "no_order")
    return jsonify(order_json(order))


@bp.route("/orders/<order_no>/pay", methods=["POST"])
@member_required
def pay(order_no):
    """储值卡 or 积分 payment; a WeChat Pay order is paid by the payment notification."""
    order = _own_order(order_no)
    if order is None:
        return api_error(_("订单不存在"), 404, "no_order")
    if order.payment_method == "stored_value":
        order_service.pay_with_stored_value(db.session, order)
    elif order.payment_method == "points":
        order_service.pay_with_points(db.session, order)
    else:
        return api_error(_("该订单请使用微信支付，付款结果以微信支付通知为准"), 409, "use_wechat")
    db.session.commit()
    return jsonify(order_json(order))


@bp.route("/orders/<order_no>/cancel", methods=["POST"])
@member_required
def cancel(order_no):
    """取消订单: an unpaid order closes at once; a paid one becomes 退单申请."""
    order = _own_order(order_no)
    if order is None:
        return api_error(_("订单不存在"), 404, "no_order")
    reason = str(_body().get("reason") or "").strip()
    if order.status == "unpaid":
        order_service.close(db.session, order, reason=reason or "买家取消订单", actor="买家")
    else:
        order_service.request_cancel(db.session, order, reason)
    db.session.commit()
    return jsonify(order_json(order))


@bp.route("/orders/<order_no>/confirm", methods=["POST"])
@member_required
def confirm_receipt(order_no):
    """确认收货: a shipped order is completed (points, experience, commission)."""
    order = _own_order(order_no)
    if order is None:
        return api_error(_("订单不存在"), 404, "no_order")
    if order.delivery_method == "pickup" and order.status == "awaiting_shipment":
        return api_error(_("到店自提订单请到店核销"), 409, "pickup")
    order_service.complete(db.session, order, actor="买家")
    db.session.commit()
    return jsonify(order_json(order))
