"""公众号设置: 自定义菜单, 模板消息 (settings and send log), 微信会员卡, 用户绑定管理.

Custom views for the flows that are not CRUD (menu designer, template settings, member
card), TenantModelViews for the lists. Rules are in app/services/official_account.py and,
for 用户绑定管理, app/services/binding.py; calls to WeChat go through
app/wechat/official_api.py, after the input has been accepted, and their Chinese errors are
shown as they come.
"""
import json

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.official_account import (TEMPLATE_EVENTS, BindingRequest, TemplateMessageLog)
from app.services import binding as binding_service
from app.services import official_account as service
from app.services import wechat as wechat_service
from app.services.errors import BusinessError
from app.views import add
from app.admin.pages import form_text, merchant_id_or_403, qr_data_uri
from app.wechat import official_api
from app.wechat.callbacks import official_account
from app.wechat.errors import WeChatError


def _account():
    """The merchant's official account for API calls, or a WeChatError to show."""
    config = wechat_service.official_account(db.session, merchant_id_or_403())
    if config is None or not config.appid or not config.app_secret:
        raise WeChatError(_("请先在【开发者配置】中填写公众号的 AppID 和 AppSecret"),
                          code="no_credentials")
    return official_account(config)


def _wechat_failed(prefix, exc):
    message = str(exc)
    if exc.fix:
        message = f"{message}。{exc.fix}"
    flash(_("%(what)s失败：%(reason)s", what=prefix, reason=message), "danger")


# -- 自定义菜单 ---------------------------------------------------------------------------------
class OfficialMenuView(BaseView):
    """自定义菜单 designer: 3 top-level buttons with up to 5 sub-buttons each."""

    route_base = "/officialmenu"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    def _render(self, row, slots=None, errors=None, status=200):
        if slots is None:
            slots, _skipped = service.slots_from_menu(service.draft_of(row))
        return self.render_template(
            "official_account/menu.html", title=_l("自定义菜单"), row=row, slots=slots,
            errors=errors or {}, max_sub=service.MAX_SUB_BUTTONS), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        return self._render(service.menu_row(db.session, merchant_id_or_403()))

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("setup")
    def save(self):
        """保存草稿 or 发布: every limit is checked before anything is saved or sent."""
        row = service.menu_row(db.session, merchant_id_or_403())
        slots = service.slots_from_form(request.form.get)
        menu, errors = service.build_menu(slots)
        if errors:
            db.session.rollback()
            flash(_("菜单未保存：请修改标红的内容"), "danger")
            return self._render(row, slots, errors, 422)
        if request.form.get("action") != "publish":
            service.save_draft(row, menu)
            with audit_action(_("自定义菜单：保存草稿")):
                db.session.add(row)
                db.session.commit()
            flash(_("菜单草稿已保存（尚未发布到公众号）"), "success")
            return redirect(url_for("OfficialMenuView.index"))
        try:
            official_api.publish_menu(_account(), menu)
        except WeChatError as exc:
            db.session.rollback()
            _wechat_failed(_("发布菜单"), exc)
            return self._render(row, slots, {}, 502 if exc.code == "network" else 422)
        service.mark_published(row, menu)
        with audit_action(_("自定义菜单：发布")):
            db.session.add(row)
            db.session.commit()
        flash(_("菜单已发布。微信客户端约 5 分钟内更新，重新关注公众号可立即看到效果"), "success")
        return redirect(url_for("OfficialMenuView.index"))

    @expose("/pull", methods=["POST"])
    @has_access
    @permission_name("setup")
    def pull(self):
        """拉取当前菜单: what WeChat has becomes the draft."""
        row = service.menu_row(db.session, merchant_id_or_403())
        try:
            menu = official_api.current_menu(_account())
        except WeChatError as exc:
            db.session.rollback()
            _wechat_failed(_("拉取菜单"), exc)
            return redirect(url_for("OfficialMenuView.index"))
        if menu is None:
            flash(_("公众号当前没有自定义菜单，草稿未改动"), "info")
            return redirect(url_for("OfficialMenuView.index"))
        skipped = service.load_pulled(row, menu)
        with audit_action(_("自定义菜单：拉取当前菜单")):
            db.session.add(row)
            db.session.commit()
        flash(_("已把公众号当前菜单载入草稿"), "success")
        if skipped:
            flash(_("以下菜单的类型暂不支持编辑，未载入：%(names)s", names="、".join(skipped)),
                  "warning")
        return redirect(url_for("OfficialMenuView.index"))


