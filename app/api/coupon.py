"""Coupon endpoints of the shop API: 领取 by link or QR code, entering a 复用券 code, and the
member's own coupons."""
from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.base import china_now
from app.models.marketing import MemberCoupon
from app.models.shop import Shop
from app.services import coupon as coupons


def _coupon_json(row, now, shop=None):
    """One coupon; with ``shop`` (an order's shop), ``usable`` also says whether it may be
    used there (适用商城) and ``reason`` says why not."""
    batch = row.batch
    problem = coupons.usable(row, now)
    reason = _(problem) if problem else None
    if reason is None:
        wrong_shop = coupons.shop_refusal(batch, shop)
        reason = str(wrong_shop) if wrong_shop is not None else None
    return {
        "id": row.id, "batch_id": batch.id, "name": batch.name, "code": row.code,
        "discount_type": batch.discount_type, "value": str(batch.value),
        "threshold": str(batch.threshold),
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "status": row.status, "usable": reason is None, "reason": reason,
        "shop": {"id": batch.shop.id, "name": batch.shop.name} if batch.shop_id else None,
    }


@bp.route("/coupons/<int:batch_id>/claim", methods=["POST"])
@member_required
def claim_coupon(batch_id):
    """领取 one coupon of a published 普通券 batch (the claim link / QR code lands here)."""
    now = china_now()
    row = coupons.claim(db.session, batch_id, g.member, now)
    db.session.commit()
    return jsonify(_coupon_json(row, now)), 201


@bp.route("/coupons/code", methods=["POST"])
@member_required
def bind_coupon_code():
    """Enter a 复用券 code: {"code": "..."}."""
    now = china_now()
    payload = request.get_json(silent=True) or {}
    row = coupons.bind_code(db.session, g.member, str(payload.get("code") or ""), now)
    db.session.commit()
    return jsonify(_coupon_json(row, now)), 201


@bp.route("/member/coupons", methods=["GET"])
@member_required
def my_coupons():
    """The member's coupons, newest first (at most 100). ``?shop_id=`` (the shop of the
    order being placed): coupons limited to another shop come back with ``usable`` false
    and the reason "该优惠券仅限在 <shop> 使用"."""
    now = china_now()
    shop = None
    if request.args.get("shop_id") is not None:
        text = request.args["shop_id"].strip()
        shop = db.session.get(Shop, int(text)) if text.isdigit() and len(text) < 12 else None
        if shop is None or shop.merchant_id != g.member.merchant_id:
            return api_error(_("商城不存在"), 404, "no_shop")
    rows = db.session.query(MemberCoupon).filter(MemberCoupon.member_id == g.member.id) \
        .order_by(MemberCoupon.id.desc()).limit(100).all()
    return jsonify(coupons=[_coupon_json(r, now, shop) for r in rows])
