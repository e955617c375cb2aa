"""WeChat setup: the payment wizard (微信支付, 小程序支付设置), the official account's
developer configuration (开发者配置), followers and payment notifications.

The wizard is a custom view: each step posts to its own URL, saves, and redirects back, so
the merchant can leave and come back. Calls to WeChat go through app/wechat/ and happen
outside any row lock; their Chinese errors are shown as they come.
"""
from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l

from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.labels import mask_secret
from app.admin.pages import form_text, merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.wechat import (APP_KINDS, OA_MODES, PAY_MODES, Follower, MiniProgramConfig,
                               OfficialAccountConfig, PaymentNotification)
from app.services import wechat as service
from app.services.errors import BusinessError
from app.views import add
from app.wechat import certs, official, pay, pay_v3
from app.wechat.callbacks import payment_account, public_url
from app.wechat.errors import WeChatError

PAY_STEP_TITLES = [_l("选择开通方式"), _l("填写商户号与密钥"), _l("配置支付授权目录"),
                   _l("立即验证"), _l("启用")]


class PaySetupView(BaseView):
    """支付设置 wizard for the 微信支付 menu; the mini program menu subclasses it."""

    route_base = "/paysetup"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]
    channel = "wechat"
    title = _l("微信支付设置")
    default_app_kind = "official"

    def _config(self):
        return service.payment_config(db.session, merchant_id_or_403(), self.channel)

    def _suggested_appid(self, app_kind):
        model = OfficialAccountConfig if app_kind == "official" else MiniProgramConfig
        row = db.session.query(model).first()
        return row.appid if row is not None else ""

    def _render(self, config, step, errors=None, values=None, status=200):
        step = max(1, min(step, config.step or 1, 5))
        notify_url = jsapi_dir = native_url = None
        if config.id is not None:
            notify_url = public_url("wechat_callback.pay_notify", token=config.notify_token)
            jsapi_dir = f"{current_app.config['SHOP_PUBLIC_BASE_URL'].rstrip('/')}/"
            native_url = public_url("wechat_callback.pay_native", token=config.notify_token)
        appids = {kind: self._suggested_appid(kind) for kind, _label in APP_KINDS}
        return self.render_template(
            "wechat/pay_setup.html", title=self.title, config=config, step=step,
            steps=PAY_STEP_TITLES, errors=errors or {}, values=values or {},
            modes=PAY_MODES, app_kinds=APP_KINDS, appids=appids, endpoint=self.endpoint,
            masked={"api_key": mask_secret(config.api_key) if config.api_key else "",
                    "apiv3_key": mask_secret(config.apiv3_key) if config.apiv3_key else ""},
            cert_days=certs.days_left(config.cert_expires_at),
            cert_warning=service.cert_warning_days(config),
            notify_url=notify_url, jsapi_dir=jsapi_dir, native_url=native_url), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        config = self._config()
        try:
            step = int(request.args.get("step") or config.step or 1)
        except ValueError:
            step = config.step or 1
        return self._render(config, step)

    def _save(self, config, message, next_step):
        with audit_action(message):
            db.session.add(config)
            db.session.commit()
        return redirect(url_for(f"{self.endpoint}.index", step=next_step))

    @expose("/mode", methods=["POST"])
    @has_access
    @permission_name("setup")
    def save_mode(self):
        config = self._config()
        try:
            service.save_mode(config, mode=form_text("mode"), app_kind=form_text("app_kind"),
                              appid=form_text("appid"))
        except service.FieldError as exc:
            db.session.rollback()
            return self._render(self._config(), 1, {exc.field: str(exc)}, request.form, 422)
        flash(_("已保存开通方式"), "success")
        return self._save(config, _("支付设置：开通方式"), 2)

    @expose("/credentials", methods=["POST"])
    @has_access
    @permission_name("setup")
    def save_credentials(self):
        config = self._config()
        certificate = None
        upload = request.files.get("cert_file")
        try:
            if config.mode != "service" and upload is not None and upload.filename:
                try:
                    certificate = certs.load_upload(upload, form_text("cert_password"),
                                                    form_text("mch_id"))
                except WeChatError as exc:
                    raise service.FieldError("cert_file", str(exc)) from exc
            changed = service.save_credentials(
                config, mch_id=form_text("mch_id"), api_key=form_text("api_key"),
                apiv3_key=form_text("apiv3_key"), sub_mch_id=form_text("sub_mch_id"),
                certificate=certificate)
        except service.FieldError as exc:
            db.session.rollback()
            return self._render(self._config(), 2, {exc.field: str(exc)}, request.form, 422)
        if changed:
            flash(_("已保存。密钥或证书已更改，须重新验证后才能启用"), "warning")
        else:
            flash(_("已保存商户号与密钥"), "success")
        return self._save(config, _("支付设置：商户号与密钥"), 3)

    @expose("/urls", methods=["POST"])
    @has_access
    @permission_name("setup")
    def confirm_urls(self):
        config = self._config()
        try:
            service.confirm_urls(config)
        except BusinessError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(f"{self.endpoint}.index"))
        return self._save(config, _("支付设置：已配置支付授权目录"), 4)

    @expose("/verify", methods=["POST"])
    @has_access
    @permission_name("setup")
    def verify(self):
        config = self._config()
        if config.id is None or (config.step or 1) < 4:
            flash(_("请先完成前面的步骤"), "danger")
            return redirect(url_for(f"{self.endpoint}.index"))
        error = None
        try:
            pay.verify_credentials(payment_account(config))
        except WeChatError as exc:
            error = exc
        service.record_verification(config, error)
        if error is None:
            flash(_("验证通过：商户号、API 密钥与 AppID 配置正确"), "success")
        else:
            flash(_("验证失败：%(reason)s", reason=_with_fix(error)), "danger")
        if config.mode != "service" and config.apiv3_key:
            self._verify_v3(config)
        return self._save(config, _("支付设置：立即验证"), 5 if error is None else 4)

    @staticmethod
    def _verify_v3(config):
        """APIv3 (wechatpayv3), reported separately: platform certificates + order query."""
        certificates, error = (), None
        try:
            certificates = pay_v3.verify_credentials_v3(pay_v3.account_from_config(config))
        except WeChatError as exc:
            error = exc
        service.record_v3_verification(config, error, certificates)
        if error is None:
            flash(_("APIv3 验证通过：已下载并校验平台证书"), "success")
        else:
            flash(_("APIv3 验证失败：%(reason)s", reason=_with_fix(error)), "warning")

    @expose("/enable", methods=["POST"])
    @has_access
    @permission_name("setup")
    def enable(self):
        config = self._config()
        enabled = request.form.get("enabled") == "1"
        try:
            service.set_enabled(config, enabled)
        except BusinessError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(f"{self.endpoint}.index", step=4))
        flash(_("已启用微信支付") if enabled else _("已停用微信支付"), "success")
        return self._save(config, _("支付设置：启用") if enabled else _("支付设置：停用"), 5)


