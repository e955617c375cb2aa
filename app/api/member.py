"""Member endpoints of the shop API: the profile and the daily sign-in (签到)."""
from flask import g, jsonify

from app.api import bp, member_required
from app.extensions import db
from app.models.member import SignIn
from app.services import points as points_service
from app.services import stored_value


def _profile(member):
    card = stored_value.card_of(db.session, member)
    today = points_service.today_in_china()
    signed = db.session.query(SignIn.id).filter(SignIn.member_id == member.id,
                                                SignIn.sign_date == today).first()
    level = member.level
    return {
        "id": member.id,
        "nickname": member.nickname,
        "avatar": member.avatar,
        "phone": (member.phone[:3] + "****" + member.phone[-4:]) if member.phone else None,
        "level": {"name": level.name, "discount": str(level.discount)} if level else None,
        "points": member.points,
        "experience": member.experience,
        "balance": str(card.balance) if card and card.status == "active" else "0.00",
        "card_no": card.card_no if card else None,
        "tags": [tag.name for tag in member.tags],
        "signed_today": signed is not None,
    }


@bp.route("/member/profile", methods=["GET"])
@member_required
def profile():
    """The signed-in member's profile: level, points, balance, whether signed in today."""
    return jsonify(_profile(g.member))


@bp.route("/member/sign-in", methods=["POST"])
@member_required
def sign_in():
    """签到: once per Asia/Shanghai natural day; 409 when already signed in today."""
    member = g.member
    row, credited = points_service.sign_in(db.session, member, points_service.today_in_china())
    db.session.commit()
    return jsonify(signed=True, sign_date=row.sign_date.isoformat(), streak=row.streak,
                   points_awarded=credited, points=member.points)
