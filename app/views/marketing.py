"""优惠券 (营销设置管理): the batch list with the guide's operations matrix as row links
(查看数据, 编辑, 发布, 派发, 领取, 废弃, 删除), the add/edit page, 派发 to chosen members,
the claim link and QR code, 核销 of a 普通券 code, and the members' coupons list.
Campaigns are in app/views/marketing_campaign.py."""
import re

from flask import current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from app.admin.interface import AdminInterface
from app.admin.pickers import MEMBER_PICKER, PRODUCT_PICKER, PickerMixin
from app.admin.pages import form_text
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.catalog import Product, ProductCategory
from app.models.marketing import (COUPON_KINDS, DISCOUNT_TYPES, GIFT_KINDS,
                                  MEMBER_COUPON_SOURCES, MEMBER_COUPON_STATUS, CouponBatch,
                                  MemberCoupon)
from app.models.member import Member
from app.models.shop import Shop
from app.services import coupon as service
from app.views import add
from app.views.marketing_forms import (checked_ids, dt_value, parse_datetime, parse_decimal,
                                       parse_ids, parse_int, parse_shop, rate_to_zhe,
                                       zhe_to_rate)
from app.views.shop import qr_png

STATS_ROWS = 200
LINKS = (("stats", "CouponBatchView.stats", _l("查看数据")),
         ("edit", "CouponBatchView.edit_batch", _l("编辑")),
         ("issue", "CouponBatchView.issue", _l("派发")),
         ("claim", "CouponBatchView.claim_link", _l("领取")),
         ("verify", "CouponBatchView.verify", _l("核销")))
POSTS = (("publish", "CouponBatchView.publish", _l("发布"), _l("发布后优惠券不能再修改，确定发布？")),
         ("void", "CouponBatchView.void", _l("废弃"), _l("废弃后未领取的优惠券立即失效，确定废弃？")),
         ("delete", "CouponBatchView.delete_batch", _l("删除"),
          _l("删除后已领取未使用的优惠券也会失效，确定删除？")))


def _ops(batch):
    parts = []
    for operation, endpoint, text in LINKS:
        if service.allowed(batch, operation):
            parts.append(Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
                url_for(endpoint, pk=batch.id), text))
    for operation, endpoint, text, confirm in POSTS:
        if service.allowed(batch, operation):
            parts.append(Markup(
                '<form method="post" action="{0}" style="display:inline" '
                'onsubmit="return confirm(\'{1}\')"><input type="hidden" name="csrf_token" '
                'value="{2}"><button class="btn btn-xs btn-default" type="submit">{3}</button>'
                '</form>').format(url_for(endpoint, pk=batch.id), confirm, generate_csrf(),
                                  text))
    return Markup(" ").join(parts)


def claim_url(batch):
    """The shop page that claims this batch (it calls POST /api/v1/coupons/<id>/claim)."""
    return f"{current_app.config['SHOP_PUBLIC_BASE_URL'].rstrip('/')}/coupon/{batch.id}"


