"""Coupon endpoints of the shop API: 领取 by link or QR code, entering a 复用券 code, and the
member's own coupons."""
from flask import g, jsonify, request

from app.api import bp, member_required
from app.extensions import db
from app.models.base import china_now
from app.models.marketing import MemberCoupon
from app.services import coupon as coupons


def _coupon_json(row, now):
    batch = row.batch
    return {
        "id": row.id, "batch_id": batch.id, "name": batch.name, "code": row.code,
        "discount_type": batch.discount_type, "value": str(batch.value),
        "threshold": str(batch.threshold),
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "status": row.status, "usable": coupons.usable(row, now) is None,
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
    """The member's coupons, newest first (at most 100)."""
    now = china_now()
    rows = db.session.query(MemberCoupon).filter(MemberCoupon.member_id == g.member.id) \
        .order_by(MemberCoupon.id.desc()).limit(100).all()
    return jsonify(coupons=[_coupon_json(r, now) for r in rows])
