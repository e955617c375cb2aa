"""我的商城 → 商城实名认证 (商家荣誉: 实名认证 + 消费者保障) for the merchant, and the platform
operator's review queues. Rules live in app/services/certification.py."""
import os
from datetime import datetime

from flask import Response, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.utils import safe_join

from app.admin import uploads
from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.pages import form_text, merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.base import china_now
from app.models.content import Certification, Guarantee
from app.services import certification as service
from app.services.errors import BusinessError
from app.views import add

CERT_FIELDS = ("company_name", "credit_code", "legal_person", "contact_name", "contact_phone")
GUARANTEE_FIELDS = ("amount", "paid_on", "payment_ref", "note")
NO_LICENCE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="100">'
                  '<rect width="160" height="100" fill="#eee"/><text x="80" y="55" '
                  'font-size="13" text-anchor="middle" fill="#999">{text}</text></svg>')


def _user_name():
    user = g.user
    return getattr(user, "display_name", None) or user.username


class CertificationView(BaseView):
    """商城实名认证: submit (or resubmit after 已驳回) and record the 消费者保障 deposit."""

    route_base = "/certification"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_show", "can_edit"]

    def _render(self, cert_values=None, cert_errors=None, guarantee_values=None,
                guarantee_errors=None, status=200):
        merchant_id = merchant_id_or_403()
        cert = service.certification_of(db.session, merchant_id)
        guarantee = service.guarantee_of(db.session, merchant_id)
        if cert_values is None:
            cert_values = {f: getattr(cert, f) or "" for f in CERT_FIELDS} if cert else {}
        if guarantee_values is None:
            guarantee_values = {}
            if guarantee is not None:
                guarantee_values = {"amount": str(guarantee.amount),
                                    "paid_on": guarantee.paid_on.isoformat(),
                                    "payment_ref": guarantee.payment_ref,
                                    "note": guarantee.note or ""}
        return self.render_template(
            "content/certification.html", title=_l("商城实名认证"), cert=cert,
            guarantee=guarantee, cert_values=cert_values, cert_errors=cert_errors or {},
            guarantee_values=guarantee_values, guarantee_errors=guarantee_errors or {},
            can_submit_cert=service.can_submit(cert),
            can_submit_guarantee=service.can_submit(guarantee),
            badges=service.badges(db.session, merchant_id)), status

    @expose("/")
    @has_access
    @permission_name("show")
    def index(self):
        return self._render()

    @expose("/submit", methods=["POST"])
    @has_access
    @permission_name("edit")
    def submit(self):
        merchant_id = merchant_id_or_403()
        current = service.certification_of(db.session, merchant_id)
        values = {f: form_text(f, 120) for f in CERT_FIELDS}
        values["credit_code"] = service.normalize_credit_code(values["credit_code"])
        if not service.can_submit(current):
            flash(_("实名认证正在审核或已通过，不能重复提交"), "warning")
            return redirect(url_for("CertificationView.index"))
        # Checked without the image first, so a bad field does not store an orphan upload.
        values["licence_image"] = current.licence_image if current else None
        upload = request.files.get("licence_image")
        has_upload = upload is not None and upload.filename
        if has_upload:
            values["licence_image"] = upload.filename  # stands in until the file is checked
        errors = {k: _(v) for k, v in service.certification_problems(values).items()}
        if not errors and has_upload:
            try:
                values["licence_image"] = uploads.save_image(upload)
            except BusinessError as exc:
                errors["licence_image"] = str(exc)
        if errors:
            flash(_("未提交：请修改标红的内容"), "danger")
            return self._render(cert_values=values, cert_errors=errors, status=422)
        try:
            service.submit_certification(db.session, merchant_id, values, china_now())
        except BusinessError as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect(url_for("CertificationView.index"))
        with audit_action(_("提交实名认证")):
            db.session.commit()
        flash(_("实名认证资料已提交，请等待平台审核"), "success")
        return redirect(url_for("CertificationView.index"))

    @expose("/guarantee", methods=["POST"])
    @has_access
    @permission_name("edit")
    def guarantee(self):
        merchant_id = merchant_id_or_403()
        values = {f: form_text(f, 200) for f in GUARANTEE_FIELDS}
        raw_paid_on = values["paid_on"]
        try:
            values["paid_on"] = datetime.strptime(raw_paid_on, "%Y-%m-%d").date()
        except ValueError:
            values["paid_on"] = None
        errors = {k: _(v) for k, v in service.guarantee_problems(
            values, china_now().date()).items()}
        if errors:
            flash(_("未提交：请修改标红的内容"), "danger")
            return self._render(guarantee_values=dict(values, paid_on=raw_paid_on),
                                guarantee_errors=errors, status=422)
        try:
            service.record_guarantee(db.session, merchant_id, values, china_now())
        except BusinessError as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect(url_for("CertificationView.index"))
        with audit_action(_("登记消费者保障保证金")):
            db.session.commit()
        flash(_("保证金缴纳记录已提交，平台确认到账后即加入消费者保障"), "success")
        return redirect(url_for("CertificationView.index"))

    @expose("/licence")
    @has_access
    @permission_name("show")
    def licence(self):
        """The merchant's own licence image (never another merchant's: no id in the URL)."""
        cert = service.certification_of(db.session, merchant_id_or_403())
        path = None
        if cert is not None and cert.licence_image:
            path = safe_join(current_app.config["UPLOAD_FOLDER"], cert.licence_image)
        if path is None or not os.path.isfile(path):
            # Nothing uploaded (yet): the <img> shows a "未上传" placeholder, not a broken image.
            svg = NO_LICENCE_SVG.format(text=escape(_("未上传营业执照")))
            return Response(svg, mimetype="image/svg+xml")
        return send_file(path, download_name=cert.licence_image)