def _with_fix(error):
    return f"{error}。{error.fix}" if getattr(error, "fix", None) else str(error)


class MiniProgramPaySetupView(PaySetupView):
    route_base = "/minipaysetup"
    channel = "mini"
    title = _l("小程序支付设置")
    default_app_kind = "mini"


class OfficialAccountView(BaseView):
    """公众号 开发者配置: server URL, Token, EncodingAESKey, mode, behaviour on follow."""

    route_base = "/officialaccount"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_setup"]

    def _config(self):
        merchant_id = merchant_id_or_403()
        config = service.official_account(db.session, merchant_id)
        if config is None:
            config = OfficialAccountConfig(merchant_id=merchant_id,
                                           token=official.new_token(),
                                           encoding_aes_key=official.new_encoding_aes_key())
        return config

    def _render(self, config, errors=None, values=None, status=200):
        server_url = None
        if config.id is not None:
            server_url = public_url("wechat_callback.official_callback",
                                    token=config.callback_token)
        return self.render_template(
            "wechat/official_account.html", title=_l("公众号开发者配置"), config=config,
            errors=errors or {}, values=values or {}, modes=OA_MODES, server_url=server_url,
            secret_mask=mask_secret(config.app_secret) if config.app_secret else ""), status

    @expose("/")
    @has_access
    @permission_name("setup")
    def index(self):
        return self._render(self._config())

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("setup")
    def save(self):
        config = self._config()
        values = {name: form_text(name) for name in (
            "name", "appid", "app_secret", "message_mode", "token", "encoding_aes_key",
            "register_url", "boss_code")}
        values["auto_reply"] = (request.form.get("auto_reply") or "").strip()
        for flag in ("follow_creates_member", "follow_sends_register_link"):
            values[flag] = bool(request.form.get(flag))
        errors = service.save_official_account(config, values)
        if errors:
            db.session.rollback()
            return self._render(self._config(), errors, request.form, 422)
        with audit_action(_("公众号开发者配置")):
            db.session.add(config)
            db.session.commit()
        flash(_("已保存。请把服务器地址、Token 和 EncodingAESKey 填到公众平台【设置与开发 - 基本配置】"),
              "success")
        return redirect(url_for("OfficialAccountView.index"))


class FollowerView(TenantModelView):
    datamodel = AdminInterface(Follower)
    list_columns = ["openid", "subscribed", "scene", "subscribed_at", "unsubscribed_at"]
    search_columns = ["openid", "subscribed", "scene", "subscribed_at"]
    show_columns = list_columns + ["created_at"]
    base_order = ("subscribed_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export"]


class PaymentNotificationView(TenantModelView):
    datamodel = AdminInterface(PaymentNotification)
    list_columns = ["out_trade_no", "transaction_id", "total_fee", "time_end", "status",
                    "repeats", "created_at"]
    search_columns = ["out_trade_no", "transaction_id", "status", "created_at"]
    show_columns = list_columns + ["openid"]
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_export"]


def register(appbuilder):
    add(appbuilder, OfficialAccountView, "official_account_config", _l("开发者配置"),
        "official_account", "fa-code")
    add(appbuilder, PaySetupView, "wechat_pay_setup", _l("微信支付"), "official_account",
        "fa-credit-card")
    add(appbuilder, FollowerView, "official_account_followers", _l("粉丝列表"),
        "official_account", "fa-users")
    add(appbuilder, PaymentNotificationView, "payment_notifications", _l("支付通知"),
        "official_account", "fa-bell")
    add(appbuilder, MiniProgramPaySetupView, "mini_pay_setup", _l("小程序支付设置"),
        "mini_program", "fa-credit-card")
