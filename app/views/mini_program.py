"""小程序设置管理: 开通小程序 (快速注册 / 绑定已有小程序), 小程序设置, 附近小程序 and 数据分析,
plus the platform's 开放平台第三方平台 credentials.

Custom views follow the setup wizard's pattern (app/views/wechat.py): plain forms, each
POST checks its input before any WeChat call, WeChat's Chinese errors are shown as they
come, and nothing is written when a check or a call fails.
"""
import io

from flask import flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.admin.audit import audit_action, record_event
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.mini_program import REGISTRATION_STATUS, MiniProgramRegistration, NearbyPoi
from app.services import mini_program as service
from app.services import wechat as wechat_service
from app.services.errors import BusinessError
from app.views import add
from app.views.wechat_platform import PlatformComponentView
from app.admin.pages import form_text, merchant_id_or_403
from app.wechat import component as wx_component
from app.wechat import mini_program as wxa
from app.wechat.callbacks import public_url
from app.wechat.errors import WeChatError
from app.workers.mini_program import queue_sync  # also registers `flask md sync-wxa-analytics`

MAX_UPLOAD = 2 * 1024 * 1024 + 1


def _errors(exc):
    return {field: str(error) for field, error in exc.errors.items()}


def _component():
    return wx_component.new_component(
        wx_component.account_of(wechat_service.platform_config(db.session)))


class MiniProgramOpenView(BaseView):
    """开通小程序: 快速注册 (a new mini program) or 绑定已有小程序 (authorize an existing one)."""

    route_base = "/miniprogram/open"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    def _render(self, errors=None, values=None, status=200, error=None):
        merchant_id = merchant_id_or_403()
        config = service.mini_program(db.session, merchant_id)
        registrations = db.session.execute(
            select(MiniProgramRegistration).order_by(MiniProgramRegistration.id.desc())
            .limit(5)).scalars().all()
        platform = wechat_service.platform_config(db.session)
        try:
            wx_component.account_of(platform)
            component_ready = True
        except WeChatError:
            component_ready = False
        return self.render_template(
            "mini_program/open.html", title=_l("开通小程序"), config=config,
            bound=bool(config and config.appid and config.authorizer_refresh_token),
            registrations=registrations, component_ready=component_ready,
            statuses=dict(REGISTRATION_STATUS),
            errors=errors or {}, values=values or {}, error=error), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        return self._render()

    @expose("/register", methods=["POST"])
    @has_access
    @permission_name("setup")
    def register(self):
        merchant_id = merchant_id_or_403()
        try:
            registration = service.new_registration(
                db.session, merchant_id, company_name=form_text("company_name"),
                code=form_text("code"), legal_persona_name=form_text("legal_persona_name"),
                legal_persona_wechat=form_text("legal_persona_wechat"),
                component_phone=form_text("component_phone"))
        except service.FormErrors as exc:
            db.session.rollback()
            return self._render(_errors(exc), request.form, 422)
        except BusinessError as exc:
            db.session.rollback()
            return self._render(values=request.form, status=422, error=str(exc))
        try:
            wx_component.fast_register(
                _component(), name=registration.company_name, code=registration.code,
                code_type=int(registration.code_type),
                legal_persona_wechat=registration.legal_persona_wechat,
                legal_persona_name=registration.legal_persona_name,
                component_phone=registration.component_phone or "")
        except WeChatError as exc:
            db.session.rollback()
            return self._render(values=request.form, status=422,
                                error=_("提交失败：%(reason)s", reason=str(exc)))
        registration.message = _("微信已向法人微信发送确认通知，请法人在 24 小时内完成身份确认")
        with audit_action(_("快速注册小程序")):
            db.session.add(registration)
            db.session.commit()
        flash(_("已提交快速注册，请法人在微信中确认"), "success")
        return redirect(url_for("MiniProgramOpenView.index"))

    @expose("/status", methods=["POST"])
    @has_access
    @permission_name("setup")
    def refresh_status(self):
        """查询注册状态 of one of the merchant's registrations (``action=search``)."""
        registration = None
        if form_text("registration_id").isdigit():
            registration = db.session.get(MiniProgramRegistration, int(form_text("registration_id")))
        if registration is None or registration.merchant_id != merchant_id_or_403():
            flash(_("注册申请不存在"), "danger")
            return redirect(url_for("MiniProgramOpenView.index"))
        try:
            result = wx_component.search_registration(
                _component(), name=registration.company_name,
                legal_persona_wechat=registration.legal_persona_wechat,
                legal_persona_name=registration.legal_persona_name)
        except WeChatError as exc:
            flash(_("查询失败：%(reason)s", reason=str(exc)), "danger")
            return redirect(url_for("MiniProgramOpenView.index"))
        code = result.get("errcode")
        if registration.status == "submitted":
            if code in (0, "0"):
                registration.message = _("法人已确认，正在创建小程序，结果将由微信推送")
            elif code in (89249, 89251, 89252):
                registration.message = str(result.get("errmsg") or "")[:255]
            else:
                service.record_registration_result(
                    registration, success=False, message=str(result.get("errmsg") or code))
        with audit_action(_("查询快速注册状态")):
            db.session.commit()
        flash(_("已刷新注册状态"), "success")
        return redirect(url_for("MiniProgramOpenView.index"))

    @expose("/bind", methods=["POST"])
    @has_access
    @permission_name("setup")
    def bind(self):
        """绑定已有小程序: to WeChat's authorization page, back to ``authorized``."""
        merchant_id_or_403()
        try:
            link = wx_component.authorization_url(
                _component(), public_url("MiniProgramOpenView.authorized"))
        except WeChatError as exc:
            flash(_("无法生成授权链接：%(reason)s", reason=str(exc)), "danger")
            return redirect(url_for("MiniProgramOpenView.index"))
        return redirect(link)

    @expose("/authorized")
    @has_access
    @permission_name("setup")
    def authorized(self):
        """WeChat redirects the merchant here with ``auth_code`` after authorizing."""
        merchant_id = merchant_id_or_403()
        auth_code = (request.args.get("auth_code") or "").strip()[:255]
        if not auth_code:
            return self._render(error=_("未收到微信的授权码，请重新点击“绑定”完成授权"))
        try:
            component = _component()
            auth = wx_component.query_auth(component, auth_code)
            info = wx_component.authorizer_info(component, auth["appid"])
            service.bind_authorizer(db.session, merchant_id, appid=auth["appid"],
                                    refresh_token=auth["refresh_token"],
                                    name=info.get("nick_name"))
        except (WeChatError, BusinessError) as exc:
            db.session.rollback()
            return self._render(error=_("绑定失败：%(reason)s", reason=str(exc)))
        with audit_action(_("绑定小程序")):
            db.session.commit()
        flash(_("已绑定小程序 %(appid)s", appid=auth["appid"]), "success")
        return redirect(url_for("MiniProgramOpenView.index"))


