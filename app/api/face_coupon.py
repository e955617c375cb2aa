"""AI 刷脸 endpoints of the shop API: the campaign's information and 刷脸领券 (a selfie with the
shopper's consent → 颜值/gender/age → a coupon to spend in the campaign's shop).

The photo stays in memory: it is hashed, analysed and dropped when the request ends, unless
the merchant turned retention on (then it is stored encrypted, at most 7 days). The external
analysis runs outside any database transaction (app/services/face_coupon.py).
"""
import os

from flask import current_app, g, jsonify, request, send_file
from flask_babel import gettext as _
from werkzeug.utils import safe_join

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.base import china_now
from app.models.face_coupon import FaceCampaign
from app.services import face_coupon as service
from app.services.face_analysis import (MAX_PHOTO_BYTES, FaceError, check_photo,
                                        measures_beauty, provider_for)

CONSENT_VALUES = ("1", "true", "on", "yes")


def _amount(value):
    return f"{value.normalize():f}"


def result_text(scan):
    """"颜值 87 分 · 女 · 26 岁 · 获得 20 元优惠券" (no 颜值 when it was not measured)."""
    parts = []
    if scan.beauty is not None:
        parts.append(_("颜值 %(n)d 分", n=scan.beauty))
    if scan.gender:
        parts.append(_("女") if scan.gender == "female" else _("男"))
    if scan.age is not None:
        parts.append(_("%(n)d 岁", n=scan.age))
    if scan.result == "rewarded":
        parts.append(_("获得 %(amount)s 元优惠券", amount=_amount(scan.amount)))
    elif scan.result == "sold_out":
        parts.append(_("优惠券已领完"))
    else:
        parts.append(_("未获得优惠券"))
    return " · ".join(parts)


def _campaign(campaign_id):
    campaign = db.session.get(FaceCampaign, campaign_id)
    if campaign is None:
        return None
    return campaign


@bp.route("/face/campaigns/<int:campaign_id>", methods=["GET"])
@member_required
def face_campaign_info(campaign_id):
    """The campaign as the shopper page shows it, with the member's chances left."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(_("活动不存在"), 404, "not_found")
    settings = service.settings_of(db.session)
    return jsonify(
        id=campaign.id, name=campaign.name, status=campaign.status,
        shop={"id": campaign.shop.id, "name": campaign.shop.name},
        rules=campaign.rules or "", share_title=campaign.share_title or campaign.name,
        share_image=(f"/api/v1/face/campaigns/{campaign.id}/share-image"
                     if campaign.share_image else None),
        rule_mode=campaign.rule_mode, measures_beauty=measures_beauty(settings),
        photo_max_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        retention_days=settings.retention_days if settings else 0,
        chances_left=service.chances_left(db.session, campaign, g.member),
        tiers=[{"amount": _amount(t.amount), "remaining": t.batch.remaining,
                "valid_from": t.valid_from.isoformat(), "valid_to": t.valid_to.isoformat()}
               for t in campaign.tiers])


@bp.route("/face/campaigns/<int:campaign_id>/share-image", methods=["GET"])
@member_required
def face_share_image(campaign_id):
    campaign = _campaign(campaign_id)
    if campaign is None or not campaign.share_image:
        return api_error(_("图片不存在"), 404, "not_found")
    path = safe_join(current_app.config["UPLOAD_FOLDER"], campaign.share_image)
    if path is None or not os.path.isfile(path):
        return api_error(_("图片不存在"), 404, "not_found")
    return send_file(path)


@bp.route("/face/campaigns/<int:campaign_id>/scan", methods=["POST"])
@member_required
def face_scan(campaign_id):
    """刷脸领券: multipart ``photo`` (JPG/PNG, at most 5 MB) and ``consent=1``."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return api_error(_("活动不存在"), 404, "not_found")
    if (request.form.get("consent") or "").lower() not in CONSENT_VALUES:
        return api_error(_("请先阅读并勾选同意使用人脸信息"), 422, "no_consent")
    storage = request.files.get("photo")
    photo = storage.read(MAX_PHOTO_BYTES + 1) if storage is not None else b""
    content_type = check_photo(photo)
    settings = service.settings_of(db.session)
    service.check_can_scan(db.session, campaign, g.member, measures_beauty(settings))
    provider = provider_for(settings, current_app.config["TENCENT_IAI_ENDPOINT"],
                            current_app.config.get("TENCENT_IAI_TIMEOUT", 10))
    retention = settings.retention_days if settings else 0
    db.session.rollback()  # no transaction stays open during the analysis
    try:
        analysis = provider.analyze(photo)
    except FaceError as exc:
        if exc.code in ("no_face", "multi_face"):
            service.record_failure(db.session, campaign=campaign, member=g.member,
                                   provider=provider.name, photo=photo, error=exc)
            db.session.commit()
        raise
    scan = service.record_scan(db.session, campaign=campaign, member=g.member,
                               analysis=analysis, photo=photo, content_type=content_type,
                               retention_days=retention, now=china_now())
    db.session.commit()
    coupon = None
    if scan.result == "rewarded":
        tier = next(t for t in campaign.tiers if t.id == scan.tier_id)
        coupon = {"id": scan.member_coupon_id, "code": scan.coupon_code,
                  "amount": _amount(scan.amount), "valid_from": tier.valid_from.isoformat(),
                  "valid_to": tier.valid_to.isoformat(),
                  "shop": {"id": campaign.shop.id, "name": campaign.shop.name}}
    return jsonify(scan_id=scan.id, result=scan.result, text=result_text(scan),
                   beauty=scan.beauty, gender=scan.gender, age=scan.age, coupon=coupon,
                   chances_left=service.chances_left(db.session, campaign, g.member),
                   photo_kept_until=scan.photo_expires_at.isoformat()
                   if scan.photo_expires_at else None), 201
