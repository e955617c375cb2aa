"""The URLs WeChat calls: the official account's server URL and the payment notify URL.

They are public (WeChat has no session) and CSRF-exempt; each request proves itself by its
signature, checked before any state is read for writing. A rejected request is logged and
changes nothing.
"""
import logging

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import force_locale, gettext as _

from app.extensions import csrf, db
from app.services import wechat as wechat_service
from app.tenancy import tenant_scope
from app.wechat import component_callback, official, pay
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)

bp = Blueprint("wechat_callback", __name__, url_prefix="/wechat")


def public_url(endpoint, **values):
    """An absolute URL for WeChat to call: PUBLIC_BASE_URL when set, else this host."""
    path = url_for(endpoint, **values)
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    return f"{base}{path}"


def _xml(text, status=200):
    return Response(text, status=status, mimetype="text/xml")


@bp.route("/pay/<token>/notify", methods=["POST"])
def pay_notify(token):
    """支付结果通知: verify (MD5 or HMAC-SHA256), record once, answer SUCCESS."""
    config = wechat_service.config_by_notify_token(db.session, token)
    if config is None:
        log.warning("pay notify for unknown token from %s", request.remote_addr)
        return _xml(pay.notification_reply(False, "unknown"), 404)
    body = request.get_data(cache=False)
    with tenant_scope(config.merchant_id):
        try:
            account = payment_account(config)
            data = pay.read_notification(body)
            payment = pay.verify_notification(data, account)
        except WeChatError as exc:
            log.warning("pay notify rejected for merchant %s: %s (%s)", config.merchant_id,
                        exc.code, request.remote_addr)
            return _xml(pay.notification_reply(False, exc.code or "FAIL"), 400)
        _notification, created = wechat_service.record_payment(db.session, config, payment)
        # The matching unpaid order (out_trade_no = order_no) becomes paid; idempotent.
        from app.services.order_ledgers import apply_payment_notification
        apply_payment_notification(db.session, _notification)
        db.session.commit()
        log.info("pay notify %s for merchant %s (%s)", payment["transaction_id"],
                 config.merchant_id, "new" if created else "repeat")
    return _xml(pay.notification_reply(True))


@bp.route("/pay/<token>/native", methods=["POST"])
def pay_native(token):
    """Native 扫码回调 (扫码支付模式一): WeChat asks for the order behind a product QR code.
    The console creates orders with code_url QR codes (模式二), so a product QR is answered
    with a signed refusal; a bad signature gets FAIL."""
    config = wechat_service.config_by_notify_token(db.session, token)
    if config is None:
        return _xml(pay.notification_reply(False, "unknown"), 404)
    with tenant_scope(config.merchant_id):
        try:
            account = payment_account(config)
            data = pay.read_notification(request.get_data(cache=False))
            if not pay.signature_ok(data, account.api_key):
                raise WeChatError("bad signature", code="notify_sign")
        except WeChatError as exc:
            log.warning("native callback rejected for merchant %s: %s", config.merchant_id,
                        exc.code)
            return _xml(pay.notification_reply(False, exc.code or "FAIL"), 400)
        return _xml(pay.signed_reply(account, result_code="FAIL",
                                     err_code_des="该二维码对应的商品不存在或已下架"))


def payment_account(config):
    """The PayAccount a config pays with (the service provider's in 服务商代开 mode)."""
    if config.mode == "service":
        platform = wechat_service.platform_config(db.session)
        if platform is None or not (platform.sp_mch_id and platform.sp_api_key):
            raise WeChatError(_("平台尚未配置服务商商户号，请联系平台开通服务商代开"),
                              code="no_service_provider")
        return pay.PayAccount(appid=platform.sp_appid or config.appid,
                              mch_id=platform.sp_mch_id, api_key=platform.sp_api_key,
                              sub_mch_id=config.sub_mch_id, sub_appid=config.appid,
                              cert_pem=platform.sp_cert_pem, key_pem=platform.sp_key_pem)
    return pay.PayAccount(appid=config.appid, mch_id=config.mch_id, api_key=config.api_key,
                          cert_pem=config.cert_pem, key_pem=config.key_pem,
                          cert_expires_at=config.cert_expires_at)