# -- platform review queues -----------------------------------------------------------------
def _review_buttons(endpoint, pending_word):
    def render(row):
        if row.status != "pending":
            return ""
        return Markup('<a class="btn btn-xs btn-danger" href="{0}">{1}</a>').format(
            url_for(f"{endpoint}.reject", pk=row.id), pending_word)
    return render


class _ReviewQueue(TenantModelView):
    """Shared by both queues: approve by action, reject with a reason on its own page.
    Tenant rows behind the tenant base (the platform admin sees every merchant's row);
    not merchant-facing, so no merchant role can hold it."""

    merchant_facing = False
    base_order = ("submitted_at", "desc")
    approve_service = reject_service = None
    reject_title = None

    def approved_text(self, n):
        raise NotImplementedError

    def _review_one(self, fn, item, *args):
        try:
            fn(db.session, item, *args)
        except BusinessError as exc:
            db.session.rollback()
            return str(exc)
        return None

    def _approve(self, items):
        items = items if isinstance(items, list) else [items]
        done, problems = 0, []
        for item in items:
            problem = self._review_one(type(self).approve_service, item, _user_name(),
                                       china_now())
            if problem:
                problems.append(f"{item}: {problem}")
            else:
                done += 1
        db.session.commit()
        if done:
            flash(self.approved_text(done), "success")
        for problem in problems:
            flash(problem, "warning")
        return redirect(self.get_redirect())

    @expose("/reject/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("reject")
    def reject(self, pk):
        item = self.get_visible(pk)
        reason, error = "", None
        if request.method == "POST":
            reason = form_text("reason", 400)
            error = self._review_one(type(self).reject_service, item, reason, _user_name(),
                                     china_now())
            if error is None:
                with audit_action(_("驳回")):
                    db.session.commit()
                flash(_("已驳回，商家可修改后重新提交"), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        return self.render_template("content/review_reject.html", title=self.reject_title,
                                    item=item, reason=reason, error=error,
                                    back=url_for(f"{self.endpoint}.list")), (
            422 if error else 200)


class CertificationReviewView(_ReviewQueue):
    datamodel = AdminInterface(Certification)
    list_title = _l("实名认证审核")
    show_title = _l("实名认证详情")
    list_columns = ["merchant", "company_name", "credit_code", "legal_person", "licence_image",
                    "contact_name", "contact_phone", "status", "submitted_at", "review"]
    search_columns = ["status", "company_name", "credit_code", "submitted_at"]
    show_columns = ["merchant", "company_name", "credit_code", "legal_person", "licence_image",
                    "contact_name", "contact_phone", "status", "reject_reason",
                    "submitted_at", "submit_count", "reviewed_at", "reviewer"]
    export_columns = ["merchant", "company_name", "credit_code", "legal_person",
                      "contact_name", "contact_phone", "status", "reject_reason",
                      "submitted_at", "reviewed_at", "reviewer"]
    label_columns = {"review": _l("操作")}
    base_permissions = ["can_list", "can_show", "can_export", "can_download", "can_approve",
                        "can_reject"]
    formatters_columns = {"review": _review_buttons("CertificationReviewView", _l("驳回"))}
    approve_service = staticmethod(service.approve_certification)
    reject_service = staticmethod(service.reject_certification)
    reject_title = _l("驳回实名认证")

    def approved_text(self, n):
        return _("已通过 %(n)d 个实名认证", n=n)

    @action("approve", _l("审核通过"), _l("确定通过所选实名认证？通过后商城将展示实名认证标识"),
            "fa-check")
    def approve(self, items):
        return self._approve(items)


class GuaranteeReviewView(_ReviewQueue):
    datamodel = AdminInterface(Guarantee)
    list_title = _l("消费者保障确认")
    show_title = _l("消费者保障详情")
    list_columns = ["merchant", "amount", "paid_on", "payment_ref", "note", "status",
                    "submitted_at", "review"]
    search_columns = ["status", "payment_ref", "submitted_at"]
    show_columns = ["merchant", "amount", "paid_on", "payment_ref", "note", "status",
                    "reject_reason", "submitted_at", "reviewed_at", "reviewer"]
    export_columns = ["merchant", "amount", "paid_on", "payment_ref", "note", "status",
                      "reject_reason", "submitted_at", "reviewed_at", "reviewer"]
    label_columns = {"review": _l("操作")}
    base_permissions = ["can_list", "can_show", "can_export", "can_approve", "can_reject"]
    formatters_columns = {"review": _review_buttons("GuaranteeReviewView", _l("未到账，驳回"))}
    approve_service = staticmethod(service.confirm_guarantee)
    reject_service = staticmethod(service.reject_guarantee)
    reject_title = _l("驳回保证金记录")

    def approved_text(self, n):
        return _("已确认 %(n)d 笔保证金到账", n=n)

    @action("approve", _l("确认到账"), _l("确定所选保证金已到账？确认后商城将展示消费者保障标识"),
            "fa-check")
    def approve(self, items):
        return self._approve(items)


def register(appbuilder):
    add(appbuilder, CertificationView, "shop_certification", _l("商城实名认证"), "my_shop",
        "fa-id-card-o")
    add(appbuilder, CertificationReviewView, "certification_review", _l("实名认证审核"),
        "platform", "fa-id-card")
    add(appbuilder, GuaranteeReviewView, "guarantee_review", _l("消费者保障确认"), "platform",
        "fa-shield")