# -- 模板消息 -----------------------------------------------------------------------------------
class TemplateSettingView(BaseView):
    """模板消息设置: which template id each event is sent with."""

    route_base = "/officialtemplates"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    def _render(self, errors=None, values=None, templates=None, status=200):
        settings = service.template_settings(db.session)
        return self.render_template(
            "official_account/templates.html", title=_l("模板消息"), events=TEMPLATE_EVENTS,
            settings=settings, errors=errors or {}, values=values or {},
            templates=templates), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        merchant_id_or_403()
        return self._render()

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("setup")
    def save(self):
        merchant_id = merchant_id_or_403()
        values = {code: (form_text(f"{code}_template_id"), bool(request.form.get(f"{code}_enabled")))
                  for code, _label in TEMPLATE_EVENTS}
        errors = service.save_template_settings(db.session, merchant_id, values)
        if errors:
            db.session.rollback()
            return self._render(errors, request.form, status=422)
        with audit_action(_("模板消息设置")):
            db.session.commit()
        flash(_("模板消息设置已保存"), "success")
        return redirect(url_for("TemplateSettingView.index"))

    @expose("/templates", methods=["POST"])
    @has_access
    @permission_name("setup")
    def templates(self):
        """读取我的模板: the account's templates, to copy their ids."""
        merchant_id_or_403()
        try:
            templates = official_api.private_templates(_account())
        except WeChatError as exc:
            _wechat_failed(_("读取模板列表"), exc)
            return redirect(url_for("TemplateSettingView.index"))
        return self._render(templates=templates)


class TemplateMessageLogView(TenantModelView):
    datamodel = AdminInterface(TemplateMessageLog)
    list_title = _l("模板消息发送记录")
    list_columns = ["created_at", "event", "openid", "template_id", "status", "reason",
                    "sent_at"]
    search_columns = ["event", "status", "openid", "created_at"]
    show_columns = list_columns + ["url", "payload", "msgid"]
    export_columns = list_columns + ["msgid"]
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export"]


# -- 微信会员卡 ---------------------------------------------------------------------------------
class MemberCardView(BaseView):
    """微信会员卡: create it once through the card API and show the claim QR code."""

    route_base = "/membercard"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    def _render(self, errors=None, values=None, status=200):
        card = service.member_card(db.session)
        links = json.loads(card.links) if card is not None else []
        qr = qr_data_uri(card.qr_url) if card is not None and card.qr_url else None
        return self.render_template(
            "official_account/member_card.html", title=_l("微信会员卡"), card=card,
            card_links=links, qr=qr, colors=service.CARD_COLORS, errors=errors or {},
            values=values or {}, link_slots=range(service.CARD_LINKS_MAX)), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        merchant_id_or_403()
        return self._render()

    def _values(self):
        return {"brand_name": form_text("brand_name"), "title": form_text("title"),
                "color": form_text("color"),
                "prerogative": (request.form.get("prerogative") or "").strip()[:1100],
                "links": [(form_text(f"link{i}_name"), form_text(f"link{i}_tips"),
                           form_text(f"link{i}_url")) for i in range(service.CARD_LINKS_MAX)]}

    def _image(self, field, max_size, required, errors):
        upload = request.files.get(field)
        if upload is None or not upload.filename:
            if required:
                errors[field] = service.OfficialError(_("请选择商户 logo 图片"))
            return None
        data = upload.read(service.IMAGE_MAX_BYTES + 1)
        try:
            service.check_card_image(data, upload.filename, field, max_size)
        except service.OfficialError as exc:
            errors[field] = exc
            return None
        return data, upload.filename

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("setup")
    def create(self):
        merchant_id = merchant_id_or_403()
        if service.member_card(db.session) is not None:
            flash(_("会员卡已创建，微信会员卡创建后无法删除或重复创建"), "warning")
            return redirect(url_for("MemberCardView.index"))
        values = self._values()
        errors = service.card_fields_errors(values)
        logo = self._image("logo", service.LOGO_MAX, True, errors)
        background = self._image("background", service.BACKGROUND_MAX, False, errors)
        if not request.form.get("confirm"):
            errors["confirm"] = service.OfficialError(
                _("请确认已核对图片与商户信息（会员卡创建后无法删除）"))
        if errors:
            return self._render(errors, request.form, 422)
        try:
            account = _account()
            logo_url = official_api.upload_card_image(account, *logo)
            background_url = (official_api.upload_card_image(account, *background)
                              if background else None)
            card_id = official_api.create_card(
                account, service.card_payload(values, logo_url, background_url))
        except WeChatError as exc:
            db.session.rollback()
            _wechat_failed(_("创建会员卡"), exc)
            return self._render({}, request.form, 502 if exc.code == "network" else 422)
        try:
            qr = official_api.card_qrcode(account, card_id)
        except WeChatError as exc:
            # The card exists on WeChat now: keep it; the QR code can be made again.
            _wechat_failed(_("生成领卡二维码"), exc)
            qr = {}
        service.record_card(db.session, merchant_id, values, logo_url, background_url,
                            card_id, qr)
        with audit_action(_("创建微信会员卡")):
            db.session.commit()
        flash(_("微信会员卡已创建"), "success")
        return redirect(url_for("MemberCardView.index"))

    @expose("/qrcode", methods=["POST"])
    @has_access
    @permission_name("setup")
    def qrcode(self):
        """重新生成领卡二维码."""
        merchant_id_or_403()
        card = service.member_card(db.session)
        if card is None:
            flash(_("请先创建会员卡"), "warning")
            return redirect(url_for("MemberCardView.index"))
        try:
            qr = official_api.card_qrcode(_account(), card.card_id)
        except WeChatError as exc:
            db.session.rollback()
            _wechat_failed(_("生成领卡二维码"), exc)
            return redirect(url_for("MemberCardView.index"))
        service.set_card_qr(card, qr)
        with audit_action(_("生成领卡二维码")):
            db.session.commit()
        flash(_("领卡二维码已生成"), "success")
        return redirect(url_for("MemberCardView.index"))


