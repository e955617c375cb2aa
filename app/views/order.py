"""订单管理 → 全部订单: quick tabs with pending counts, 高级搜索 (app/views/order_search.py),
导出 Excel with an orders sheet and an items sheet (app/views/order_export.py), 查看 (the order,
its items, amounts, buyer and log; the fulfilment module adds shipments and refunds),
备注, 星标, 改价 and 关闭 for unpaid orders, and the 到店核销 button."""
from decimal import Decimal

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.admin.views import TenantModelView
from app.extensions import db
from app.models.catalog import PRODUCT_TYPES
from app.models.order import ORDER_ACTIONS, STAR_COLORS, Order, OrderLog
from app.models.merchant import StaffUser
from app.services import order as order_service
from app.views import add
from app.views.home import register_card
from app.views.order_export import OrderExportMixin
from app.views.order_search import (PSEUDO_FILTERS, PSEUDO_LABELS, SEARCH_COLUMNS,
                                    SEARCH_FIELDS, OrderInterface, quick_tabs)

STAR_CSS = {"red": "#e4393c", "orange": "#ff8800", "yellow": "#f4c430", "green": "#2ba245",
            "blue": "#1e88e5", "purple": "#8e44ad"}
ITEMS_IN_LIST = 2
LOG_ROWS = 100


def star_mark(color):
    if not color:
        return ""
    return Markup('<i class="fa fa-star md-star" style="color:{0}" title="{1}"></i> ').format(
        STAR_CSS.get(color, "#999"), dict(STAR_COLORS).get(color, color))


def _display(order):
    mark = star_mark(order.star_color)
    changed = Markup(' <span class="label label-warning">{0}</span>').format(_("已改价")) \
        if order.original_paid_amount is not None else ""
    return mark + Markup('<a class="md-order-no" href="{0}">{1}</a>').format(
        url_for("OrderView.show", pk=order.id), order.order_no) + changed


def _goods(order):
    items = list(order.items)
    parts = [Markup("{0}{1} ×{2}").format(
        i.product_name, Markup(" <small>{0}</small>").format(i.spec_text) if i.spec_text else "",
        i.quantity) for i in items[:ITEMS_IN_LIST]]
    more = Markup(" <small>{0}</small>").format(_("等 %(n)d 种", n=len(items))) \
        if len(items) > ITEMS_IN_LIST else ""
    return Markup("<br>").join(parts) + more


# The fulfilment module's 核销台: (endpoint, permission, view), whichever is installed.
VERIFICATION_DESKS = [("VerificationDeskView.desk", "can_verify", "VerificationDeskView"),
                      ("VerificationView.desk", "can_desk", "VerificationView")]


def verification_url(order):
    """到店核销: the 核销台 with the order's code, for a paid pickup order waiting for
    verification, when the desk exists and the user may verify."""
    if not order.is_pickup_pending or not order.verification_code:
        return None
    sm = current_app.appbuilder.sm
    for endpoint, permission, view in VERIFICATION_DESKS:
        if endpoint in current_app.view_functions and sm.has_access(permission, view):
            return url_for(endpoint, code=order.verification_code)
    return None


def _ops(order):
    links = [(url_for("OrderView.show", pk=order.id), _("查看"), "btn-default")]
    if order.status == "unpaid":
        links.append((url_for("OrderView.price", pk=order.id), _("改价"), "btn-default"))
    verify = verification_url(order)
    if verify:
        links.append((verify, _("到店核销"), "btn-success"))
    return Markup(" ").join(
        Markup('<a class="btn btn-xs {2}" href="{0}">{1}</a>').format(u, t, c)
        for u, t, c in links)


# 待发货 / 退单申请 counts show on every console page (tabs, sidebar badge, home card).
# Counted exactly they read every pending order of the merchant: with 180,000 pending among
# 900,000 orders (bench/orders.py) that took as long as the stock view's full count, on
# every page. Each status now reads at most PENDING_CAP + 1 ids through the
# (merchant_id, status, created_at) index and shows as "999+" beyond that.
PENDING_CAP = 999
PENDING_STATUSES = ("awaiting_shipment", "cancel_requested")


