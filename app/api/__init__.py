"""The small JSON API that shop front ends (mini program, H5) call, under /api/v1/.

Every endpoint is token-authenticated (``member_required``: a signed member token carrying
the merchant and the member, from ``app.services.member.issue_member_token``) and runs
inside ``tenant_scope`` of the token's merchant, so the ORM guard filters every query to
that merchant. It is the only blueprint exempt from CSRF (no cookies are read). Errors are
JSON with a Chinese message: {"error": "...", "code": "..."}. Modules add endpoints to
``bp`` in their own app/api/<area>.py and import it in ``init_app``.
"""
from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from app.services.errors import BusinessError

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def api_error(message, status, code="error"):
    return jsonify(error=str(message), code=code), status


@bp.errorhandler(BusinessError)
def _business_error(exc):
    return api_error(exc, exc.status, exc.code)


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def member_required(view):
    """Authenticate the member token, refuse blacklisted members and blocked merchants,
    and run the endpoint inside the token merchant's tenant scope with ``g.member``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from app.extensions import db
        from app.models.member import Member
        from app.models.merchant import Merchant
        from app.services.member import read_member_token
        from app.tenancy import tenant_scope

        token = _bearer_token()
        if not token:
            return api_error(_("请先登录"), 401, "no_token")
        merchant_id, member_id = read_member_token(token)
        with tenant_scope(merchant_id):
            merchant = db.session.get(Merchant, merchant_id)
            member = db.session.get(Member, member_id)
            if merchant is None or member is None:
                return api_error(_("请先登录"), 401, "bad_token")
            blocked = merchant.login_block_reason()
            if blocked:
                return api_error(_("商城暂停服务"), 403, "merchant_blocked")
            if member.status == "blacklist":
                return api_error(_("账号已被加入黑名单，无法登录"), 403, "blacklisted")
            g.member = member
            try:
                return view(*args, **kwargs)
            finally:
                db.session.rollback()  # nothing uncommitted outlives the tenant scope

    return wrapper


def init_app(app):
    from app.extensions import csrf
    from app.services.member import configure_tokens

    from app.api import member  # noqa: F401  (routes)
    from app.api import official_account  # noqa: F401  (用户绑定)
    from app.api import registration, member_address, distribution  # noqa: F401  (members)
    from app.api import decoration  # noqa: F401  (published pages, 素材库 files; public)
    from app.api import content  # noqa: F401  (articles, 关于我们, badges; public)
    from app.api import order  # noqa: F401  (下单, 付款, 取消, 确认收货)
    from app.api import after_sale  # noqa: F401  (售后: apply, return waybill, confirm)
    from app.api import coupon  # noqa: F401  (优惠券: 领取, 复用券码, 我的优惠券)
    from app.api import face_coupon  # noqa: F401  (AI 刷脸: 活动信息, 刷脸领券)
    from app.api import lottery_game  # noqa: F401  (抽奖游戏: 活动信息, 抽奖)

    from app.api import red_packet  # noqa: F401  (微红包: activity info, 抽红包)

    configure_tokens(app.config["SECRET_KEY"])
    csrf.exempt(bp)
    app.register_blueprint(bp)