class MiniProgramView(BaseView):
    """小程序设置: the mini program's information read live, its code, and changes of name,
    avatar and introduction within this month's live quota."""

    route_base = "/miniprogram/settings"
    default_view = "index"
    merchant_facing = True
    # can_index reads (also the home page's 常用功能 link), can_setup changes.
    base_permissions = ["can_index", "can_setup"]

    def _client(self):
        return wxa.client_for(service.mini_program(db.session, merchant_id_or_403()))

    def _render(self, errors=None, values=None, status=200):
        info = categories = None
        error = None
        try:
            client = self._client()
            info = wxa.basic_info(client)
            categories = wxa.categories(client)
        except WeChatError as exc:
            error = str(exc)
        return self.render_template(
            "mini_program/settings.html", title=_l("小程序设置"), info=info,
            categories=categories, error=error, errors=errors or {},
            values=values or {}), status

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/code", methods=["POST"])
    @has_access
    @permission_name("setup")
    def code(self):
        """下载小程序码 (PNG)."""
        try:
            content = wxa.wxa_code(self._client())
        except WeChatError as exc:
            flash(_("下载失败：%(reason)s", reason=str(exc)), "danger")
            return redirect(url_for("MiniProgramView.index"))
        return send_file(io.BytesIO(content), mimetype="image/png", as_attachment=True,
                         download_name="wxacode.png")

    def _change(self, field, what, quota_key, check, apply, success):
        """Check the input, then the live quota, then change; errors at the field."""
        try:
            value = check()
            client = self._client()
            service.check_quota(wxa.basic_info(client)[quota_key], what)
            result = apply(client, value)
        except wechat_service.FieldError as exc:
            return self._render({exc.field: str(exc)}, request.form, 422)
        except BusinessError as exc:
            return self._render({field: str(exc)}, request.form, 422)
        except WeChatError as exc:
            return self._render({field: _("修改失败：%(reason)s", reason=str(exc))},
                                request.form, 422)
        flash(success(result), "success")
        return redirect(url_for("MiniProgramView.index"))

    @expose("/name", methods=["POST"])
    @has_access
    @permission_name("setup")
    def change_name(self):
        def apply(client, name):
            result = wxa.set_nickname(client, name)
            config = service.mini_program(db.session, merchant_id_or_403())
            config.name = name[:64]
            with audit_action(_("修改小程序名称")):
                db.session.commit()
            return result

        def success(result):
            if result.get("audit_id"):
                return _("名称已提交微信审核（审核单号 %(id)s）", id=result["audit_id"])
            return _("小程序名称已修改")

        return self._change("name", _("名称"), "name_quota",
                            lambda: service.check_name(form_text("name")), apply, success)

    @expose("/intro", methods=["POST"])
    @has_access
    @permission_name("setup")
    def change_intro(self):
        def apply(client, text):
            wxa.modify_signature(client, text)
            record_event(entity="MiniProgramConfig", action=_("修改小程序介绍"))

        return self._change("intro", _("介绍"), "intro_quota",
                            lambda: service.check_intro(request.form.get("intro")), apply,
                            lambda _result: _("介绍已修改"))

    @expose("/avatar", methods=["POST"])
    @has_access
    @permission_name("setup")
    def change_avatar(self):
        upload = request.files.get("avatar")
        content = upload.read(MAX_UPLOAD) if upload is not None else b""
        filename = upload.filename if upload is not None else ""

        def check():
            service.check_avatar(content, filename)
            return content

        def apply(client, data):
            wxa.modify_head_image(client, wxa.upload_image(client, data, filename))
            record_event(entity="MiniProgramConfig", action=_("修改小程序头像"))

        return self._change("avatar", _("头像"), "avatar_quota", check, apply,
                            lambda _result: _("头像已修改"))


