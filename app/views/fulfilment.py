"""Fulfilment pages of an order: 发货 / 拆分运单 / 商家自送 / 自提, 退单 (退单且退款, 取消订单
不退款, and the answers to a buyer's 退单申请), 重试退款; plus the shipment and refund
panel the order detail page includes (order/_fulfilment.html).

The rules are in app/services/shipping.py and refund.py; WeChat refunds leave through
app/workers/refund.py after the commit. Orders are read through the tenant guard, so
another merchant's order id is simply "not found".
"""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.admin.audit import audit_action
from app.admin.pages import form_text, merchant_id_or_403
from app.extensions import db
from app.models.fulfilment import REFUND_METHODS, REFUND_STATUS, SHIPMENT_KINDS, Refund
from app.models.order import Order, OrderItem
from app.services import refund as refund_service
from app.services import shipping as shipping_service
from app.services.errors import BusinessError
from app.services.fulfilment import status_text
from app.workers import refund as refund_worker


def order_or_404(order_id):
    merchant_id_or_403()
    order = db.session.execute(select(Order).where(Order.id == order_id)).scalar()
    if order is None:
        abort(404)
    return order


def order_url(order):
    """The order detail page (orders module) when it exists, else the ship page."""
    if "OrderView.show" in current_app.view_functions:
        return url_for("OrderView.show", pk=order.id)
    return url_for("FulfilmentView.ship", order_id=order.id)


def fulfilment_of(order):
    """What order/_fulfilment.html shows: shipments with their items, refunds, and which
    buttons the current user may use."""
    if order is None or getattr(order, "id", None) is None:
        return None
    items = {i.id: i for i in db.session.execute(select(OrderItem).where(
        OrderItem.order_id == order.id)).scalars()}
    sm = current_app.appbuilder.sm
    can = {name: sm.has_access(f"can_{name}", "FulfilmentView")
           for name in ("ship", "cancel")}
    return {
        "shipments": shipping_service.shipments_of(db.session, order.id),
        "items": items,
        "refunds": refund_service.refunds_of(db.session, order.id),
        "kind_text": lambda code: status_text(code, SHIPMENT_KINDS),
        "method_text": lambda code: status_text(code, REFUND_METHODS),
        "refund_status_text": lambda code: status_text(code, REFUND_STATUS),
        "can_ship": can["ship"] and order.status in shipping_service.SHIPPABLE and not (
            order.status == "shipped" and order.logistics_status != "partly_shipped"),
        "can_cancel": can["cancel"] and order.status in refund_service.CANCELLABLE,
        "can_retry": can["cancel"],
    }


def _notify_refused(order):
    """拒绝退单 reaches the buyer: the reason is on the order (their order API); a 模板消息
    goes out when the merchant enabled one. A messaging failure never undoes the refusal."""
    try:
        log_id = refund_service.notify_cancel_refused(db.session, order)
    except Exception:  # noqa: BLE001 - the refusal is committed; the message is best effort
        db.session.rollback()
        current_app.logger.exception("cancel-refused message for order %s", order.id)
        flash(_("拒绝原因已保存，但模板消息未能发出，请稍后在模板消息发送记录中查看"), "warning")
        return
    if log_id is not None:
        flash(_("已向买家发送公众号模板消息，发送结果见模板消息发送记录"), "info")


def _quantities(order_items):
    """{order item id: quantity} from the ticked rows of the split-shipment form."""
    chosen = {}
    errors = None
    for item in order_items:
        if not request.form.get(f"pick_{item.id}"):
            continue
        raw = (request.form.get(f"qty_{item.id}") or "").strip()
        if not raw.isdigit() or int(raw) < 1:
            errors = _("「%(name)s」的发货数量须为正整数", name=item.product_name)
            continue
        chosen[item.id] = int(raw)
    return chosen, errors


