"""储值卡管理 (营销设置管理): 充返设置, 面对面办理, 充值, 划卡, 封禁/解封, 记录, 在线办理设置."""
import re
import uuid

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import ValidationError

from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.member import BALANCE_KINDS, BalanceLedger, RechargeTier, StoredValueCard, StoredValueSetting
from app.services import member as member_service
from app.services import stored_value as service
from app.services.member import LoyaltyError
from app.views import add
from app.views.member_base import IndexedInterface, RowSettingsView

RECORD_ROWS = 200


def _money_validator(allow_zero):
    def _check(form, field):
        try:
            member_service.money(field.data, allow_zero=allow_zero)
        except LoyaltyError as exc:
            raise ValidationError(str(exc)) from None
    return _check


def _unique_amount(form, field):
    try:
        service.check_tier(db.session, field.data, 0, getattr(form, "_id", None))
    except LoyaltyError as exc:
        raise ValidationError(str(exc)) from None


class RechargeTierView(TenantModelView):
    """储值卡营销充返设置: 充 X 元返 Y 元."""

    datamodel = AdminInterface(RechargeTier)
    list_title = _l("储值卡营销充返设置")
    list_columns = ["amount", "bonus", "created_at"]
    search_columns = ["amount"]
    add_columns = edit_columns = ["amount", "bonus"]
    show_columns = ["amount", "bonus", "created_at"]
    base_order = ("amount", "asc")
    validators_columns = {"amount": [_money_validator(False), _unique_amount],
                          "bonus": [_money_validator(True)]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]


def _card_ops(card):
    links = [("StoredValueCardView.recharge", _("充值")), ("StoredValueCardView.deduct", _("划卡")),
             ("StoredValueCardView.records", _("记录")), ("MemberView.show", _("查看"))]
    parts = []
    for endpoint, text in links:
        pk = card.member_id if endpoint == "MemberView.show" else card.id
        parts.append(Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for(endpoint, pk=pk), text))
    return Markup(" ").join(parts)