class NearbyPoiView(TenantModelView):
    """附近小程序: at most 10 addresses, added to and deleted from WeChat, audit state shown."""

    route_base = "/nearbypoi"
    datamodel = AdminInterface(NearbyPoi)
    list_template = "mini_program/poi_list.html"
    list_columns = ["related_name", "related_credential", "related_address", "audit_status",
                    "refuse_reason", "poi_id", "synced_at", "created_at"]
    search_columns = ["related_name", "related_credential", "audit_status", "created_at"]
    show_columns = list_columns + ["proof_name", "audit_id"]
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_addpoi", "can_sync",
                        "can_delete_poi"]

    def _client(self):
        return wxa.client_for(service.mini_program(db.session, merchant_id_or_403()))

    def _form_page(self, errors=None, values=None, status=200, error=None):
        count = db.session.query(NearbyPoi).count()
        return self.render_template(
            "mini_program/poi_add.html", title=_l("添加地点"), errors=errors or {},
            values=values or {}, error=error, count=count,
            limit=service.MAX_POIS), status

    @expose("/addpoi", methods=["GET"])
    @has_access
    @permission_name("addpoi")
    def addpoi(self):
        return self._form_page()

    @expose("/addpoi", methods=["POST"])
    @has_access
    @permission_name("addpoi")
    def addpoi_post(self):
        merchant_id = merchant_id_or_403()
        upload = request.files.get("proof")
        proof = upload.read(MAX_UPLOAD) if upload is not None else b""
        proof_name = upload.filename if upload is not None else ""
        try:
            poi = service.new_poi(
                db.session, merchant_id, related_name=form_text("related_name"),
                related_credential=form_text("related_credential"),
                related_address=form_text("related_address"), proof=proof, proof_name=proof_name)
        except service.FormErrors as exc:
            db.session.rollback()
            return self._form_page(_errors(exc), request.form, 422)
        except BusinessError as exc:
            db.session.rollback()
            return self._form_page(values=request.form, status=422, error=str(exc))
        try:
            client = self._client()
            media_id = wxa.upload_image(client, proof, proof_name)
            result = wxa.add_poi(client, related_name=poi.related_name,
                                 related_credential=poi.related_credential,
                                 related_address=poi.related_address,
                                 proof_media_id=media_id)
        except WeChatError as exc:
            db.session.rollback()
            return self._form_page(values=request.form, status=422,
                                   error=_("添加失败：%(reason)s", reason=str(exc)))
        poi.poi_id = result["poi_id"] or None
        poi.audit_id = result["audit_id"] or None
        with audit_action(_("添加附近小程序地点")):
            db.session.add(poi)
            db.session.commit()
        flash(_("地点已提交，等待微信审核"), "success")
        return redirect(url_for("NearbyPoiView.list"))

    @expose("/sync", methods=["POST"])
    @has_access
    @permission_name("sync")
    def sync(self):
        """同步审核状态 from ``getnearbypoilist``."""
        merchant_id = merchant_id_or_403()
        try:
            live = wxa.list_pois(self._client(), page_rows=service.MAX_POIS)
        except WeChatError as exc:
            flash(_("同步失败：%(reason)s", reason=str(exc)), "danger")
            return redirect(url_for("NearbyPoiView.list"))
        count = service.apply_poi_list(db.session, merchant_id, live["pois"])
        with audit_action(_("同步附近小程序审核状态")):
            db.session.commit()
        flash(_("已同步 %(n)d 个地点的审核状态", n=count), "success")
        return redirect(url_for("NearbyPoiView.list"))

    @action("delete_poi", _l("删除地点"), _l("将同时从微信删除所选地点，确定删除？"), "fa-trash")
    def delete_poi(self, items):
        items = items if isinstance(items, list) else [items]
        deleted, error = 0, None
        try:
            client = self._client() if any(i.poi_id for i in items) else None
            for item in items:
                if item.poi_id:
                    wxa.delete_poi(client, item.poi_id)
                db.session.delete(item)
                deleted += 1
        except WeChatError as exc:
            error = exc  # those deleted on WeChat before the failure are deleted here too
        with audit_action(_("删除附近小程序地点")):
            db.session.commit()
        if error is not None:
            flash(_("删除失败：%(reason)s", reason=str(error)), "danger")
        if deleted:
            flash(_("已删除 %(n)d 个地点", n=deleted), "success")
        return redirect(self.get_redirect())