# -- 用户绑定管理 -------------------------------------------------------------------------------
class BindingRequestView(TenantModelView):
    datamodel = AdminInterface(BindingRequest)
    list_title = _l("用户绑定管理")
    list_columns = ["created_at", "phone", "name", "openid", "status", "member", "reason",
                    "handled_by", "handled_at", "handle_link"]
    search_columns = ["phone", "status", "openid", "created_at"]
    show_columns = ["created_at", "phone", "name", "openid", "status", "member", "reason",
                    "handled_by", "handled_at"]
    export_columns = ["created_at", "phone", "name", "openid", "status", "member", "reason",
                      "handled_by", "handled_at"]
    label_columns = {"handle_link": _l("处理")}
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_handle"]
    formatters_columns = {
        "handle_link": lambda pk: Markup('<a class="btn btn-xs btn-primary" href="{0}">{1}</a>')
        .format(url_for("BindingRequestView.handle", pk=pk), _l("处理")),
    }

    def _handle_page(self, item, errors=None, values=None, status=200):
        return self.render_template(
            "official_account/binding_handle.html", title=_l("处理绑定申请"), item=item,
            errors=errors or {}, values=values or {}), status

    @expose("/handle/<pk>", methods=["GET", "POST"])
    @has_access
    def handle(self, pk):
        """绑定 to a chosen member (by phone or member id), or 拒绝 with a reason."""
        item = self.get_visible(pk)
        if request.method == "GET":
            return self._handle_page(item)
        operator = getattr(g.user, "first_name", None) or getattr(g.user, "username", "")
        try:
            if request.form.get("decision") == "reject":
                binding_service.reject_request(item, request.form.get("reason"), operator)
                label, message = _("用户绑定：拒绝"), _("已拒绝该绑定申请")
            else:
                member = self._chosen_member(form_text("member"))
                binding_service.approve_request(db.session, item, member, operator)
                label, message = _("用户绑定：绑定"), _("已绑定到会员 %(name)s", name=str(member))
        except BusinessError as exc:
            db.session.rollback()
            field = getattr(exc, "field", None) or "member"
            item = self.get_visible(pk)
            return self._handle_page(item, {field: exc}, request.form, 422)
        with audit_action(label):
            db.session.commit()
        flash(message, "success")
        return redirect(url_for("BindingRequestView.list"))

    @staticmethod
    def _chosen_member(text):
        from sqlalchemy import select

        from app.models.member import Member

        if not text:
            return None
        query = select(Member).where(Member.phone == text)
        if text.isdigit() and len(text) < 11:
            query = select(Member).where(Member.id == int(text))
        member = db.session.execute(query.limit(1)).scalar()
        if member is None:
            raise service.OfficialError(_("没有找到该会员，请输入会员的手机号或会员 ID"),
                                        field="member", code="no_member")
        return member


def register(appbuilder):
    add(appbuilder, OfficialMenuView, "official_menu", _l("自定义菜单"), "official_account",
        "fa-bars")
    add(appbuilder, TemplateSettingView, "official_templates", _l("模板消息"),
        "official_account", "fa-envelope-o")
    add(appbuilder, TemplateMessageLogView, "official_template_log", _l("模板消息发送记录"),
        "official_account", "fa-list")
    add(appbuilder, MemberCardView, "official_member_card", _l("微信会员卡"),
        "official_account", "fa-id-card-o")
    add(appbuilder, BindingRequestView, "official_binding_requests", _l("用户绑定管理"),
        "official_account", "fa-link")
