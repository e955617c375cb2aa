"""售后 endpoints of the shop API: the buyer applies (仅退款 / 退货退款 / 换货), reads the
progress, enters the return waybill and confirms an exchange's delivery. Everything runs
in the member token's merchant scope and only on the member's own orders."""
from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.fulfilment import AfterSale
from app.models.order import Order
from app.services import after_sale as service
from app.services.errors import N_, BusinessError


def _json():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _payload(row):
    return {"after_sale_no": row.after_sale_no, "order_no": row.order_no, "type": row.type,
            "status": row.status, "quantity": row.quantity, "amount": str(row.amount),
            "reason": row.reason, "reject_reason": row.reject_reason,
            "return_address": row.return_address, "return_courier": row.return_courier,
            "return_waybill": row.return_waybill, "reship_courier": row.reship_courier,
            "reship_waybill": row.reship_waybill,
            "created_at": row.created_at.isoformat(timespec="seconds")}


def _own_after_sale(after_sale_no):
    row = db.session.query(AfterSale).filter(AfterSale.after_sale_no == after_sale_no[:32],
                                             AfterSale.member_id == g.member.id).first()
    if row is None:
        raise BusinessError(N_("售后单不存在"), code="not_found", status=404)
    return row


def _error(exc):
    body = {"error": str(exc), "code": exc.code}
    if getattr(exc, "field", None):
        body["field"] = exc.field
    return jsonify(body), exc.status


@bp.route("/orders/<order_no>/after-sales", methods=["POST"])
@member_required
def apply_after_sale(order_no):
    """申请售后: {order_item_id, type, quantity, reason, amount?, description?,
    goods_status?}."""
    order = db.session.query(Order).filter(Order.order_no == order_no[:32],
                                           Order.member_id == g.member.id).first()
    if order is None:
        return api_error(_("订单不存在"), 404, "not_found")
    data = _json()
    try:
        item_id = int(data.get("order_item_id"))
        quantity = int(data.get("quantity", 1))
    except (TypeError, ValueError):
        return api_error(_("请选择要售后的商品和数量"), 422, "bad_item")
    try:
        row = service.apply(db.session, member=g.member, order=order, order_item_id=item_id,
                            type=str(data.get("type") or ""), quantity=quantity,
                            reason=str(data.get("reason") or ""),
                            amount=data.get("amount"),
                            description=str(data.get("description") or ""),
                            goods_status=str(data.get("goods_status") or "received"))
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        return _error(exc)
    return jsonify(_payload(row)), 201


@bp.route("/after-sales/<after_sale_no>", methods=["GET"])
@member_required
def after_sale_detail(after_sale_no):
    """售后进度."""
    return jsonify(_payload(_own_after_sale(after_sale_no)))


@bp.route("/after-sales/<after_sale_no>/return", methods=["POST"])
@member_required
def after_sale_return(after_sale_no):
    """寄回货物的快递公司和快递单号: {courier, waybill_no}."""
    row = _own_after_sale(after_sale_no)
    data = _json()
    try:
        service.submit_return(db.session, row, courier=str(data.get("courier") or ""),
                              waybill_no=str(data.get("waybill_no") or ""))
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        return _error(exc)
    return jsonify(_payload(row))


@bp.route("/after-sales/<after_sale_no>/confirm", methods=["POST"])
@member_required
def after_sale_confirm(after_sale_no):
    """换货: the buyer received the replacement."""
    row = _own_after_sale(after_sale_no)
    try:
        service.buyer_confirm(db.session, row)
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        return _error(exc)
    return jsonify(_payload(row))