class FulfilmentView(BaseView):
    route_base = "/fulfilment"
    default_view = "ship"
    merchant_facing = True
    base_permissions = ["can_ship", "can_cancel"]
    permission_labels = {"can_ship": _l("发货"), "can_cancel": _l("退单与退款")}

    # -- 发货 / 拆分运单 -------------------------------------------------------------------
    def _render_ship(self, order, errors=None, values=None, status=200):
        items = db.session.execute(select(OrderItem).where(OrderItem.order_id == order.id)
                                   .order_by(OrderItem.id)).scalars().all()
        return self.render_template(
            "order/ship.html", title=_("订单发货"), order=order, items=items,
            couriers=shipping_service.enabled_couriers(db.session, order.shop_id),
            remaining=shipping_service.remaining, kinds=SHIPMENT_KINDS,
            errors=errors or {}, values=values or {}, back_url=order_url(order),
            status_text=status_text(order.status),
            fulfilment=fulfilment_of(order)), status

    @expose("/order/<int:order_id>/ship", methods=["GET"])
    @has_access
    @permission_name("ship")
    def ship(self, order_id):
        order = order_or_404(order_id)
        return self._render_ship(order, values={"kind": "courier"})

    @expose("/order/<int:order_id>/ship", methods=["POST"])
    @has_access
    @permission_name("ship")
    def ship_post(self, order_id):
        order = order_or_404(order_id)
        values = {name: form_text(name) for name in ("kind", "courier_id", "waybill_no",
                                                       "split")}
        items = None
        if values["split"]:
            order_items = db.session.execute(select(OrderItem).where(
                OrderItem.order_id == order.id)).scalars().all()
            items, problem = _quantities(order_items)
            if problem:
                return self._render_ship(order, {"items": problem}, values, 422)
        courier_id = int(values["courier_id"]) if values["courier_id"].isdigit() else None
        try:
            with audit_action(_("发货")):
                shipping_service.ship(db.session, order, kind=values["kind"] or "courier",
                                      courier_id=courier_id, waybill_no=values["waybill_no"],
                                      items=items, operator_id=g.user.id)
                db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            field = getattr(exc, "field", None) or "form"
            return self._render_ship(order_or_404(order_id), {field: str(exc)}, values,
                                     exc.status)
        flash(_("已发货") if order.logistics_status == "shipped" else
              _("已发货（部分发货），其余商品可继续拆分运单发货"), "success")
        return redirect(order_url(order))

    # -- 退单 -----------------------------------------------------------------------------
    def _render_cancel(self, order, errors=None, values=None, status=200):
        return self.render_template(
            "order/cancel.html", title=_("退单"), order=order, errors=errors or {},
            values=values or {}, back_url=order_url(order),
            refundable=refund_service.refundable(db.session, order),
            status_text=status_text(order.status),
            method_text=status_text(order.payment_method, REFUND_METHODS)), status

    @expose("/order/<int:order_id>/cancel", methods=["GET"])
    @has_access
    @permission_name("cancel")
    def cancel(self, order_id):
        return self._render_cancel(order_or_404(order_id))

    @expose("/order/<int:order_id>/cancel", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def cancel_post(self, order_id):
        """mode: refund (退单且退款) | close (取消订单不退款 / 同意退单) | refuse (拒绝退单)."""
        order = order_or_404(order_id)
        mode = form_text("mode")
        reason = form_text("reason", 200)
        values = {"mode": mode, "reason": reason}
        refund = None
        labels = {"refund": _("退单且退款"), "close": _("取消订单不退款"), "refuse": _("拒绝退单")}
        if mode not in labels:
            return self._render_cancel(order, {"mode": _("请选择退单方式")}, values, 422)
        try:
            with audit_action(labels[mode]):
                if mode == "refuse":
                    refund_service.refuse_cancel(db.session, order, reason=reason,
                                                 operator_id=g.user.id)
                else:
                    _order, refund = refund_service.cancel_order(
                        db.session, order, refund=mode == "refund", reason=reason,
                        operator_id=g.user.id)
                db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            field = getattr(exc, "field", None) or "form"
            return self._render_cancel(order_or_404(order_id), {field: str(exc)}, values,
                                       exc.status)
        refund_worker.submit(refund)
        if mode == "refuse":
            _notify_refused(order)
        if refund is not None:
            db.session.refresh(refund)
            if refund.status == "failed":
                flash(_("订单已关闭，但微信退款失败：%(reason)s %(advice)s",
                        reason=refund.error_message, advice=refund.error_advice or ""),
                      "danger")
            elif refund.status == "succeeded":
                flash(_("已退单，退款 %(amount)s 元已退回（%(method)s）", amount=refund.amount,
                        method=status_text(refund.method, REFUND_METHODS)), "success")
            else:
                flash(_("已退单，退款处理中，请稍后刷新查看退款状态"), "info")
        else:
            flash(_("已拒绝退单，订单已恢复") if mode == "refuse" else _("订单已关闭"), "success")
        return redirect(order_url(order))

    # -- 重试退款 ---------------------------------------------------------------------------
    @expose("/refund/<int:refund_id>/retry", methods=["POST"])
    @has_access
    @permission_name("cancel")
    def retry_refund(self, refund_id):
        merchant_id_or_403()
        refund = db.session.execute(select(Refund).where(Refund.id == refund_id)).scalar()
        if refund is None:
            abort(404)
        order = order_or_404(refund.order_id)
        try:
            with audit_action(_("重试退款")):
                refund_service.retry(db.session, refund)
                db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(order_url(order))
        refund_worker.submit(refund)
        db.session.refresh(refund)
        if refund.status == "succeeded":
            flash(_("退款成功：%(amount)s 元", amount=refund.amount), "success")
        elif refund.status == "failed":
            flash(_("退款失败：%(reason)s %(advice)s", reason=refund.error_message,
                    advice=refund.error_advice or ""), "danger")
        else:
            flash(_("已重新提交退款，请稍后刷新查看退款状态"), "info")
        return redirect(request.form.get("next") == "refunds" and url_for("RefundView.list")
                        or order_url(order))


def register(appbuilder):
    appbuilder.add_view_no_menu(FulfilmentView)
    # order/_fulfilment.html reads its data through this (included by the order page).
    current_app.jinja_env.globals["fulfilment_of"] = fulfilment_of