class CouponBatchView(PickerMixin, TenantModelView):
    datamodel = AdminInterface(CouponBatch)
    pickers = {"product_ids": PRODUCT_PICKER}
    list_title = _l("优惠券管理")
    list_columns = ["name", "kind", "discount_type", "value_text", "threshold", "quantity",
                    "remaining", "validity", "shop_text", "status", "created_at", "ops"]
    search_columns = ["name", "kind", "discount_type", "status", "created_at", "valid_to"]
    show_columns = ["name", "kind", "discount_type", "value_text", "threshold", "code_prefix",
                    "code", "quantity", "remaining", "validity", "scope", "shop_text",
                    "per_member_limit", "gift_kind", "status", "published_at", "created_at"]
    export_columns = ["id", "name", "kind", "discount_type", "value", "threshold", "code",
                      "quantity", "remaining", "validity_type", "valid_from", "valid_to",
                      "valid_days", "scope", "shop_text", "per_member_limit", "status",
                      "created_at"]
    label_columns = {"value_text": _l("面额/折扣"), "validity": _l("有效时间"), "ops": _l("操作"),
                     "shop_text": _l("适用商城")}
    list_template = "marketing/coupon_list.html"
    base_order = ("id", "desc")
    base_filters = [["status", FilterNotEqual, "deleted"]]
    base_permissions = ["can_list", "can_show", "can_export", "can_add_batch",
                        "can_edit_batch", "can_publish", "can_issue", "can_claim_link",
                        "can_void", "can_delete_batch", "can_verify", "can_stats"]

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _ops

    # -- add / edit ------------------------------------------------------------------
    def _form_values(self, batch=None):
        if batch is None:
            return {"kind": "normal", "discount_type": "cash", "validity_type": "range",
                    "scope": "all", "per_member_limit": "1", "gift_kind": "none",
                    "threshold": "0", "shop_id": ""}
        value = rate_to_zhe(batch.value) if batch.discount_type == "discount" else batch.value
        return {"name": batch.name, "kind": batch.kind, "discount_type": batch.discount_type,
                "value": value, "threshold": batch.threshold,
                "code_prefix": batch.code_prefix or "", "code": batch.code or "",
                "quantity": batch.quantity, "validity_type": batch.validity_type,
                "valid_from": dt_value(batch.valid_from), "valid_to": dt_value(batch.valid_to),
                "valid_days": batch.valid_days or "", "scope": batch.scope,
                "per_member_limit": batch.per_member_limit, "gift_kind": batch.gift_kind,
                "shop_id": str(batch.shop_id or ""),
                "product_ids": ",".join(str(p.id) for p in batch.products),
                "category_ids": [c.id for c in batch.categories]}

    def _batch_form(self, batch=None):
        values = self._form_values(batch)
        errors = {}
        shops = db.session.execute(select(Shop).order_by(Shop.id)).scalars().all()
        if request.method == "POST":
            values = {k: form_text(k, 40) for k in (
                "name", "kind", "discount_type", "value", "threshold", "code_prefix", "code",
                "quantity", "validity_type", "valid_from", "valid_to", "valid_days", "scope",
                "per_member_limit", "gift_kind")}
            values["product_ids"] = form_text("product_ids", 2000)
            values["category_ids"] = checked_ids("category_ids")
            values["shop_id"] = form_text("shop_id", 12)
            parsed = {k: values[k] for k in ("name", "kind", "discount_type", "code_prefix",
                                             "code", "validity_type", "scope", "gift_kind")}
            parsed["value"] = parse_decimal("value", errors)
            if parsed["discount_type"] == "discount" and parsed["value"] is not None:
                if not 0 < parsed["value"] < 10:
                    errors["value"] = _("折扣须在 0.1 折到 9.9 折之间")
                parsed["value"] = zhe_to_rate(parsed["value"])
            parsed["threshold"] = parse_decimal("threshold", errors)
            parsed["quantity"] = parse_int("quantity", errors)
            parsed["per_member_limit"] = parse_int("per_member_limit", errors)
            parsed["shop_id"] = parse_shop("shop_id", shops, errors)
            range_ = parsed["validity_type"] == "range"
            parsed["valid_from"] = parse_datetime("valid_from", errors, required=range_)
            parsed["valid_to"] = parse_datetime("valid_to", errors, required=range_)
            parsed["valid_days"] = parse_int("valid_days", errors, required=not range_)
            products = parse_ids("product_ids", Product, db.session, errors, _("商品")) \
                if parsed["scope"] == "products" else []
            categories = db.session.execute(select(ProductCategory).where(
                ProductCategory.id.in_(values["category_ids"]))).scalars().all() \
                if parsed["scope"] == "categories" and values["category_ids"] else []
            parsed["product_ids"] = [p.id for p in products]
            parsed["category_ids"] = [c.id for c in categories]
            # every field's error at once: the parse error first, else the rule's
            checked = {("product_ids" if k == "products" else k): _(v)
                       for k, v in service.check_batch(parsed).items()}
            errors = {**checked, **errors}
            if not errors:
                try:
                    saved = service.save_batch(db.session, parsed, batch=batch,
                                               products=products, categories=categories)
                    db.session.commit()
                except service.CouponError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已保存优惠券“%(name)s”，发布后即可派发或领取", name=saved.name),
                          "success")
                    return redirect(url_for("CouponBatchView.list"))
        categories = db.session.execute(select(ProductCategory).order_by(
            ProductCategory.sort, ProductCategory.id)).scalars().all()
        return self.render_template(
            "marketing/coupon_form.html", title=_("编辑优惠券") if batch else _("新增优惠券"),
            values=values, errors=errors, categories=categories, kinds=COUPON_KINDS,
            discount_types=DISCOUNT_TYPES, gift_kinds=GIFT_KINDS, batch=batch,
            pickers=self.picker_context(values),
            shop_choices=[("", _("全部商城"))] + [(str(s.id), s.name) for s in shops])

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add_batch(self):
        return self._batch_form()

    @expose("/edit-batch/<pk>", methods=["GET", "POST"])
    @has_access
    def edit_batch(self, pk):
        batch = self.get_visible(pk)
        if not service.allowed(batch, "edit"):
            flash(_("优惠券已发布，不能再修改"), "danger")
            return redirect(url_for("CouponBatchView.list"))
        return self._batch_form(batch)

    # -- state changes (POST) ---------------------------------------------------------
    def _post(self, pk, operation, done):
        batch = self.get_visible(pk)
        try:
            getattr(service, operation)(db.session, batch)
            db.session.commit()
        except service.CouponError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(done % {"name": batch.name}, "success")
        return redirect(url_for("CouponBatchView.list"))

    @expose("/publish/<pk>", methods=["POST"])
    @has_access
    def publish(self, pk):
        return self._post(pk, "publish", _("已发布优惠券“%(name)s”"))

    @expose("/void/<pk>", methods=["POST"])
    @has_access
    def void(self, pk):
        return self._post(pk, "void", _("已废弃优惠券“%(name)s”"))

    @expose("/delete-batch/<pk>", methods=["POST"])
    @has_access
    def delete_batch(self, pk):
        return self._post(pk, "delete", _("已删除优惠券“%(name)s”"))

    # -- 派发 ---------------------------------------------------------------------------
    # The member picker of 派发 lists customers, so it sits behind the 派发 permission
    # (the view's ``picker`` endpoint needs only list).
    issue_pickers = {"member_phones": MEMBER_PICKER}

    @expose("/issue-picker")
    @has_access
    @permission_name("issue")
    def issue_picker(self):
        return self.picker_response(self.issue_pickers)

    @expose("/issue/<pk>", methods=["GET", "POST"])
    @has_access
    def issue(self, pk):
        """派发: pick members with the reusable picker (phones, one per line, without
        JavaScript) and give each the same quantity. ``qty_<member id>`` fields (a quantity
        per member) are still accepted and add to that."""
        batch = self.get_visible(pk)
        errors = {}
        values = {"member_phones": (request.values.get("member_phones") or "")[:4000],
                  "quantity": (request.values.get("quantity") or "1").strip()[:10]}
        if request.method == "POST":
            values["member_phones"] = form_text("member_phones", 4000)
            values["quantity"] = form_text("quantity", 10)
            wanted = {}
            for key, text in request.form.items():
                match = re.fullmatch(r"qty_(\d{1,12})", key)
                if match and text.strip():
                    if not text.strip().isdigit():
                        errors["quantity"] = _("派发数量须为整数")
                        break
                    if int(text) > 0:
                        wanted[int(match.group(1))] = int(text)
            phones = MEMBER_PICKER.split(values["member_phones"])
            picked = []
            if phones:
                quantity = values["quantity"]
                if not quantity.isdigit() or not 1 <= int(quantity) <= 1000:
                    errors["quantity"] = _("每位顾客的派发数量须为 1 到 1000 之间的整数")
                picked = db.session.execute(select(Member).where(
                    Member.phone.in_(phones))).scalars().all()
                missing = set(phones) - {m.phone for m in picked}
                if missing:
                    errors["member_phones"] = _("没有这些手机号的顾客：%(p)s",
                                                p="，".join(sorted(missing)[:10]))
                elif "quantity" not in errors:
                    for member in picked:
                        wanted[member.id] = wanted.get(member.id, 0) + int(quantity)
            members = db.session.execute(select(Member).where(
                Member.id.in_(list(wanted)))).scalars().all() if wanted else []
            if not errors:
                try:
                    rows = service.issue(db.session, batch,
                                         [(m, wanted[m.id]) for m in members],
                                         operator_id=g.user.id)
                    db.session.commit()
                except service.CouponError as exc:
                    db.session.rollback()
                    db.session.refresh(batch)
                    errors[exc.field or "quantity"] = str(exc)
                else:
                    flash(_("已派发 %(n)d 张优惠券给 %(m)d 位顾客", n=len(rows), m=len(members)),
                          "success")
                    return redirect(url_for("CouponBatchView.stats", pk=batch.id))
        return self.render_template(
            "marketing/coupon_issue.html", title=_("派发优惠券"), batch=batch, errors=errors,
            values=values, pickers=self.picker_context(values, self.issue_pickers,
                                                       "issue_picker"))

    # -- 领取 ---------------------------------------------------------------------------
    @expose("/claim-link/<pk>")
    @has_access
    def claim_link(self, pk):
        """领取: the claim link and its QR code (?png=1 shows it, ?download=1 saves it)."""
        batch = self.get_visible(pk)
        if batch.kind != "normal":
            flash(_("复用券无法领取"), "danger")
            return redirect(url_for("CouponBatchView.list"))
        url = claim_url(batch)
        if request.args.get("download") or request.args.get("png"):
            safe_name = re.sub(r"[\\/:*?\"<>|]", "_", batch.name)
            return send_file(qr_png(url), mimetype="image/png",
                             as_attachment=bool(request.args.get("download")),
                             download_name=f"{safe_name}_领券二维码.png")
        return self.render_template("marketing/coupon_claim.html", title=_("领取优惠券"),
                                    batch=batch, url=url)

    # -- 核销 ---------------------------------------------------------------------------
    @expose("/verify/<pk>", methods=["GET", "POST"])
    @has_access
    def verify(self, pk):
        """核销 a 普通券 code of this batch."""
        batch = self.get_visible(pk)
        errors, code = {}, ""
        if request.method == "POST":
            code = form_text("code", 32)
            row = db.session.execute(select(MemberCoupon).where(
                MemberCoupon.code == code.upper(), MemberCoupon.batch_id == batch.id)).scalar()
            if row is None and code:
                errors["code"] = _("该优惠券中没有这个优惠码")
            else:
                try:
                    done = service.verify(db.session, code)
                    db.session.commit()
                except service.CouponError as exc:
                    db.session.rollback()
                    errors["code"] = str(exc)
                else:
                    flash(_("核销成功：%(code)s（%(member)s）", code=done.code,
                            member=done.member.nickname), "success")
                    return redirect(url_for("CouponBatchView.verify", pk=batch.id))
        return self.render_template("marketing/coupon_verify.html", title=_("核销优惠码"),
                                    batch=batch, code=code, errors=errors)

    # -- 查看数据 -------------------------------------------------------------------------
    @expose("/stats/<pk>")
    @has_access
    def stats(self, pk):
        batch = self.get_visible(pk)
        rows = db.session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == batch.id).order_by(MemberCoupon.id.desc())
            .limit(STATS_ROWS)).scalars().all()
        return self.render_template("marketing/coupon_stats.html", title=_("优惠券数据"),
                                    batch=batch, numbers=service.stats(db.session, batch),
                                    rows=rows, sources=dict(MEMBER_COUPON_SOURCES),
                                    statuses=dict(MEMBER_COUPON_STATUS))


class MemberCouponView(TenantModelView):
    """会员优惠券: every coupon members hold, searchable by code and state."""

    datamodel = AdminInterface(MemberCoupon)
    list_title = _l("会员优惠券")
    list_columns = ["member", "batch", "shop_text", "code", "source", "status", "valid_to",
                    "used_at", "order_no", "created_at"]
    search_columns = ["code", "status", "source", "order_no", "created_at"]
    show_columns = list_columns
    export_columns = ["member", "member.phone", "batch", "shop_text", "code", "source",
                      "status", "valid_from", "valid_to", "used_at", "order_no", "created_at"]
    label_columns = {"shop_text": _l("适用商城")}
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_export"]


def register(appbuilder):
    add(appbuilder, CouponBatchView, "coupon_batches", _l("优惠券管理"), "marketing",
        "fa-ticket")
    add(appbuilder, MemberCouponView, "member_coupons", _l("会员优惠券"), "marketing",
        "fa-id-card-o")
