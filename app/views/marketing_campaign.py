"""营销活动 (营销设置管理): the campaign list, add/edit with up to five tiers, and 结束."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from app.admin.interface import AdminInterface
from app.admin.pickers import MEMBER_PICKER, PRODUCT_PICKER, PickerMixin
from app.admin.pages import form_text
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.catalog import Product
from app.models.marketing import CAMPAIGN_KINDS, CUSTOMER_SCOPES, PRODUCT_SCOPES, Campaign
from app.models.order import DELIVERY_METHODS
from app.models.member import Member, MemberLevel
from app.services import campaign as service
from app.views import add
from app.views.marketing_forms import (checked_ids, dt_value, parse_datetime, parse_decimal,
                                       rate_to_zhe, zhe_to_rate)



def _ops(campaign):
    if service.state(campaign) == "ended":
        return Markup('<span class="text-muted">{0}</span>').format(_("已结束"))
    return Markup(
        '<a class="btn btn-xs btn-default" href="{0}">{1}</a> '
        '<form method="post" action="{2}" style="display:inline" onsubmit="return confirm(\'{3}\')">'
        '<input type="hidden" name="csrf_token" value="{4}">'
        '<button class="btn btn-xs btn-default" type="submit">{5}</button></form>').format(
        url_for("CampaignView.edit_campaign", pk=campaign.id), _("编辑"),
        url_for("CampaignView.end", pk=campaign.id), _("确定立即结束该活动？"), generate_csrf(),
        _("结束"))


class CampaignView(PickerMixin, TenantModelView):
    datamodel = AdminInterface(Campaign)
    pickers = {"product_ids": PRODUCT_PICKER, "member_phones": MEMBER_PICKER}
    list_title = _l("营销活动")
    list_columns = ["name", "kind", "starts_at", "ends_at", "product_scope", "customer_scope",
                    "delivery_methods_text", "state_text", "created_at", "ops"]
    search_columns = ["name", "kind", "status", "starts_at", "created_at"]
    show_columns = ["name", "kind", "per_threshold", "by_count", "starts_at", "ends_at",
                    "product_scope", "customer_scope", "excluded_provinces",
                    "delivery_methods_text", "state_text", "tiers_text", "created_at"]
    export_columns = ["id", "name", "kind", "starts_at", "ends_at", "product_scope",
                      "customer_scope", "excluded_provinces", "delivery_methods_text", "status",
                      "created_at"]
    label_columns = {"state_text": _l("活动状态"), "tiers_text": _l("优惠层级"), "ops": _l("操作"),
                     "delivery_methods_text": _l("参加活动的配送方式")}
    list_template = "marketing/campaign_list.html"
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_add_campaign",
                        "can_edit_campaign", "can_end"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _ops

    def _values(self, campaign):
        if campaign is None:
            return {"kind": "full_reduction", "product_scope": "all", "customer_scope": "all",
                    "tiers": [], "level_ids": [], "product_ids": "", "member_phones": "",
                    "excluded_provinces": "",
                    "delivery_methods": list(service.DEFAULT_DELIVERY_METHODS)}
        tiers = []
        for t in campaign.tiers:
            value = rate_to_zhe(t.value) if campaign.kind == "full_discount" else t.value
            tiers.append({"threshold": t.threshold, "value": value, "gift": t.gift_batch_id})
        return {"name": campaign.name, "kind": campaign.kind,
                "per_threshold": campaign.per_threshold, "by_count": campaign.by_count,
                "starts_at": dt_value(campaign.starts_at), "ends_at": dt_value(campaign.ends_at),
                "product_scope": campaign.product_scope,
                "customer_scope": campaign.customer_scope, "tiers": tiers,
                "product_ids": ",".join(str(p.id) for p in campaign.products),
                "level_ids": [lv.id for lv in campaign.levels],
                "member_phones": "\n".join(m.phone or "" for m in campaign.members),
                "excluded_provinces": campaign.excluded_provinces or "",
                # NULL (a campaign from before the setting) covers every method.
                "delivery_methods": (campaign.delivery_methods.split(",")
                                     if campaign.delivery_methods
                                     else (service.delivery_codes()
                                           if campaign.kind == "free_shipping"
                                           else list(service.DEFAULT_DELIVERY_METHODS)))}

    def _tiers(self, kind, errors, values):
        tiers, shown = [], []
        gifts = {b.id: b for b in service.gift_batches(db.session)}
        for i in range(service.MAX_TIERS):
            threshold_text = form_text(f"threshold_{i}", 20)
            value_text = form_text(f"value_{i}", 20)
            gift_text = form_text(f"gift_{i}", 12)
            shown.append({"threshold": threshold_text, "value": value_text,
                          "gift": int(gift_text) if gift_text.isdigit() else None})
            if not threshold_text and not value_text and not gift_text:
                continue
            local = {}
            threshold = parse_decimal(f"threshold_{i}", local)
            value = parse_decimal(f"value_{i}", local, required=kind in (
                "full_reduction", "full_discount"))
            if kind == "full_discount" and value is not None:
                value = zhe_to_rate(value) if 0 < value < 10 else None
                if value is None:
                    local[f"value_{i}"] = _("折扣须在 0.1 折到 9.9 折之间")
            gift = gifts.get(int(gift_text)) if gift_text.isdigit() else None
            if local:
                errors["tiers"] = _("第 %(n)d 层：%(msg)s", n=i + 1, msg=next(iter(local.values())))
            tiers.append((threshold, value, gift))
        values["tiers"] = shown
        return tiers

    def _form(self, campaign=None):
        values = self._values(campaign)
        errors = {}
        if request.method == "POST":
            values = {k: form_text(k, 40) for k in ("name", "kind", "product_scope",
                                                    "customer_scope", "starts_at", "ends_at")}
            values["per_threshold"] = bool(request.form.get("per_threshold"))
            values["by_count"] = bool(request.form.get("by_count"))
            values["product_ids"] = form_text("product_ids", 2000)
            values["member_phones"] = form_text("member_phones", 4000)
            values["excluded_provinces"] = form_text("excluded_provinces", 300)
            values["level_ids"] = checked_ids("level_ids")
            # The form marks that it showed the checkboxes: none checked is then an error,
            # while a post without them (an older page) keeps the default.
            values["delivery_methods"] = [c[:20] for c in request.form.getlist(
                "delivery_methods")][:10] if request.form.get("delivery_methods_shown") \
                else None
            parsed = dict(values)
            parsed["starts_at"] = parse_datetime("starts_at", errors)
            parsed["ends_at"] = parse_datetime("ends_at", errors, required=False)
            tiers = self._tiers(values["kind"], errors, values)
            products = []
            if values["product_scope"] == "products":
                from app.views.marketing_forms import parse_ids

                products = parse_ids("product_ids", Product, db.session, errors, _("商品"))
            levels = db.session.execute(select(MemberLevel).where(
                MemberLevel.id.in_(values["level_ids"]))).scalars().all() \
                if values["level_ids"] else []
            members = []
            if values["customer_scope"] == "members":
                phones = [p.strip() for p in values["member_phones"].replace(",", "\n")
                          .splitlines() if p.strip()][:500]
                members = db.session.execute(select(Member).where(
                    Member.phone.in_(phones))).scalars().all() if phones else []
                missing = set(phones) - {m.phone for m in members}
                if missing:
                    errors["members"] = _("没有这些手机号的顾客：%(p)s",
                                          p="，".join(sorted(missing)[:10]))
            if not errors:
                try:
                    saved = service.save_campaign(db.session, parsed, tiers, products=products,
                                                  levels=levels, members=members,
                                                  campaign=campaign)
                    db.session.commit()
                except service.CampaignError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已保存营销活动“%(name)s”", name=saved.name), "success")
                    return redirect(url_for("CampaignView.list"))
        levels = db.session.execute(select(MemberLevel).order_by(MemberLevel.id)).scalars().all()
        return self.render_template(
            "marketing/campaign_form.html", title=_("编辑营销活动") if campaign else _("新增营销活动"),
            values=values, errors=errors, kinds=CAMPAIGN_KINDS, product_scopes=PRODUCT_SCOPES,
            customer_scopes=CUSTOMER_SCOPES, levels=levels, delivery_methods=DELIVERY_METHODS,
            default_delivery_methods=service.DEFAULT_DELIVERY_METHODS,
            gifts=service.gift_batches(db.session), max_tiers=service.MAX_TIERS,
            pickers=self.picker_context(values))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add_campaign(self):
        return self._form()

    @expose("/edit-campaign/<pk>", methods=["GET", "POST"])
    @has_access
    def edit_campaign(self, pk):
        campaign = self.get_visible(pk)
        if service.state(campaign) == "ended":
            flash(_("活动已结束，不能再修改"), "danger")
            return redirect(url_for("CampaignView.list"))
        return self._form(campaign)

    @expose("/end/<pk>", methods=["POST"])
    @has_access
    def end(self, pk):
        campaign = self.get_visible(pk)
        try:
            service.end_campaign(db.session, campaign)
            db.session.commit()
        except service.CampaignError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("已结束营销活动“%(name)s”", name=campaign.name), "success")
        return redirect(url_for("CampaignView.list"))


def register(appbuilder):
    add(appbuilder, CampaignView, "campaigns", _l("营销活动"), "marketing", "fa-bullhorn")
