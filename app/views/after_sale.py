"""售后管理 (the list, searchable by the second guide's fields, and the handling page with
同意 / 驳回 / 确认收货并退款 / 确认收货并发货) and 退款记录 (every refund with its status,
failures with the guide's advice and 重试退款)."""
from flask import flash, g, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from app.admin.audit import audit_action
from app.admin.pages import form_text
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.fulfilment import AFTER_SALE_STATUS, REFUND_STATUS, AfterSale, Refund
from app.models.order import Order, OrderItem
from app.services import after_sale as service
from app.services.errors import BusinessError
from app.services.fulfilment import status_text
from app.views import add
from app.views.member_base import IndexedInterface
from app.workers import refund as refund_worker

ACTIONS = {
    "agree": _l("同意"),
    "reject": _l("驳回"),
    "receive_refund": _l("确认收货并退款"),
    "receive_reship": _l("确认收货并发货"),
}


def _handle_link(row):
    return Markup('<a class="btn btn-xs btn-primary" href="{0}">{1}</a>').format(
        url_for("AfterSaleView.handle", pk=row.id), _("处理") if row.status in (
            "pending", "returned") else _("查看"))


class AfterSaleView(TenantModelView):
    datamodel = IndexedInterface(AfterSale)
    list_title = _l("售后管理")
    list_columns = ["after_sale_no", "order_no", "product_name", "type", "status", "quantity",
                    "amount", "receiver_name", "receiver_phone", "created_at", "ops"]
    # The guide's 售后管理 search: 售后类型、售后状态、申请时间、退款总额、订单编号、售后编号、
    # 商品ID、联系电话、商品名称、收货人姓名 (snapshots on the row, so each filter uses an index
    # or a prefix match).
    search_columns = ["type", "status", "created_at", "amount", "order_no", "after_sale_no",
                      "product_id", "receiver_phone", "product_name", "receiver_name"]
    show_columns = list_columns[:-1] + ["goods_status", "reason", "description",
                                        "reject_reason", "return_address", "return_courier",
                                        "return_waybill", "reship_courier", "reship_waybill",
                                        "handled_at", "returned_at", "received_at",
                                        "completed_at"]
    export_columns = show_columns
    label_columns = {"ops": _l("操作")}
    base_permissions = ["can_list", "can_show", "can_export", "can_handle"]
    permission_labels = {"can_handle": _l("处理售后")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _handle_link

    def _render_handle(self, row, errors=None, values=None, status=200):
        order = db.session.get(Order, row.order_id)
        item = db.session.get(OrderItem, row.order_item_id)
        refund = db.session.get(Refund, row.refund_id) if row.refund_id else None
        return self.render_template(
            "fulfilment/after_sale.html", title=_("售后单详情"), row=row, order=order,
            item=item, refund=refund, errors=errors or {}, values=values or {},
            status_text=status_text(row.status, AFTER_SALE_STATUS),
            type_text=status_text(row.type, _types()),
            refund_status=status_text(refund.status, REFUND_STATUS) if refund else ""), status

    @expose("/handle/<pk>", methods=["GET"])
    @has_access
    def handle(self, pk):
        return self._render_handle(self.get_visible(pk))

    @expose("/handle/<pk>", methods=["POST"])
    @has_access
    @permission_name("handle")
    def handle_post(self, pk):
        row = self.get_visible(pk)
        op = form_text("op")
        values = {name: form_text(name, 200) for name in (
            "return_address", "reject_reason", "reship_courier", "reship_waybill")}
        if op not in ACTIONS:
            return self._render_handle(row, {"form": _("请选择操作")}, values, 422)
        user_id = g.user.id
        try:
            with audit_action(ACTIONS[op]):
                if op == "agree":
                    service.agree(db.session, row, return_address=values["return_address"],
                                  operator_id=user_id)
                elif op == "reject":
                    service.reject(db.session, row, reason=values["reject_reason"],
                                   operator_id=user_id)
                elif op == "receive_refund":
                    service.confirm_and_refund(db.session, row, operator_id=user_id)
                else:
                    service.confirm_and_reship(db.session, row,
                                               courier=values["reship_courier"],
                                               waybill_no=values["reship_waybill"],
                                               operator_id=user_id)
                db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            field = getattr(exc, "field", None) or "form"
            if field == "waybill_no":
                field = "reship_waybill"
            return self._render_handle(self.get_visible(pk), {field: str(exc)}, values,
                                       exc.status)
        if row.refund_id:
            refund = db.session.get(Refund, row.refund_id)
            refund_worker.submit(refund)
            db.session.refresh(refund)
            if refund.status == "failed":
                flash(_("退款失败：%(reason)s %(advice)s", reason=refund.error_message,
                        advice=refund.error_advice or ""), "danger")
        flash(_("已%(op)s", op=ACTIONS[op]), "success")
        return redirect(url_for("AfterSaleView.handle", pk=row.id))


def _types():
    from app.models.fulfilment import AFTER_SALE_TYPES

    return AFTER_SALE_TYPES


def _refund_ops(refund):
    parts = [Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
        url_for("RefundView.show", pk=refund.id), _("查看"))]
    if refund.status == "failed" and refund.method == "wechat":
        parts.append(Markup(
            '<form method="post" action="{0}" style="display:inline">'
            '<input type="hidden" name="csrf_token" value="{1}">'
            '<input type="hidden" name="next" value="refunds">'
            '<button class="btn btn-xs btn-warning" type="submit">{2}</button></form>').format(
            url_for("FulfilmentView.retry_refund", refund_id=refund.id), _csrf(),
            _("重试退款")))
    return Markup(" ").join(parts)


def _csrf():
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


class RefundView(TenantModelView):
    datamodel = IndexedInterface(Refund)
    list_title = _l("退款记录")
    list_columns = ["out_refund_no", "order_no", "method", "amount", "points", "status",
                    "error_message", "error_advice", "attempts", "created_at", "ops"]
    search_columns = ["out_refund_no", "order_no", "method", "status", "created_at", "amount"]
    show_columns = list_columns[:-1] + ["reason", "wechat_refund_id", "error_code",
                                        "finished_at"]
    export_columns = show_columns
    label_columns = {"ops": _l("操作")}
    base_permissions = ["can_list", "can_show", "can_export"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _refund_ops


def register(appbuilder):
    add(appbuilder, AfterSaleView, "after_sales", _l("售后管理"), "orders", "fa-undo")
    add(appbuilder, RefundView, "refunds", _l("退款记录"), "orders", "fa-money")

