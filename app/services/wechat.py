"""WeChat setup rules: the payment wizard's states, payment notifications, followers.

Plain functions on models and values; the calls to WeChat themselves are in app/wechat/,
made by the views before or after these functions run (never inside a row lock).
"""
import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.wechat import (Follower, OfficialAccountConfig, PaymentConfig,
                               PaymentNotification, PlatformWeChatConfig)
from app.services.errors import BusinessError, N_

API_KEY_RE = re.compile(r"^[A-Za-z0-9]{32}$")
MCH_ID_RE = re.compile(r"^\d{8,12}$")
APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")
CERT_WARNING_DAYS = 30
PAY_STEPS = 5


class FieldError(BusinessError):
    """A business error that belongs to one form field."""

    def __init__(self, field, message, code="invalid"):
        super().__init__(message, code=code)
        self.field = field


def check_appid(appid, field="appid"):
    if not APPID_RE.match(appid or ""):
        raise FieldError(field, N_("AppID 格式不正确：以 wx 开头，共 18 位"), code="bad_appid")


def check_api_key(key, field="api_key", label=None):
    if not API_KEY_RE.match(key or ""):
        raise FieldError(field, N_("API 密钥须为 32 位字母或数字"), code="bad_api_key")


def check_mch_id(mch_id, field="mch_id"):
    if not MCH_ID_RE.match(mch_id or ""):
        raise FieldError(field, N_("商户号须为 8-12 位数字"), code="bad_mch_id")


# -- the payment wizard ------------------------------------------------------------------------
def payment_config(session, merchant_id, channel):
    """The merchant's config for ``channel`` (created, unsaved, on first visit)."""
    config = session.execute(select(PaymentConfig).where(
        PaymentConfig.merchant_id == merchant_id,
        PaymentConfig.channel == channel)).scalar_one_or_none()
    if config is None:
        config = PaymentConfig(merchant_id=merchant_id, channel=channel,
                               app_kind="mini" if channel == "mini" else "official", step=1)
    return config


def platform_config(session):
    return session.execute(select(PlatformWeChatConfig).limit(1)).scalar_one_or_none()


def invalidate(config):
    """Key or certificate changed: it must be verified again before it can take money."""
    config.verify_result = "none"
    config.verify_message = None
    config.verified_at = None
    config.enabled = False
    invalidate_v3(config)


def invalidate_v3(config):
    config.v3_verify_result = "none"
    config.v3_verify_message = None
    config.v3_verified_at = None


def save_mode(config, *, mode, app_kind, appid):
    """Step 1: 商户自有商户号 or 服务商代开, and the AppID (公众号 or 小程序) that pays."""
    if mode not in ("own", "service"):
        raise FieldError("mode", N_("请选择开通方式"))
    if app_kind not in ("official", "mini"):
        raise FieldError("app_kind", N_("请选择 AppID 类型"))
    check_appid(appid)
    if (mode, app_kind, appid) != (config.mode, config.app_kind, config.appid):
        invalidate(config)
    config.mode = mode
    config.app_kind = app_kind
    config.appid = appid
    config.step = max(config.step or 1, 2)


def save_credentials(config, *, mch_id=None, api_key=None, apiv3_key=None, sub_mch_id=None,
                     certificate=None):
    """Step 2. Blank secret fields keep the stored value (the form never shows it); a new
    key or certificate invalidates the verification. ``certificate`` is an
    ``app.wechat.certs.Certificate`` already converted from the upload."""
    changed = False
    if config.mode == "service":
        check_mch_id(sub_mch_id, field="sub_mch_id")
        changed = sub_mch_id != config.sub_mch_id
        config.sub_mch_id = sub_mch_id
    else:
        check_mch_id(mch_id)
        if api_key:
            check_api_key(api_key)
        elif not config.api_key:
            raise FieldError("api_key", N_("请填写 API 密钥"), code="bad_api_key")
        if apiv3_key:
            check_api_key(apiv3_key, field="apiv3_key")
        changed = mch_id != config.mch_id or bool(api_key and api_key != config.api_key)
        config.mch_id = mch_id
        if api_key:
            config.api_key = api_key
        if apiv3_key:
            if apiv3_key != config.apiv3_key:
                invalidate_v3(config)  # v2 payments are unaffected by the APIv3 key
            config.apiv3_key = apiv3_key
        if certificate is not None:
            store_certificate(config, certificate)
            changed = True
    if changed:
        invalidate(config)
    config.step = max(config.step or 1, 3)
    return changed


