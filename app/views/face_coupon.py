"""插件管理 → AI 刷脸设置 (campaigns: 设置基本信息, 设置优惠券, 查看发放状态, the phone-width H5
demo), 刷脸记录 (exportable scan records) and 识别服务设置 (provider, Tencent keys, photo
retention). Business rules live in app/services/face_coupon.py."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import or_, select

from app.admin.interface import AdminInterface
from app.admin.labels import mask_secret
from app.admin.pages import decimal_text, form_text, merchant_id_or_403
from app.admin import uploads
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.face_coupon import (FACE_CAMPAIGN_STATUS, FACE_PROVIDERS, GENDERS, RULE_MODES,
                                    SCAN_RESULTS, FaceCampaign, FaceScan)
from app.models.member import Member
from app.models.shop import Shop
from app.services import face_coupon as service
from app.services.errors import BusinessError
from app.services.face_analysis import LocalProvider, measures_beauty
from app.views import add
from app.views.marketing_forms import datetime_text, dt_value

DEMO_MEMBER_ROWS = 20
SCAN_ROWS = 50
BAND_FIELDS = ("beauty_min", "beauty_max", "gender", "age_min", "age_max")
TIER_FIELDS = ("amount", "quantity", "valid_from", "valid_to") + BAND_FIELDS


def _settings():
    return service.settings_of(db.session)


def _ops(campaign):
    links = (("FaceCampaignView.edit_campaign", _l("设置基本信息")),
             ("FaceCampaignView.tiers", _l("设置优惠券")),
             ("FaceCampaignView.issuing", _l("查看发放状态")),
             ("FaceCampaignView.demo", _l("手机预览")))
    return Markup(" ").join(
        Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for(endpoint, pk=campaign.id), text) for endpoint, text in links)


# -- posted text -> values, one Chinese error per field ------------------------------------------
def _int_or_none(text, errors, key):
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        errors[key] = _("请输入整数")
        return None
    return int(text)


def _band_values(raw, prefix, errors):
    values = {"gender": raw.get("gender") or "any"}
    for name in ("beauty_min", "beauty_max", "age_min", "age_max"):
        values[name] = _int_or_none(raw.get(name), errors, f"{prefix}{name}")
    return values


def _checked(prefix, problems, errors):
    for field, message in problems.items():
        errors.setdefault(f"{prefix}{field}", _(message))


class FaceCampaignView(TenantModelView):
    """AI 刷脸设置: the campaign list and its pages."""

    datamodel = AdminInterface(FaceCampaign)
    list_title = _l("AI 刷脸设置")
    list_columns = ["name", "shop", "status", "rule_mode", "participation_limit",
                    "tier_summary", "created_at", "ops"]
    search_columns = ["name", "status", "created_at"]
    show_columns = ["name", "shop", "status", "rule_mode", "participation_limit",
                    "share_title", "share_image", "tier_summary", "created_at"]
    label_columns = {"tier_summary": _l("优惠券档位"), "ops": _l("操作")}
    list_template = "face_coupon/campaign_list.html"
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_download", "can_add_campaign",
                        "can_edit_campaign", "can_tiers", "can_issuing", "can_demo"]
    permission_labels = {"can_add_campaign": _l("新增活动"),
                         "can_edit_campaign": _l("设置基本信息"),
                         "can_tiers": _l("设置优惠券"), "can_issuing": _l("查看发放状态"),
                         "can_demo": _l("手机预览")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _ops

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            # the list page also says which provider is active and what it measures
            kwargs.update(provider_measures_beauty=measures_beauty(_settings()),
                          local_available=LocalProvider.available())
        return super().render_template(template, **kwargs)

    # -- 设置基本信息 ------------------------------------------------------------------------
    def _campaign_form(self, campaign=None):
        settings = _settings()
        beauty = measures_beauty(settings)
        shops = db.session.execute(select(Shop).order_by(Shop.id)).scalars().all()
        if campaign is None:
            values = {"status": "active", "participation_limit": "1",
                      "rule_mode": "beauty" if beauty else "age_gender", "rules": ""}
        else:
            values = {"name": campaign.name, "shop_id": campaign.shop_id,
                      "rules": campaign.rules or "", "share_title": campaign.share_title or "",
                      "status": campaign.status, "rule_mode": campaign.rule_mode,
                      "participation_limit": campaign.participation_limit}
        errors = {}
        if request.method == "POST":
            values = {k: form_text(k, 60) for k in ("name", "shop_id", "share_title", "status",
                                                      "participation_limit", "rule_mode")}
            values["rules"] = (request.form.get("rules") or "")[:service.RULES_MAX + 1]
            shop_id = values["shop_id"]
            shop = next((s for s in shops if str(s.id) == shop_id), None)
            limit = _int_or_none(values["participation_limit"], errors, "participation_limit")
            if limit is None and "participation_limit" not in errors:
                errors["participation_limit"] = _("请填写此项")
            image = request.files.get("share_image")
            stored_image = None
            parsed = dict(values, shop=shop, participation_limit=limit)
            _checked("", service.check_campaign(parsed, beauty), errors)
            if not errors and image is not None and image.filename:
                try:
                    stored_image = uploads.save_image(image)
                except BusinessError as exc:
                    errors["share_image"] = str(exc)
            if not errors:
                parsed["share_image"] = stored_image
                saved, problems = service.save_campaign(db.session, parsed, beauty, campaign)
                if problems:
                    db.session.rollback()
                    _checked("", problems, errors)
                else:
                    db.session.commit()
                    flash(_("已保存活动“%(name)s”", name=saved.name), "success")
                    if not saved.tiers:
                        flash(_("请继续设置优惠券"), "info")
                        return redirect(url_for("FaceCampaignView.tiers", pk=saved.id))
                    return redirect(url_for("FaceCampaignView.list"))
        return self.render_template(
            "face_coupon/campaign_form.html",
            title=_("设置基本信息") if campaign else _("新增 AI 刷脸活动"), values=values,
            errors=errors, shops=shops, campaign=campaign, statuses=FACE_CAMPAIGN_STATUS,
            rule_modes=RULE_MODES, measures_beauty=beauty, rules_max=service.RULES_MAX,
            image_mb=self.appbuilder.app.config["IMAGE_MAX_MB"])

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add_campaign(self):
        merchant_id_or_403()
        return self._campaign_form()

    @expose("/edit-campaign/<pk>", methods=["GET", "POST"])
    @has_access
    def edit_campaign(self, pk):
        return self._campaign_form(self.get_visible(pk))

    # -- 设置优惠券 --------------------------------------------------------------------------
    @expose("/tiers/<pk>", methods=["GET", "POST"])
    @has_access
    def tiers(self, pk):
        """设置优惠券: existing tiers (their band can change) and new rows ("+")."""
        campaign = self.get_visible(pk)
        errors, new_rows = {}, []
        bands = {t.id: {f: getattr(t, f) for f in BAND_FIELDS} for t in campaign.tiers}
        if request.method == "POST":
            now = service.china_now()
            updates = []
            for tier in campaign.tiers:
                prefix = f"t{tier.id}_"
                raw = {f: form_text(prefix + f, 12) for f in BAND_FIELDS}
                bands[tier.id] = raw
                values = _band_values(raw, prefix, errors)
                _checked(prefix, service.check_band(values), errors)
                updates.append((tier, values))
            columns = {f: request.form.getlist("new_" + f) for f in TIER_FIELDS}
            count = max((len(v) for v in columns.values()), default=0)
            additions = []
            for i in range(min(count, service.MAX_TIERS)):
                raw = {f: (columns[f][i] if i < len(columns[f]) else "").strip()[:20]
                       for f in TIER_FIELDS}
                if not any(raw[f] for f in ("amount", "quantity", "valid_from", "valid_to")):
                    continue
                prefix = f"new{len(new_rows)}_"
                new_rows.append(raw)
                values = _band_values(raw, prefix, errors)
                values["amount"] = decimal_text(raw["amount"], errors, prefix + "amount")
                values["quantity"] = _int_or_none(raw["quantity"], errors, prefix + "quantity")
                if values["quantity"] is None:
                    errors.setdefault(prefix + "quantity", _("请填写此项"))
                values["valid_from"] = datetime_text(raw["valid_from"], errors,
                                                     prefix + "valid_from")
                values["valid_to"] = datetime_text(raw["valid_to"], errors, prefix + "valid_to")
                _checked(prefix, service.check_tier(values, now), errors)
                additions.append(values)
            if len(campaign.tiers) + len(additions) > service.MAX_TIERS:
                errors["tiers"] = _("每个活动最多设置 10 档优惠券")
            if not campaign.tiers and not additions and not errors:
                errors["tiers"] = _("请至少设置一档优惠券")
            if not errors:
                try:
                    for tier, values in updates:
                        service.update_band(db.session, tier, values)
                    for values in additions:
                        service.add_tier(db.session, campaign, values, now=now)
                    db.session.commit()
                except BusinessError as exc:
                    db.session.rollback()
                    errors["tiers"] = str(exc)
                else:
                    flash(_("已保存优惠券设置，新增 %(n)d 档", n=len(additions)), "success")
                    return redirect(url_for("FaceCampaignView.issuing", pk=campaign.id))
        if not new_rows and not campaign.tiers:
            new_rows = [{"gender": "any"}]
        return self.render_template(
            "face_coupon/tiers.html", title=_("设置优惠券"), campaign=campaign,
            bands=bands, new_rows=new_rows, errors=errors, genders=GENDERS,
            dt_value=dt_value, measures_beauty=measures_beauty(_settings()))

    # -- 查看发放状态 ------------------------------------------------------------------------
    @expose("/issuing/<pk>")
    @has_access
    def issuing(self, pk):
        campaign = self.get_visible(pk)
        scans = db.session.execute(select(FaceScan).where(
            FaceScan.campaign_id == campaign.id).order_by(FaceScan.id.desc())
            .limit(SCAN_ROWS)).scalars().all()
        return self.render_template(
            "face_coupon/issuing.html", title=_("查看发放状态"), campaign=campaign,
            status=service.issuing_status(db.session, campaign), scans=scans,
            results=dict(SCAN_RESULTS), genders=dict(GENDERS))

    # -- H5 demo -----------------------------------------------------------------------------
    @expose("/demo/<pk>")
    @has_access
    def demo(self, pk):
        """The shopper page at phone width, driven by the shop JSON API as a chosen member."""
        from app.services.member import issue_member_token

        campaign = self.get_visible(pk)
        term = (request.args.get("q") or "").strip()[:20]
        query = select(Member).order_by(Member.id.desc()).limit(DEMO_MEMBER_ROWS)
        if term:
            query = query.where(or_(Member.phone.startswith(term, autoescape=True),
                                    Member.nickname.startswith(term, autoescape=True)))
        members = db.session.execute(query).scalars().all()
        member, token = None, None
        member_id = request.args.get("member", "")
        if member_id.isdigit():
            member = db.session.get(Member, int(member_id))
            if member is None:
                abort(404)
            token = issue_member_token(member)
        return self.render_template(
            "face_coupon/demo.html", title=_("手机预览"), campaign=campaign, members=members,
            member=member, token=token, term=term,
            api_info=url_for("api_v1.face_campaign_info", campaign_id=campaign.id),
            api_scan=url_for("api_v1.face_scan", campaign_id=campaign.id))


class FaceScanView(TenantModelView):
    """刷脸记录: every scan with its scores, photo hash and coupon, exportable."""

    datamodel = AdminInterface(FaceScan)
    list_title = _l("刷脸记录")
    list_columns = ["created_at", "campaign", "member", "result", "beauty", "gender", "age",
                    "amount", "coupon_code", "provider", "photo_expires_at"]
    search_columns = ["campaign", "result", "created_at", "image_sha256", "coupon_code"]
    show_columns = ["created_at", "campaign", "member", "slot", "result", "provider", "beauty",
                    "gender", "age", "amount", "coupon_code", "image_sha256",
                    "photo_expires_at", "photo"]
    export_columns = ["id", "created_at", "campaign", "member", "member.phone", "result",
                      "provider", "beauty", "gender", "age", "amount", "coupon_code",
                      "image_sha256", "photo_expires_at"]
    label_columns = {"photo": _l("照片"), "member.phone": _l("手机号")}
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_photo"]
    permission_labels = {"can_photo": _l("查看保留的照片")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["photo"] = self._photo_link

    @staticmethod
    def _photo_link(scan):
        if scan.photo_expires_at is None or scan.photo_expires_at <= service.china_now():
            return _("未保留（识别后已删除）")
        return Markup('<a href="{0}" target="_blank">{1}</a>').format(
            url_for("FaceScanView.photo", pk=scan.id), _("查看照片（加密保存）"))

    @expose("/photo/<pk>")
    @has_access
    def photo(self, pk):
        """A retained photo, decrypted for this merchant only while it is kept."""
        scan = self.get_visible(pk)
        found = service.retained_photo(db.session, scan)
        if found is None:
            abort(404)
        data, content_type = found
        response = Response(data, mimetype=content_type)
        response.headers["Cache-Control"] = "no-store"
        return response


class FaceSettingsView(BaseView):
    """识别服务设置: provider, the merchant's Tencent Cloud keys (encrypted, masked) and how
    long photos are kept (0 = deleted right after analysis, at most 7 days, encrypted)."""

    route_base = "/facesettings"
    default_view = "settings"
    merchant_facing = True
    base_permissions = ["can_settings"]
    permission_labels = {"can_settings": _l("识别服务设置")}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def settings(self):
        merchant_id_or_403()
        current = _settings()
        values = {"provider": current.provider if current else "local",
                  "tencent_region": current.tencent_region if current else "ap-guangzhou",
                  "retention_days": current.retention_days if current else 0}
        errors = {}
        if request.method == "POST":
            values = {k: form_text(k, 70) for k in ("provider", "tencent_region",
                                                    "retention_days")}
            days = _int_or_none(values["retention_days"], errors, "retention_days")
            if days is None and "retention_days" not in errors:
                days = 0
            if not errors:
                saved, problems = service.save_settings(
                    db.session, provider=values["provider"],
                    secret_id=form_text("tencent_secret_id", 70),
                    secret_key=form_text("tencent_secret_key", 70),
                    region=values["tencent_region"], retention_days=days)
                if problems:
                    db.session.rollback()
                    _checked("", problems, errors)
                else:
                    db.session.commit()
                    flash(_("已保存识别服务设置"), "success")
                    return redirect(url_for("FaceSettingsView.settings"))
        return self.render_template(
            "face_coupon/settings.html", title=_("识别服务设置"), values=values, errors=errors,
            providers=FACE_PROVIDERS, local_available=LocalProvider.available(),
            masked_id=mask_secret(current.tencent_secret_id) if current else "",
            masked_key=mask_secret(current.tencent_secret_key) if current else "",
            csrf=generate_csrf())


def register(appbuilder):
    add(appbuilder, FaceCampaignView, "face_campaigns", _l("AI 刷脸设置"), "plugins",
        "fa-smile-o")
    add(appbuilder, FaceScanView, "face_scans", _l("刷脸记录"), "plugins", "fa-camera")
    add(appbuilder, FaceSettingsView, "face_settings", _l("识别服务设置"), "plugins",
        "fa-sliders")