class CappedCount(int):
    """A count that stops at PENDING_CAP + 1; shown as "999+" from there."""

    def __str__(self):
        return f"{PENDING_CAP}+" if self > PENDING_CAP else int.__repr__(self)


def _capped_pending_counts(session):
    # An ORM select of Order ids: the tenant guard scopes it like any list query.
    return {status: CappedCount(len(session.execute(
        select(Order.id).where(Order.status == status).limit(PENDING_CAP + 1)).all()))
        for status in PENDING_STATUSES}


def pending(session):
    """待发货 / 退单申请 counts, once per request (tabs, sidebar badge, home card)."""
    cached = g.get("_md_order_pending")
    if cached is None:
        cached = g._md_order_pending = _capped_pending_counts(session)
    return cached


def pending_total(session):
    """The orders to handle (待发货 + 退单申请), "999+" when a count was capped."""
    return CappedCount(sum(pending(session).values()))


class OrderView(OrderExportMixin, TenantModelView):
    datamodel = OrderInterface(Order)
    list_title = _l("全部订单")
    show_title = _l("订单详情")
    list_template = "order/list.html"
    list_columns = ["display", "goods", "member", "paid_amount", "payment_method",
                    "delivery_method", "status", "logistics_status", "created_at", "ops"]
    search_columns = SEARCH_COLUMNS
    # Searched through items, campaigns and shipments (app/views/order_search.py).
    pseudo_search_columns = tuple(PSEUDO_FILTERS)
    search_form_extra_fields = SEARCH_FIELDS
    label_columns = {"display": _l("订单编号"), "goods": _l("商品"), "member": _l("买家"),
                     "ops": _l("操作"), "paid_amount": _l("订单总额"), **PSEUDO_LABELS}
    base_order = ("created_at", "desc")
    order_columns = ["created_at", "paid_at", "paid_amount"]
    base_permissions = ["can_list", "can_show", "can_export", "can_note", "can_star",
                        "can_price", "can_close"]
    page_size = 20

    def _init_properties(self):
        super()._init_properties()
        self.order_columns = ["created_at", "paid_at", "paid_amount"]
        self.formatters_columns["display"] = _display
        self.formatters_columns["goods"] = _goods
        self.formatters_columns["ops"] = _ops
        self.formatters_columns["member"] = lambda m: m.nickname if m is not None else ""
        self.datamodel.eager_load(["member", "items"])

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["tabs"] = self._tabs()
        return super().render_template(template, **kwargs)

    def _tabs(self):
        counts = pending(db.session)
        current = {k: v for k, v in request.args.items() if k.startswith("_flt_")}
        tabs = []
        for key, label, args in quick_tabs():
            tabs.append({"key": key, "label": label, "url": url_for("OrderView.list", **args),
                         "active": current == args or (key == "recent" and current.keys()
                                                       == args.keys()),
                         "count": counts.get(key)})
        return {"tabs": tabs, "all_url": url_for("OrderView.list"), "all_active": not current}

    # -- 查看 --------------------------------------------------------------------------------
    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        order = self.get_visible(pk)
        logs = db.session.execute(select(OrderLog).where(OrderLog.order_id == order.id)
                                  .order_by(OrderLog.id.desc()).limit(LOG_ROWS)).scalars().all()
        operators = {u.id: u for u in db.session.execute(select(StaffUser).where(
            StaffUser.id.in_({row.operator_id for row in logs if row.operator_id}))).scalars()}
        sm = self.appbuilder.sm
        can = {name: sm.has_access(f"can_{name}", self.class_permission_name)
               for name in ("note", "star", "price", "close")}
        labels = {name: str(self.label_columns.get(name, name)) for name in self.label_columns}
        return self.render_template(
            "order/detail.html", title=_("订单详情"), order=order, logs=logs,
            operators=operators, can=can, labels=labels, choice=self._choice,
            actions=dict(ORDER_ACTIONS), star_colors=STAR_COLORS, star_mark=star_mark,
            verify_url=verification_url(order), money=lambda v: f"{Decimal(v or 0):.2f}",
            item_type=lambda v: dict(PRODUCT_TYPES).get(v, v))

    @staticmethod
    def _choice(column, value):
        from app.admin.labels import choices_of

        return dict(choices_of(Order, column) or []).get(value, value or "")

    # -- 备注 / 星标 -------------------------------------------------------------------------
    @expose("/note/<pk>", methods=["POST"])
    @has_access
    def note(self, pk):
        order = self.get_visible(pk)
        return self._apply(order, lambda: order_service.set_note(
            db.session, order, request.form.get("merchant_note", "")[:300],
            operator_id=g.user.id), _("备注已保存"))

    @expose("/star/<pk>", methods=["POST"])
    @has_access
    def star(self, pk):
        order = self.get_visible(pk)
        return self._apply(order, lambda: order_service.set_star(
            db.session, order, request.form.get("star_color", "")[:10],
            operator_id=g.user.id), _("星标已更新"))

    @expose("/close/<pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        """关闭 an unpaid order (stock, coupon and points come back)."""
        order = self.get_visible(pk)
        if order.status != "unpaid":
            flash(str(order_service.refuse(order, _("关闭"))), "danger")
            return redirect(url_for("OrderView.show", pk=order.id))
        return self._apply(order, lambda: order_service.close(
            db.session, order, reason=(request.form.get("reason") or "").strip()[:150],
            operator_id=g.user.id), _("订单已关闭"))

    def _apply(self, order, change, message):
        from app.admin.audit import record_event
        from app.services.errors import BusinessError

        try:
            change()
            record_event(entity="Order", action=message, detail={_("订单编号"): order.order_no})
            db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(message, "success")
        return redirect(url_for("OrderView.show", pk=order.id))

    # -- 改价 --------------------------------------------------------------------------------
    @expose("/price/<pk>", methods=["GET", "POST"])
    @has_access
    def price(self, pk):
        """改价: unpaid orders only, a new total and a reason."""
        order = self.get_visible(pk)
        values = {"new_total": f"{order.paid_amount:.2f}", "reason": ""}
        errors = {}
        if order.status != "unpaid":
            flash(str(order_service.refuse(order, _("改价"))), "danger")
            return redirect(url_for("OrderView.show", pk=order.id))
        if request.method == "POST":
            values = {name: (request.form.get(name) or "").strip()[:120] for name in values}
            before = order.paid_amount
            try:
                order_service.change_price(db.session, order, values["new_total"],
                                           values["reason"], operator_id=g.user.id)
                from app.admin.audit import record_event

                record_event(entity="Order", action=_("改价"), detail={
                    _("订单编号"): order.order_no, _("改价前"): str(before),
                    _("改价后"): str(order.paid_amount), _("原因"): values["reason"]})
                db.session.commit()
            except order_service.OrderError as exc:
                db.session.rollback()
                if exc.field in values:
                    errors[exc.field] = str(exc)
                else:
                    flash(str(exc), "danger")
                    return redirect(url_for("OrderView.show", pk=order.id))
            else:
                flash(_("已改价，请提醒顾客刷新“我的订单”后再付款"), "success")
                return redirect(url_for("OrderView.show", pk=order.id))
        return self.render_template("order/price.html", title=_("改价"), order=order,
                                    values=values, errors=errors)


# -- sidebar badge and home cards ----------------------------------------------------------
def _nav_badge(category):
    """订单管理 shows the number of orders to handle (待发货 + 退单申请)."""
    if category != "orders":
        return None
    user = g.get("user")
    if user is None or not user.is_authenticated or user.merchant_id is None:
        return None
    if not current_app.appbuilder.sm.has_access("can_list", "OrderView"):
        return None
    return pending_total(db.session) or None


def _orders_card(user):
    from app.services.order_stats import yesterday_totals

    return {"pending": pending_total(db.session), "counts": pending(db.session),
            **yesterday_totals(db.session),
            "list_url": url_for("OrderView.list")}


register_card("orders", "order/home_cards.html", _orders_card, order=11,
              permission=("can_list", "OrderView"))


def register(appbuilder):
    add(appbuilder, OrderView, "OrderView", _l("全部订单"), "orders", icon="fa-list-alt")
    # The layout asks md_nav_badge(category) for the number next to a category title.
    current_app.context_processor(lambda: {"md_nav_badge": _nav_badge})
