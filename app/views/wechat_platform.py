"""平台微信配置 (platform operator): the 开放平台第三方平台 component credentials and the
service provider's WeChat Pay account (服务商代开), including its API certificate: the same
.p12 upload as the merchant's payment wizard (``certs.load_upload`` and
``wechat_service.store_certificate``), converted to PEM and stored encrypted, with its
serial number, expiry and the 30-day warning shown.
"""
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import inspect as sa_inspect
from wtforms import FileField, PasswordField, StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from app.admin.interface import AdminInterface
from app.admin.labels import mask_secret
from app.admin.views import PlatformModelView
from app.extensions import db
from app.models.wechat import PlatformWeChatConfig
from app.services import wechat as wechat_service
from app.services.errors import BusinessError
from app.wechat import certs
from app.wechat.callbacks import public_url
from app.wechat.errors import WeChatError

APPID_VALIDATOR = Regexp(r"^wx[0-9a-f]{16}$", message=_l("AppID 格式不正确：以 wx 开头，共 18 位"))
SECRETS = {
    "component_secret": [Regexp(r"^[A-Za-z0-9]{32}$", message=_l("AppSecret 须为 32 位字母或数字"))],
    "component_token": [Regexp(r"^[A-Za-z0-9]{3,32}$", message=_l("Token 须为 3-32 位字母或数字"))],
    "component_aes_key": [Regexp(r"^[A-Za-z0-9]{43}$",
                                 message=_l("消息加解密 Key 须为 43 位字母或数字"))],
    "sp_api_key": [Regexp(r"^[A-Za-z0-9]{32}$", message=_l("API 密钥须为 32 位字母或数字"))],
}


def _secret_field(name, text):
    return PasswordField(text, validators=[Optional()] + SECRETS[name])


class P12FileField(FileField):
    """服务商 API 证书 upload: validated by converting it (a wrong password or file is
    refused at the field, nothing saved); on save the certificate lands in the encrypted
    sp_ columns, and no upload keeps the stored one."""

    certificate = None

    def pre_validate(self, form):
        self.certificate = None
        upload = self.data
        if upload is None or not getattr(upload, "filename", ""):
            return
        try:
            self.certificate = certs.load_upload(upload, form.sp_cert_password.data,
                                                 form.sp_mch_id.data)
        except WeChatError as exc:
            raise ValidationError(str(exc)) from exc

    def populate_obj(self, obj, name):
        if self.certificate is not None:
            wechat_service.store_certificate(obj, self.certificate, prefix="sp_")


class TransientPasswordField(PasswordField):
    """The certificate password: used for the conversion, never stored."""

    def populate_obj(self, obj, name):
        pass


def cert_expiry(expires_at):
    """The expiry with the 30-day warning (as in the payment wizard)."""
    if expires_at is None:
        return ""
    text = escape(f"{expires_at:%Y-%m-%d %H:%M}")
    left = wechat_service.expiry_warning_days(expires_at)
    if left is None:
        return text
    warning = (_("证书已过期，请尽快更换") if left < 0
               else _("证书将在 %(days)d 天后到期，请尽快更换", days=left))
    return Markup('{0} <span class="label label-danger md-cert-warning">{1}</span>').format(
        text, warning)


class PlatformComponentView(PlatformModelView):
    """平台微信配置: the 开放平台第三方平台 credentials (and the service provider's account).
    Secrets show masked; a blank secret field keeps the stored value."""

    route_base = "/platformwechat"
    datamodel = AdminInterface(PlatformWeChatConfig)
    list_columns = ["component_appid", "component_secret", "component_token",
                    "component_aes_key", "sp_appid", "sp_mch_id", "sp_api_key",
                    "sp_cert_serial", "sp_cert_expires_at", "updated_at"]
    show_columns = list_columns
    search_columns = ["component_appid", "sp_mch_id"]
    add_columns = edit_columns = ["component_appid", "component_secret", "component_token",
                                  "component_aes_key", "sp_appid", "sp_mch_id", "sp_api_key",
                                  "sp_cert_file", "sp_cert_password"]
    formatters_columns = {"sp_cert_expires_at": cert_expiry}
    base_order = ("id", "asc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export"]
    validators_columns = {
        "sp_appid": [Optional(), APPID_VALIDATOR],
        "sp_mch_id": [Optional(), Regexp(r"^\d{8,12}$", message=_l("商户号须为 8-12 位数字"))],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "component_appid": StringField(_l("第三方平台 AppID"),
                                       validators=[Optional(), Length(max=18), APPID_VALIDATOR]),
        "component_secret": _secret_field("component_secret", _l("第三方平台 AppSecret")),
        "component_token": _secret_field("component_token", _l("消息校验 Token")),
        "component_aes_key": _secret_field("component_aes_key", _l("消息加解密 Key")),
        "sp_api_key": _secret_field("sp_api_key", _l("服务商 API 密钥")),
        "sp_cert_file": P12FileField(_l("服务商 API 证书（apiclient_cert.p12）")),
        "sp_cert_password": TransientPasswordField(
            _l("证书密码"), validators=[Optional()],
            description=_l("默认为服务商商户号，未修改过请留空")),
    }

    def form_ready(self, form, item=None):
        url = public_url("wechat_component.auth_event")
        # WeChat fills in $APPID$ for each authorized mini program.
        events = public_url("wechat_component.authorizer_event", appid="APPID").replace(
            "/APPID/", "/$APPID$/")
        form.component_appid.description = Markup(
            _("在微信开放平台【第三方平台 - 开发资料】中把“授权事件接收 URL”设为：")
            + f" <code>{escape(url)}</code><br>"
            + _("“消息与事件接收 URL”设为：") + f" <code>{escape(events)}</code>")
        for name in SECRETS:
            stored = getattr(item, name, None) if item is not None else None
            if stored:
                form[name].description = _("已设置 %(mask)s，留空则不修改", mask=mask_secret(stored))
        if item is not None and item.sp_cert_serial:
            form.sp_cert_file.description = Markup("{0} {1}").format(
                _("当前证书序列号 %(serial)s，到期时间", serial=item.sp_cert_serial),
                cert_expiry(item.sp_cert_expires_at)) + _("；不上传则保留当前证书")
        else:
            form.sp_cert_file.description = _(
                "微信支付商户平台【账户中心 - API 安全 - API 证书】下载的 apiclient_cert.p12；"
                "退款、红包等操作需要证书")

    def _keep_blank_secrets(self, item):
        """A blank secret field keeps the stored value (the form never shows it)."""
        for name in SECRETS:
            if (getattr(item, name) or "").strip():
                continue
            history = sa_inspect(item).attrs[name].history
            setattr(item, name, history.deleted[0] if history.deleted else None)

    def pre_update(self, item):
        self._keep_blank_secrets(item)

    def pre_add(self, item):
        self._keep_blank_secrets(item)
        if db.session.query(PlatformWeChatConfig).count():
            raise BusinessError(_("平台微信配置只有一条，请编辑已有配置"), code="exists")