def official_account(config):
    return official.OfficialAccount(appid=config.appid, app_secret=config.app_secret,
                                    token=config.token,
                                    encoding_aes_key=config.encoding_aes_key,
                                    safe_mode=config.message_mode == "safe")


@bp.route("/<token>/callback", methods=["GET", "POST"])
def official_callback(token):
    """The official account's 服务器地址 (URL)."""
    config = wechat_service.account_by_callback_token(db.session, token)
    if config is None or not config.token:
        abort(404)
    account = official_account(config)
    if request.method == "GET":
        if not official.valid_echo(account, request.args):
            log.warning("official account echo with a bad signature (merchant %s)",
                        config.merchant_id)
            return Response("", status=403)
        return Response(request.args.get("echostr", ""), mimetype="text/plain")
    try:
        message = official.read_callback(account, request.args,
                                         request.get_data(cache=False))
    except official.CallbackRejected as exc:
        log.warning("official account callback rejected (merchant %s): %s", config.merchant_id,
                    exc)
        return Response("", status=403)
    with tenant_scope(config.merchant_id), force_locale("zh"):
        reply = handle_message(config, message)
        db.session.commit()
    if not reply:
        return Response("success", mimetype="text/plain")
    return _xml(official.text_reply(account, message, reply, request.args))


def handle_message(config, message):
    """The reply text for one message or event, or None to answer nothing."""
    kind = message.type
    event = getattr(message, "event", None)
    openid = message.source
    if kind == "event" and event in ("subscribe", "subscribe_scan"):
        scene = getattr(message, "scene_id", None) if event == "subscribe_scan" else None
        wechat_service.follow(db.session, config.merchant_id, openid, scene=scene)
        if config.follow_creates_member:  # 关注成为会员 (members module's service)
            from app.services.binding import member_for_follower

            member_for_follower(db.session, config.merchant_id, openid)
        if config.follow_sends_register_link and config.register_url:
            return _("欢迎关注！点击注册会员：%(url)s", url=config.register_url)
        return config.auto_reply or None
    if kind == "event" and event == "unsubscribe":
        wechat_service.unfollow(db.session, config.merchant_id, openid)
        return None
    if kind == "event" and event == "scan":
        wechat_service.follow(db.session, config.merchant_id, openid,
                              scene=getattr(message, "scene_id", None))
        return None
    if kind == "text":
        content = (message.content or "").strip()
        if config.boss_code and content == config.boss_code:
            return _("老板您好，今日经营报表：%(url)s",
                     url=public_url("HomeView.index"))
        return config.auto_reply or None
    return None


def init_app(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)
    component_callback.init_app(app)  # the component's 授权事件接收 URL (小程序设置管理)


@bp.route("/platform/pay/notify", methods=["POST"])
def platform_pay_notify():
    """支付结果通知 for the platform's own merchant account (微红包 余额充值 by Native pay):
    verified with the platform's key, then the recharge is marked paid and the merchant's
    pool credited once; a repeated notification changes nothing and is answered SUCCESS."""
    from app.services import red_packet as red_packets
    from app.services.errors import BusinessError
    from app.tenancy import platform_scope
    from app.workers.red_packet import platform_account

    body = request.get_data(cache=False)
    with platform_scope():
        try:
            account = platform_account(db.session)
            data = pay.read_notification(body)
            payment = pay.verify_notification(data, account)
        except WeChatError as exc:
            db.session.rollback()
            log.warning("platform pay notify rejected: %s (%s)", exc.code, request.remote_addr)
            return _xml(pay.notification_reply(False, exc.code or "FAIL"), 400)
        try:
            recharge, credited = red_packets.apply_recharge_payment(db.session, payment)
        except BusinessError as exc:
            db.session.rollback()
            log.warning("platform pay notify %s refused: %s", payment["out_trade_no"], exc.code)
            return _xml(pay.notification_reply(False, exc.code or "FAIL"), 400)
        if recharge is None:
            db.session.rollback()
            log.warning("platform pay notify for unknown trade %s", payment["out_trade_no"])
            return _xml(pay.notification_reply(False, "unknown_trade"), 404)
        db.session.commit()
        log.info("platform pay notify %s (%s)", payment["transaction_id"],
                 "credited" if credited else "repeat")
    return _xml(pay.notification_reply(True))
