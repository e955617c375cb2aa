"""商城注册 endpoints of the shop API (public: the shopper has no token yet). The shop in
the body names the merchant; everything runs inside that merchant's tenant scope.

    POST /api/v1/register/code  {"shop_id", "phone"} -> {"sent": true, "expires_in": 300}
    POST /api/v1/register       {"shop_id", "phone", "code", "nickname"?, "source"?,
                                 "referrer_id"?} -> 201 {"member_id", "token", "points",
                                 "referrer_id", "gift_coupon_id"}

A blacklisted or registered phone is refused in Chinese (403 / 409) before any code is
sent or used. The SMS leaves after the code and its quota are committed.
"""
from contextlib import contextmanager

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from app.api import api_error, bp
from app.extensions import db
from app.models.merchant import Merchant
from app.models.shop import Shop
from app.services import registration as service
from app.services.member import issue_member_token
from app.services.sms import SmsError, provider_from_config
from app.tenancy import tenant_scope

REGISTER_SMS_TEMPLATE = "register_code"


class _Refused(Exception):
    def __init__(self, response):
        super().__init__("refused")
        self.response = response


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _text(data, name, limit=64):
    value = data.get(name)
    return str(value).strip()[:limit] if value is not None else ""


@contextmanager
def _shop_scope(data):
    """The merchant of ``data["shop_id"]`` in its tenant scope; _Refused when unknown or
    blocked. Nothing uncommitted outlives the scope."""
    try:
        shop_id = int(data.get("shop_id"))
    except (TypeError, ValueError):
        raise _Refused(api_error(_("缺少商城编号"), 400, "bad_shop")) from None
    shop = db.session.query(Shop).execution_options(skip_tenant=True).filter(
        Shop.id == shop_id).first()
    if shop is None:
        raise _Refused(api_error(_("商城不存在"), 404, "bad_shop"))
    merchant_id = shop.merchant_id
    with tenant_scope(merchant_id):
        try:
            merchant = db.session.get(Merchant, merchant_id)
            if merchant is None or merchant.login_block_reason():
                raise _Refused(api_error(_("商城暂停服务"), 403, "merchant_blocked"))
            yield merchant_id
        finally:
            db.session.rollback()


@bp.route("/register/code", methods=["POST"])
def register_code():
    """获取注册验证码: refused for a registered or blacklisted phone."""
    data = _body()
    provider = provider_from_config(current_app.config)
    try:
        with _shop_scope(data) as merchant_id:
            if provider is None:
                return api_error(_("商家尚未开通短信服务"), 503, "no_sms")
            phone = _text(data, "phone", 20)
            secret = current_app.config["SECRET_KEY"]
            row, code = service.issue_code(db.session, merchant_id, phone, secret)
            db.session.commit()  # the quota and the code are kept before the SMS leaves
            minutes = int(service.CODE_TTL.total_seconds() // 60)
            try:
                provider.send(phone, REGISTER_SMS_TEMPLATE, {"code": code, "minutes": minutes})
            except SmsError:
                service.void_unsent_code(db.session, row.id, phone, row.created_at.date())
                db.session.commit()
                raise
            return jsonify(sent=True, expires_in=int(service.CODE_TTL.total_seconds()))
    except _Refused as refused:
        return refused.response


@bp.route("/register", methods=["POST"])
def register():
    """注册: phone + SMS code; 注册送积分 and the referrer's 推荐注册送积分, once each."""
    data = _body()
    try:
        with _shop_scope(data) as merchant_id:
            try:
                member, gift = service.register(
                    db.session, merchant_id, phone=_text(data, "phone", 20),
                    code=_text(data, "code", 12), secret=current_app.config["SECRET_KEY"],
                    nickname=_text(data, "nickname", 64), source=_text(data, "source", 16),
                    referrer_id=data.get("referrer_id"))
            except service.CodeError as exc:
                if exc.code == "bad_code":
                    db.session.commit()  # the wrong try counts
                raise
            db.session.commit()
            return jsonify(member_id=member.id, nickname=member.nickname, points=member.points,
                           referrer_id=member.referrer_id,
                           gift_coupon_id=gift.id if gift is not None else None,
                           token=issue_member_token(member)), 201
    except _Refused as refused:
        return refused.response