def store_certificate(target, certificate, prefix=""):
    """Keep a converted API certificate (``app.wechat.certs.Certificate``) on a merchant's
    PaymentConfig, or with ``prefix="sp_"`` on the platform's service-provider account.
    The PEMs go to encrypted columns; serial and expiry are shown."""
    setattr(target, f"{prefix}cert_pem", certificate.cert_pem)
    setattr(target, f"{prefix}key_pem", certificate.key_pem)
    setattr(target, f"{prefix}cert_serial", certificate.serial)
    setattr(target, f"{prefix}cert_expires_at", certificate.expires_at)


def confirm_urls(config):
    """Step 3: the merchant has pasted the URLs into the merchant platform."""
    if (config.step or 1) < 3:
        raise BusinessError(N_("请先完成第 2 步：填写商户号与密钥"), code="step")
    config.step = max(config.step, 4)


def record_verification(config, error=None, now=None):
    """Step 4's outcome: ``error`` is the WeChatError raised by the check, or None."""
    config.verified_at = now or china_now()
    if error is None:
        config.verify_result = "ok"
        config.verify_message = None
        config.step = max(config.step or 1, 5)
    else:
        config.verify_result = "failed"
        fix = getattr(error, "fix", None)
        config.verify_message = (f"{error}。{fix}" if fix else str(error))[:255]
        config.enabled = False


def record_v3_verification(config, error=None, certificates=(), now=None):
    """立即验证's APIv3 outcome, kept apart from v2's (which alone gates 启用):
    ``certificates`` are the platform certificates downloaded, ``error`` the WeChatError."""
    config.v3_verified_at = now or china_now()
    if error is None:
        config.v3_verify_result = "ok"
        listed = "; ".join(f"{cert['serial']} ({cert['expires_at']:%Y-%m-%d})"
                           for cert in certificates)
        config.v3_verify_message = listed[:255] or None
    else:
        config.v3_verify_result = "failed"
        fix = getattr(error, "fix", None)
        config.v3_verify_message = (f"{error}。{fix}" if fix else str(error))[:255]


def set_enabled(config, enabled):
    """Step 5: only a verified configuration can take payments."""
    if enabled and config.verify_result != "ok":
        raise BusinessError(N_("请先点击“立即验证”，验证通过后才能启用"), code="not_verified")
    config.enabled = bool(enabled)


def cert_warning_days(config, now=None):
    """Days until the certificate expires when that is within the warning window."""
    return expiry_warning_days(config.cert_expires_at, now)


def expiry_warning_days(expires_at, now=None):
    """Days left when ``expires_at`` is within CERT_WARNING_DAYS (negative: expired)."""
    if expires_at is None:
        return None
    left = (expires_at - (now or china_now())).days
    return left if left <= CERT_WARNING_DAYS else None


# -- payment notifications ------------------------------------------------------------------
def config_by_notify_token(session, token):
    return session.execute(select(PaymentConfig).where(PaymentConfig.notify_token == token)
                           .execution_options(skip_tenant=True)).scalar_one_or_none()


def record_payment(session, config, payment):
    """Store one verified 支付结果通知; a repeat of the same transaction only counts the
    repeat. Returns (notification, created)."""
    existing = _notification(session, config.merchant_id, payment["transaction_id"])
    if existing is None:
        notification = PaymentNotification(
            merchant_id=config.merchant_id, config_id=config.id,
            out_trade_no=payment["out_trade_no"], transaction_id=payment["transaction_id"],
            total_fee=payment["amount"], openid=payment.get("openid"),
            time_end=payment.get("time_end"))
        try:
            with session.begin_nested():
                session.add(notification)
            return notification, True
        except IntegrityError:  # the same notification, delivered twice at once
            existing = _notification(session, config.merchant_id, payment["transaction_id"])
    session.execute(update(PaymentNotification)
                    .where(PaymentNotification.id == existing.id)
                    .values(repeats=PaymentNotification.repeats + 1))
    return existing, False


