"""分销 (营销设置管理): 分销规则设置, 申请分销商管理, 分销商申请提现管理."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import DataRequired, Length, Regexp

from app.admin.views import TenantModelView
from app.extensions import db
from app.models.member import DistributionRule, Distributor, Withdrawal
from app.services import distribution as service
from app.services.member import LoyaltyError
from app.views import add
from app.views.member_base import IndexedInterface, RowSettingsView


class DistributionRuleView(RowSettingsView):
    route_base = "/distribution-rule"
    model = DistributionRule
    title = _l("分销规则设置")
    fields = ("default_rate", "show_apply")

    def get_row(self, session, merchant_id):
        return service.distribution_rule(session, merchant_id)

    def check(self, values):
        try:
            service.check_rate(values["default_rate"], field="default_rate")
        except LoyaltyError as exc:
            return {"default_rate": exc.args[0]}
        return {}


def _btn(endpoint, pk, text):
    return Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
        url_for(endpoint, pk=pk), text)


def _distributor_ops(item):
    if item.status == "pending":
        return _btn("DistributorView.review", item.id, _("审核"))
    if item.status == "approved":
        return _btn("DistributorView.rate", item.id, _("设置提成比例"))
    return ""


def _withdrawal_ops(item):
    return _btn("WithdrawalView.review", item.id, _("审核")) if item.status == "pending" else ""


class DistributorView(TenantModelView):
    """申请分销商管理: search, 通过 / 拒绝 (with a reason), 设置提成比例."""

    datamodel = IndexedInterface(Distributor)
    list_title = _l("申请分销商管理")
    list_columns = ["name", "city", "phone", "status", "commission_rate", "commission_balance",
                    "total_commission", "created_at", "ops"]
    search_columns = ["name", "city", "phone", "status", "created_at"]
    add_columns = edit_columns = ["name", "city", "phone"]
    show_columns = ["name", "city", "phone", "member", "status", "commission_rate",
                    "commission_balance", "total_commission", "reject_reason", "created_at"]
    export_columns = ["name", "city", "phone", "status", "commission_rate",
                      "commission_balance", "total_commission", "reject_reason", "created_at"]
    label_columns = {"ops": _l("操作")}
    validators_columns = {
        "name": [DataRequired(_l("请输入姓名")), Length(max=32, message=_l("姓名最多 32 个字符"))],
        "city": [DataRequired(_l("请输入城市")), Length(max=32, message=_l("城市最多 32 个字符"))],
        "phone": [DataRequired(_l("请输入手机号")),
                  Regexp(r"^1[3-9]\d{9}$", message=_l("请输入 11 位中国大陆手机号"))],
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export",
                        "can_review", "can_rate"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _distributor_ops

    @expose("/review/<pk>", methods=["GET", "POST"])
    @has_access
    def review(self, pk):
        """通过 (with the commission rate, default from the rules) or 拒绝 (with a reason)."""
        item = self.get_visible(pk)
        rule = service.distribution_rule(db.session, item.merchant_id)
        values = {"decision": "approve", "rate": f"{rule.default_rate}", "reason": ""}
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:100] for k in values}
            try:
                if values["decision"] == "reject":
                    service.reject_application(db.session, item, values["reason"])
                else:
                    service.approve_application(db.session, item, values["rate"] or None)
                db.session.commit()
            except LoyaltyError as exc:
                db.session.rollback()
                errors[{"commission_rate": "rate"}.get(exc.field, exc.field or "decision")] = str(exc)
            else:
                flash(_("已通过“%(name)s”的分销商申请", name=item.name)
                      if item.status == "approved" else
                      _("已拒绝“%(name)s”的分销商申请", name=item.name), "success")
                return redirect(url_for("DistributorView.list"))
        return self.render_template("member/distributor_review.html", title=_("审核分销商申请"),
                                    item=item, values=values, errors=errors)

    @expose("/rate/<pk>", methods=["GET", "POST"])
    @has_access
    def rate(self, pk):
        """设置提成比例 for an approved distributor."""
        item = self.get_visible(pk)
        values = {"rate": "" if item.commission_rate is None else f"{item.commission_rate}"}
        errors = {}
        if request.method == "POST":
            values = {"rate": (request.form.get("rate") or "").strip()[:20]}
            try:
                service.set_commission_rate(db.session, item, values["rate"])
                db.session.commit()
            except LoyaltyError as exc:
                db.session.rollback()
                errors["rate"] = str(exc)
            else:
                flash(_("已将“%(name)s”的提成比例设为 %(rate)s%%", name=item.name,
                        rate=item.commission_rate), "success")
                return redirect(url_for("DistributorView.list"))
        return self.render_template("member/distributor_rate.html", title=_("设置提成比例"),
                                    item=item, values=values, errors=errors)


class WithdrawalView(TenantModelView):
    """分销商申请提现管理: 同意 only within the commission balance, or 拒绝 with a reason."""

    datamodel = IndexedInterface(Withdrawal)
    list_title = _l("分销商申请提现管理")
    list_columns = ["distributor", "amount", "status", "reason", "created_at", "reviewed_at",
                    "ops"]
    search_columns = ["distributor", "status", "created_at"]
    show_columns = ["distributor", "amount", "status", "reason", "created_at", "reviewed_at"]
    export_columns = ["distributor", "amount", "status", "reason", "created_at", "reviewed_at"]
    label_columns = {"ops": _l("操作")}
    base_permissions = ["can_list", "can_show", "can_export", "can_review"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _withdrawal_ops

    @expose("/review/<pk>", methods=["GET", "POST"])
    @has_access
    def review(self, pk):
        item = self.get_visible(pk)
        values = {"decision": "approve", "reason": ""}
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:100] for k in values}
            try:
                if values["decision"] == "reject":
                    service.reject_withdrawal(db.session, item, values["reason"])
                else:
                    service.approve_withdrawal(db.session, item)
                db.session.commit()
            except LoyaltyError as exc:
                db.session.rollback()
                errors[exc.field or "decision"] = str(exc)
            else:
                flash(_("已处理提现申请"), "success")
                return redirect(url_for("WithdrawalView.list"))
        return self.render_template("member/withdrawal_review.html", title=_("审核提现申请"),
                                    item=item, values=values, errors=errors)


def register(appbuilder):
    add(appbuilder, DistributionRuleView, "distribution_rule", _l("分销规则设置"), "marketing",
        "fa-sitemap")
    add(appbuilder, DistributorView, "distributors", _l("申请分销商管理"), "marketing",
        "fa-user-plus")
    add(appbuilder, WithdrawalView, "distributor_withdrawals", _l("分销商申请提现管理"),
        "marketing", "fa-money")
