"""微红包 endpoints of the shop API: the activity's page (shared 活动基本信息 plus the
activity) and 抽红包 for the logged-in member."""
from flask import g, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.base import china_now
from app.models.red_packet import RedPacketActivity
from app.services import lottery
from app.services import red_packet as red_packets


def _image_url(filename):
    if not filename:
        return None
    return url_for("api_v1.red_packet_image", filename=filename, _external=False)


@bp.route("/red-packets/<int:red_packet_activity_id>", methods=["GET"])
@member_required
def red_packet_activity(red_packet_activity_id):
    """Activity info: name, window, tiers with their effective probabilities, the
    member's chances used, and the shared page texts (rules sanitized on save)."""
    activity = db.session.execute(select(RedPacketActivity).where(
        RedPacketActivity.id == red_packet_activity_id)).scalar()
    if activity is None:
        return api_error(_("活动不存在"), 404, "not_found")
    setting = red_packets.setting_of(db.session, activity.merchant_id)
    now = china_now()
    member = g.member
    data = {
        "id": activity.id, "name": activity.name, "status": activity.status,
        "starts_at": activity.starts_at.isoformat(timespec="seconds"),
        "ends_at": activity.ends_at.isoformat(timespec="seconds"),
        "open": activity.status == "active" and activity.starts_at <= now < activity.ends_at,
        "per_day": activity.per_day, "per_member": activity.per_member,
        "used_today": lottery.chances_used(db.session, member, red_packets.KIND, activity.id,
                                           now.date().isoformat()),
        "used_total": lottery.chances_used(db.session, member, red_packets.KIND, activity.id,
                                           "total"),
        "tiers": [{"amount": str(t.amount), "probability": str(p)}
                  for t, p in red_packets.effective_probabilities(activity) if t is not None],
        "page": {"title": setting.name, "rules": setting.rules,
                 "home_second": setting.home_second, "home_third": setting.home_third,
                 "home_image": _image_url(setting.home_image),
                 "follow_qr": _image_url(setting.follow_qr),
                 "logo": _image_url(activity.logo)},
    }
    db.session.commit()  # the settings row, if it was just created
    return jsonify(data)


@bp.route("/red-packets/<int:red_packet_activity_id>/draw", methods=["POST"])
@member_required
def draw_red_packet(red_packet_activity_id):
    """抽红包: {"won", "amount", "draw_id", "payout_status"}; refusals are Chinese JSON errors
    (活动已结束, 次数已用完, 黑名单...) and move nothing."""
    from app.workers.red_packet import enqueue_payouts

    row, payout = red_packets.draw(db.session, red_packet_activity_id, g.member, china_now())
    db.session.commit()
    if payout is not None:
        enqueue_payouts([payout.id])
        db.session.refresh(payout)
    return jsonify(won=row.won, amount=str(row.amount), draw_id=row.id,
                   payout_status=payout.status if payout is not None else None,
                   message=_("恭喜您抽中 %(amount)s 元红包", amount=row.amount) if row.won
                   else _("很遗憾，未中奖")), 201


@bp.route("/red-packets/images/<string:filename>", methods=["GET"])
@member_required
def red_packet_image(filename):
    """The member's merchant's red-packet page images (settings and activity logos only)."""
    import os

    from flask import abort, current_app, send_file
    from werkzeug.utils import safe_join

    setting = red_packets.setting_of(db.session, g.member.merchant_id)
    known = {setting.follow_qr, setting.home_image}
    if filename not in known:
        known = {db.session.execute(select(RedPacketActivity.logo).where(
            RedPacketActivity.logo == filename)).scalar()}
    if not filename or filename not in known:
        abort(404)
    path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    return send_file(path, download_name=filename)