def _notification(session, merchant_id, transaction_id):
    return session.execute(select(PaymentNotification).where(
        PaymentNotification.merchant_id == merchant_id,
        PaymentNotification.transaction_id == transaction_id)).scalar_one_or_none()


# -- official account ------------------------------------------------------------------------
def official_account(session, merchant_id):
    return session.execute(select(OfficialAccountConfig).where(
        OfficialAccountConfig.merchant_id == merchant_id)).scalar_one_or_none()


def save_official_account(config, values):
    """开发者配置: check the form ``values`` and apply them; returns {field: Chinese error}
    and changes nothing when there is one. A blank AppSecret keeps the stored one; a blank
    Token or EncodingAESKey keeps the generated one."""
    errors = {}
    try:
        check_appid(values["appid"])
    except FieldError as exc:
        errors["appid"] = exc
    secret = values["app_secret"]
    if secret and len(secret) != 32:
        errors["app_secret"] = N_("AppSecret 须为 32 位")
    elif not secret and not config.app_secret:
        errors["app_secret"] = N_("请填写 AppSecret")
    if values["message_mode"] not in ("plain", "safe"):
        errors["message_mode"] = N_("请选择消息加解密方式")
    token = values["token"] or config.token or ""
    if not (3 <= len(token) <= 32 and token.isalnum()):
        errors["token"] = N_("Token 须为 3-32 位字母或数字")
    aes_key = values["encoding_aes_key"] or config.encoding_aes_key or ""
    if not (len(aes_key) == 43 and aes_key.isalnum()):
        errors["encoding_aes_key"] = N_("EncodingAESKey 须为 43 位字母或数字")
    register_url = values["register_url"]
    if register_url and not register_url.startswith(("http://", "https://")):
        errors["register_url"] = N_("注册链接须以 http:// 或 https:// 开头")
    if values["follow_sends_register_link"] and not register_url:
        errors["register_url"] = N_("开启“关注发送注册链接”时须填写注册链接")
    if len(values["auto_reply"]) > 600:
        errors["auto_reply"] = N_("自动回复最多 600 个字")
    if len(values["boss_code"]) > 32:
        errors["boss_code"] = N_("老板特殊码最多 32 个字符")
    if errors:
        return {field: str(BusinessError(message)) if isinstance(message, str) else str(message)
                for field, message in errors.items()}
    config.name = values["name"][:64] or None
    config.appid = values["appid"]
    if secret:
        config.app_secret = secret
    config.token = token
    config.encoding_aes_key = aes_key
    config.message_mode = values["message_mode"]
    config.follow_creates_member = values["follow_creates_member"]
    config.follow_sends_register_link = values["follow_sends_register_link"]
    config.register_url = register_url or None
    config.boss_code = values["boss_code"] or None
    config.auto_reply = values["auto_reply"] or None
    return {}


def account_by_callback_token(session, token):
    return session.execute(select(OfficialAccountConfig)
                           .where(OfficialAccountConfig.callback_token == token)
                           .execution_options(skip_tenant=True)).scalar_one_or_none()


def follow(session, merchant_id, openid, scene=None, at=None):
    """关注 (or 扫码关注): record the follower; returns (follower, first_time)."""
    at = at or china_now()
    follower = session.execute(select(Follower).where(
        Follower.merchant_id == merchant_id, Follower.openid == openid)).scalar_one_or_none()
    first = follower is None
    if first:
        follower = Follower(merchant_id=merchant_id, openid=openid)
        session.add(follower)
    follower.subscribed = True
    follower.subscribed_at = at
    follower.unsubscribed_at = None
    if scene:
        follower.scene = str(scene)[:64]
    return follower, first


def unfollow(session, merchant_id, openid, at=None):
    follower = session.execute(select(Follower).where(
        Follower.merchant_id == merchant_id, Follower.openid == openid)).scalar_one_or_none()
    if follower is not None:
        follower.subscribed = False
        follower.unsubscribed_at = at or china_now()
    return follower


def parse_pay_time(time_end):
    try:
        return datetime.strptime(time_end or "", "%Y%m%d%H%M%S")
    except ValueError:
        return None