class WxaAnalyticsView(BaseView):
    """数据分析: reads the cache only; 立即同步 queues the sync job."""

    route_base = "/miniprogram/analytics"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        merchant_id = merchant_id_or_403()
        cached = service.cached_analytics(db.session, merchant_id)
        config = service.mini_program(db.session, merchant_id)
        portrait = (cached.get("portrait") or {}).get("data") or {}
        charts = [(_l("性别分布"), service.bars(portrait.get("genders"))),
                  (_l("年龄分布"), service.bars(portrait.get("ages"))),
                  (_l("地区分布"), service.bars(portrait.get("provinces"))),
                  (_l("平台分布"), service.bars(portrait.get("platforms")))]
        return self.render_template("mini_program/analytics.html", title=_l("数据分析"),
                                    cached=cached, charts=charts, config=config)

    @expose("/sync", methods=["POST"])
    @has_access
    @permission_name("setup")
    def sync(self):
        results = queue_sync(merchant_id_or_403())
        record_event(entity="WxaAnalytics", action=_("数据分析：立即同步"))
        if results is None:
            flash(_("已提交同步任务，稍后刷新本页查看"), "success")
        else:
            failed = sorted({str(e) for e in results.values() if e is not None})
            if failed:
                flash(_("同步失败：%(reason)s", reason="；".join(failed)), "danger")
            else:
                flash(_("数据已同步"), "success")
        return redirect(url_for("WxaAnalyticsView.index"))


def register(appbuilder):
    add(appbuilder, MiniProgramOpenView, "mini_program_open", _l("开通小程序"), "mini_program",
        "fa-plus-square")
    add(appbuilder, MiniProgramView, "mini_program_settings", _l("小程序设置"),
        "mini_program", "fa-cog")
    # 小程序支付设置 (app/views/wechat.py) sits between 小程序设置 and 附近小程序.
    add(appbuilder, NearbyPoiView, "mini_program_nearby", _l("附近小程序"), "mini_program",
        "fa-map-marker")
    add(appbuilder, WxaAnalyticsView, "mini_program_analytics", _l("数据分析"),
        "mini_program", "fa-line-chart")
    add(appbuilder, PlatformComponentView, "platform_wechat", _l("平台微信配置"), "platform",
        "fa-weixin")
    # The first guide's order, with 小程序支付设置 (app/views/wechat.py) in third place.
    category = appbuilder.menu.find("mini_program")
    if category is not None:
        order = {name: i for i, name in enumerate(MENU_ORDER)}
        category.childs.sort(key=lambda item: order.get(item.name, len(order)))


MENU_ORDER = ["mini_program_open", "mini_program_settings", "mini_pay_setup",
              "mini_program_nearby", "mini_program_analytics"]
