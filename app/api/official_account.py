"""用户绑定 endpoints of the shop API: a follower (proved by WeChat 网页授权) binds to a
member by phone number plus an SMS code; when no member has that phone, a 绑定申请 goes to
the merchant's staff (用户绑定管理).

    POST /api/v1/official/login         {"shop_id", "code"} -> {"token", "binding"}
    GET  /api/v1/official/binding       -> {"status": unbound|bound|pending|rejected, ...}
    POST /api/v1/official/binding/code  {"phone"} -> {"sent": true, "expires_in": 300}
    POST /api/v1/official/binding       {"phone", "code", "name"} -> bound (200, with a
                                        member token) or requested (202)

The follower token is signed like the member token and carries the merchant and openid;
every endpoint runs inside that merchant's tenant scope.
"""
from functools import wraps

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from app.api import _bearer_token, api_error, bp
from app.extensions import db
from app.models.merchant import Merchant
from app.models.shop import Shop
from app.services import binding
from app.services import wechat as wechat_service
from app.services.member import issue_member_token
from app.services.sms import SmsError, provider_from_config
from app.tenancy import tenant_scope
from app.wechat import official_api
from app.wechat.callbacks import official_account
from app.wechat.errors import WeChatError

BINDING_SMS_TEMPLATE = "binding_code"


def _secret():
    return current_app.config["SECRET_KEY"]


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _text(data, name, limit=64):
    value = data.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def follower_required(view):
    """Authenticate the follower token and run inside its merchant's tenant scope, with
    ``g.follower = (merchant id, openid)``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token()
        if not token:
            return api_error(_("请从公众号菜单进入"), 401, "no_token")
        merchant_id, openid = binding.read_follower_token(token, _secret())
        with tenant_scope(merchant_id):
            merchant = db.session.get(Merchant, merchant_id)
            if merchant is None:
                return api_error(_("请从公众号菜单进入"), 401, "bad_token")
            if merchant.login_block_reason():
                return api_error(_("商城暂停服务"), 403, "merchant_blocked")
            g.follower = (merchant_id, openid)
            try:
                return view(*args, **kwargs)
            finally:
                db.session.rollback()  # nothing uncommitted outlives the tenant scope

    return wrapper


@bp.route("/official/login", methods=["POST"])
def official_login():
    """Exchange a 网页授权 code for a follower token of the shop's merchant."""
    data = _body()
    try:
        shop_id = int(data.get("shop_id"))
    except (TypeError, ValueError):
        return api_error(_("缺少商城编号"), 400, "bad_shop")
    code = _text(data, "code", 128)
    if not code:
        return api_error(_("缺少网页授权 code"), 400, "no_code")
    shop = db.session.query(Shop).execution_options(skip_tenant=True).filter(
        Shop.id == shop_id).first()
    if shop is None:
        return api_error(_("商城不存在"), 404, "bad_shop")
    merchant_id = shop.merchant_id
    with tenant_scope(merchant_id):
        try:
            merchant = db.session.get(Merchant, merchant_id)
            if merchant is None or merchant.login_block_reason():
                return api_error(_("商城暂停服务"), 403, "merchant_blocked")
            config = wechat_service.official_account(db.session, merchant_id)
            if config is None or not config.appid or not config.app_secret:
                return api_error(_("商家尚未配置公众号"), 409, "no_official_account")
            try:
                openid = official_api.oauth_openid(official_account(config), code)
            except WeChatError as exc:
                status = 502 if exc.code == "network" else 400
                return api_error(exc, status, f"wechat_{exc.code}")
            token = binding.issue_follower_token(merchant_id, openid, _secret())
            return jsonify(token=token, binding=binding.binding_status(db.session, openid))
        finally:
            db.session.rollback()


@bp.route("/official/binding", methods=["GET"])
@follower_required
def binding_status():
    _merchant_id, openid = g.follower
    return jsonify(binding.binding_status(db.session, openid))


@bp.route("/official/binding/code", methods=["POST"])
@follower_required
def binding_code():
    """获取验证码: at most 10 per phone per day, one a minute, valid 5 minutes."""
    merchant_id, openid = g.follower
    provider = provider_from_config(current_app.config)
    if provider is None:
        return api_error(_("商家尚未开通短信服务"), 503, "no_sms")
    phone = _text(_body(), "phone", 20)
    row, code = binding.issue_binding_code(db.session, merchant_id, openid=openid,
                                           phone=phone, secret=_secret())
    db.session.commit()  # the quota and the code are kept before the SMS leaves
    minutes = int(binding.CODE_TTL.total_seconds() // 60)
    try:
        provider.send(phone, BINDING_SMS_TEMPLATE, {"code": code, "minutes": minutes})
    except SmsError:
        binding.void_unsent_code(db.session, row.id, phone, row.created_at.date())
        db.session.commit()
        raise
    return jsonify(sent=True, expires_in=int(binding.CODE_TTL.total_seconds()))


@bp.route("/official/binding", methods=["POST"])
@follower_required
def bind():
    """绑定: phone + SMS code; bound to the member with that phone, else a 绑定申请."""
    merchant_id, openid = g.follower
    data = _body()
    phone = _text(data, "phone", 20)
    try:
        binding.check_binding_code(db.session, merchant_id, openid=openid, phone=phone,
                                   code=_text(data, "code", 12), secret=_secret())
    except binding.OfficialError as exc:
        if exc.code == "bad_code":
            db.session.commit()  # the wrong try counts
        raise
    outcome, row = binding.bind_by_phone(db.session, merchant_id, openid=openid, phone=phone,
                                         name=_text(data, "name", 32))
    db.session.commit()
    if outcome == "bound":
        return jsonify(status="bound", member_id=row.id, nickname=row.nickname,
                       points=row.points, token=issue_member_token(row))
    return jsonify(status="pending", message=_("没有找到该手机号的会员，已提交绑定申请，商家处理后即可完成绑定")), 202
