"""核销台 (in-store verification desk, works at phone width), 核销记录 and 核销统计.

The desk scans the order's QR code with the device camera (the browser's BarcodeDetector,
else the vendored jsQR; a typed code always works), previews the order and confirms it
once: app/services/verification.py makes a second confirmation — even at the same moment —
answer "该订单已核销" with when and by whom. It also takes a 抽奖游戏 gift's 核销码: the
preview shows the prize and confirming redeems it once (app/services/lottery_game.py,
"该奖品已核销" with when and by whom); orders' 核销记录 are not involved. Staff (分管理员)
see only their own records and statistics; the owner sees everyone's, with a per-staff
table.
"""
import os

from flask import current_app, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.admin.audit import audit_action
from app.admin.pages import form_text, merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.base import china_now
from app.models.fulfilment import VerificationRecord
from app.models.order import DELIVERY_METHODS, PAYMENT_METHODS, OrderItem
from app.services import lottery_game as games
from app.services import verification as service
from app.services.errors import BusinessError
from app.services.fulfilment import status_text
from app.views import add
from app.views.lottery_game import redeem_gift_as
from app.views.member_base import IndexedInterface

JSQR = "vendor/jsqr/jsQR.js"


def _staff_scope():
    """None for the owner (all records), else the staff member's own id."""
    user = g.user
    return None if user.is_owner else user.id


class VerificationDeskView(BaseView):
    route_base = "/verification"
    default_view = "desk"
    merchant_facing = True
    base_permissions = ["can_verify", "can_stats"]
    permission_labels = {"can_verify": _l("核销"), "can_stats": _l("核销统计")}

    def _render(self, code="", order=None, error=None, record=None, status=200, gift=None,
                gift_done=None):
        items = []
        if order is not None:
            items = db.session.execute(select(OrderItem).where(
                OrderItem.order_id == order.id).order_by(OrderItem.id)).scalars().all()
        static = current_app.static_folder
        return self.render_template(
            "fulfilment/verify_desk.html", title=_("核销台"), code=code, order=order,
            items=items, error=error, record=record, gift=gift, gift_done=gift_done,
            jsqr_url=url_for("static", filename=JSQR)
            if os.path.isfile(os.path.join(static, JSQR)) else None,
            order_status=status_text(order.status) if order is not None else "",
            payment_text=status_text(order.payment_method, PAYMENT_METHODS) if order else "",
            delivery_text=status_text(order.delivery_method, DELIVERY_METHODS) if order else ""
        ), status

    @expose("/")
    @has_access
    @permission_name("verify")
    def desk(self):
        merchant_id_or_403()
        code = service.normalise_code(request.args.get("code", ""))
        if not code:
            return self._render()
        return self._preview(code)

    def _preview(self, code):
        order = None
        try:
            kind, found = service.find_code(db.session, code)
            if kind == "gift":
                return self._preview_gift(code, found)
            order = found
            service.check_verifiable(db.session, order)
        except service.AlreadyVerified as exc:
            return self._render(code, order, str(exc), status=409)
        except BusinessError as exc:
            order = order if exc.code != "not_found" else None
            return self._render(code, order if exc.code != "no_code" else None, str(exc),
                                status=exc.status)
        return self._render(code, order)

    def _preview_gift(self, code, gift):
        """A 抽奖游戏 physical prize: game, prize, member, won at; 已核销 says when and who."""
        code = gift.code or code  # as printed on the winner's phone (upper case)
        try:
            games.check_redeemable(gift)
        except games.GameError as exc:
            return self._render(code, error=str(exc), gift=gift, status=exc.status)
        return self._render(code, gift=gift)

    @expose("/preview", methods=["POST"])
    @has_access
    @permission_name("verify")
    def preview(self):
        merchant_id_or_403()
        return self._preview(service.normalise_code(form_text("code", 64)))

    @expose("/confirm", methods=["POST"])
    @has_access
    @permission_name("verify")
    def confirm(self):
        """确认核销到店."""
        merchant_id_or_403()
        code = service.normalise_code(form_text("code", 64))
        user = g.user
        try:
            kind, gift = service.find_code(db.session, code)
        except BusinessError as exc:
            return self._render(code, error=str(exc), status=exc.status)
        if kind == "gift":
            return self._confirm_gift(code, gift, user)
        try:
            with audit_action(_("到店核销")):
                record = service.verify(db.session, code=code, staff_id=user.id,
                                        staff_name=user.display_name)
                db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            order = None
            if exc.code not in ("not_found", "no_code"):
                order = service.find_order(db.session, code)
            return self._render(code, order, str(exc), status=exc.status)
        return self._render("", None, record=record)

    def _confirm_gift(self, code, gift, user):
        """确认核销奖品: once only (``redeem_gift``'s conditional UPDATE)."""
        draw_id = gift.id
        done, exc = redeem_gift_as(user, draw_id=draw_id)
        if exc is not None:
            gift = None
            if exc.code == "already_redeemed":
                gift = games.find_gift(db.session, draw_id=draw_id)
            return self._render(code, error=str(exc), gift=gift, status=exc.status)
        return self._render("", gift_done=done)

    @expose("/stats")
    @has_access
    @permission_name("stats")
    def stats(self):
        """核销统计: totals, today, a month's days, and per staff (owner)."""
        merchant_id_or_403()
        today = china_now().date()
        month = service.parse_month(request.args.get("month"), today)
        data = service.stats(db.session, month=month, today=today, staff_id=_staff_scope())
        return self.render_template("fulfilment/verify_stats.html", title=_("核销统计"),
                                    data=data, month=month.strftime("%Y-%m"),
                                    is_owner=g.user.is_owner)


class VerificationRecordView(TenantModelView):
    datamodel = IndexedInterface(VerificationRecord)
    list_title = _l("核销记录")
    # 每个分管理员只能查看自己的核销数据，大管理员可以查看所有数据 (first guide).
    data_scope = "own"
    data_scope_column = "staff_id"
    list_columns = ["order_no", "verification_code", "amount", "staff_name", "verified_at"]
    search_columns = ["order_no", "verification_code", "staff_name", "verified_at", "amount"]
    show_columns = list_columns
    export_columns = list_columns
    base_order = ("verified_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export"]


def register(appbuilder):
    add(appbuilder, VerificationDeskView, "verification_desk", _l("核销台"), "orders",
        "fa-qrcode")
    add(appbuilder, VerificationRecordView, "verification_records", _l("核销记录"), "orders",
        "fa-check-square-o")