class StoredValueCardView(TenantModelView):
    datamodel = IndexedInterface(StoredValueCard)
    list_title = _l("储值卡管理")
    list_columns = ["card_no", "member", "balance", "total_recharge", "status", "created_at",
                    "ops"]
    # No "member" filter: its dropdown would load every member (notes/fab.md); cards are
    # found by number, and members by phone on the member list.
    search_columns = ["card_no", "status", "balance", "created_at"]
    show_columns = ["card_no", "member", "balance", "total_recharge", "status", "created_at"]
    export_columns = ["card_no", "member", "member.phone", "balance", "total_recharge",
                      "status", "created_at"]
    label_columns = {"ops": _l("操作")}
    list_template = "member/card_list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_issue", "can_recharge",
                        "can_deduct", "can_records", "can_freeze", "can_unfreeze"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _card_ops

    @expose("/issue", methods=["GET", "POST"])
    @has_access
    def issue(self):
        """面对面办理储值卡: find the member by phone, or create them on the spot."""
        values = {"phone": "", "nickname": ""}
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:64] for k in values}
            try:
                member_service.check_phone(values["phone"])
                member = member_service.find_by_phone(db.session, values["phone"])
                if member is None:
                    member = member_service.create_member(
                        db.session, nickname=values["nickname"] or values["phone"],
                        phone=values["phone"], source="store")
                card = service.issue_card(db.session, member)
                db.session.commit()
            except LoyaltyError as exc:
                db.session.rollback()
                errors[exc.field or "phone"] = str(exc)
            else:
                flash(_("已为“%(name)s”办理储值卡，卡号 %(no)s", name=member.nickname,
                        no=card.card_no), "success")
                return redirect(url_for("StoredValueCardView.recharge", pk=card.id))
        return self.render_template("member/card_issue.html", title=_("面对面办理储值卡"),
                                    values=values, errors=errors)

    def _money_page(self, pk, kind):
        card = self.get_visible(pk)
        values = {"amount": "", "reason": "", "key": uuid.uuid4().hex}
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:100] for k in values}
            if not re.fullmatch(r"[0-9a-f]{32}", values["key"]):
                values["key"] = uuid.uuid4().hex  # the form's own key, or a fresh one
            key = f"{kind}:{values['key']}"
            try:
                if kind == "recharge":
                    row, bonus = service.recharge(db.session, card, values["amount"],
                                                  operator_id=g.user.id, idempotency_key=key,
                                                  reason=values["reason"] or None)
                else:
                    row = service.deduct(db.session, card, values["amount"],
                                         operator_id=g.user.id, idempotency_key=key,
                                         reason=values["reason"] or None)
                    bonus = None
                db.session.commit()
            except LoyaltyError as exc:
                db.session.rollback()
                db.session.refresh(card)
                errors[exc.field or "amount"] = str(exc)
            else:
                if kind == "recharge":
                    message = _("充值成功：%(amount)s 元", amount=row.delta)
                    if bonus is not None:
                        message += _("，赠送 %(bonus)s 元", bonus=bonus.delta)
                else:
                    message = _("划卡成功：%(amount)s 元", amount=-row.delta)
                flash(message + _("，当前余额 %(balance)s 元", balance=card.balance), "success")
                return redirect(url_for("StoredValueCardView.records", pk=card.id))
        tiers = db.session.execute(select(RechargeTier).order_by(RechargeTier.amount)
                                   ).scalars().all() if kind == "recharge" else []
        title = _("充值") if kind == "recharge" else _("划卡")
        return self.render_template("member/card_money.html", title=title, card=card,
                                    kind=kind, values=values, errors=errors, tiers=tiers)

    @expose("/recharge/<pk>", methods=["GET", "POST"])
    @has_access
    def recharge(self, pk):
        return self._money_page(pk, "recharge")

    @expose("/deduct/<pk>", methods=["GET", "POST"])
    @has_access
    def deduct(self, pk):
        return self._money_page(pk, "deduct")

    @expose("/records/<pk>")
    @has_access
    def records(self, pk):
        """记录: the card's recharge and consumption history."""
        card = self.get_visible(pk)
        rows = db.session.execute(select(BalanceLedger).where(BalanceLedger.card_id == card.id)
                                  .order_by(BalanceLedger.id.desc()).limit(RECORD_ROWS)
                                  ).scalars().all()
        return self.render_template("member/card_records.html", title=_("储值卡记录"),
                                    card=card, rows=rows, kinds=BALANCE_KINDS)

    def _freeze(self, items, frozen):
        items = items if isinstance(items, list) else [items]
        for card in items:
            service.set_frozen(db.session, card, frozen)
        db.session.commit()
        flash(_("已封禁 %(n)d 张储值卡，余额将不可使用", n=len(items)) if frozen
              else _("已解封 %(n)d 张储值卡", n=len(items)), "success")
        return redirect(self.get_redirect())

    @action("freeze", _l("封禁"), _l("封禁后该卡余额不可使用，确定封禁？"), "fa-ban")
    def freeze(self, items):
        return self._freeze(items, True)

    @action("unfreeze", _l("解封"), _l("确定解封所选储值卡？"), "fa-unlock")
    def unfreeze(self, items):
        return self._freeze(items, False)


class StoredValueSettingView(RowSettingsView):
    route_base = "/stored-value-setting"
    model = StoredValueSetting
    title = _l("在线办理储值卡设置")
    fields = ("online_signup",)

    def get_row(self, session, merchant_id):
        return service.stored_value_setting(session, merchant_id)


def register(appbuilder):
    add(appbuilder, StoredValueCardView, "stored_value_cards", _l("储值卡管理"), "marketing",
        "fa-credit-card")
    add(appbuilder, RechargeTierView, "recharge_tiers", _l("储值卡营销充返设置"), "marketing",
        "fa-money")
    add(appbuilder, StoredValueSettingView, "stored_value_setting", _l("在线办理储值卡设置"),
        "marketing", "fa-mobile")
