"""抽奖游戏 endpoints of the shop API: an activity's info (its prizes without their
probabilities, the member's chances and points) and 抽奖 (one draw) for a logged-in member.
The shop's game pages play every game type with these two; the back office's H5 预览
(app/templates/lottery_game/h5.html) only simulates draws and never calls them."""
from flask import g, jsonify
from flask_babel import gettext as _

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.base import china_now
from app.models.lottery_game import GAME_TYPES, PRIZE_KINDS, LotteryGame
from app.services import lottery_game as games


def _game_or_404(game_id):
    game = db.session.get(LotteryGame, game_id)  # the tenant guard: this merchant's only
    return game


def _prize_json(prize):
    return {"id": prize.id, "name": prize.name, "kind": prize.kind,
            "kind_text": str(dict(PRIZE_KINDS)[prize.kind])}


def _member_json(game, member, now):
    return {"points": member.points or 0,
            "chances": games.chances_left(db.session, game, member, now)}


@bp.route("/games/<int:game_id>", methods=["GET"])
@member_required
def game_info(game_id):
    """The activity as the game page shows it."""
    now = china_now()
    game = _game_or_404(game_id)
    if game is None:
        return api_error(_("活动不存在"), 404, "not_found")
    return jsonify({
        "id": game.id, "name": game.name, "game_type": game.game_type,
        "game_type_text": str(dict(GAME_TYPES)[game.game_type]),
        "starts_at": game.starts_at.isoformat(), "ends_at": game.ends_at.isoformat(),
        "per_day": game.per_day, "total": game.total, "points_cost": game.points_cost,
        "status": game.status, "rules": game.rules or "",
        "prizes": [_prize_json(p) for p in game.prizes],
        "member": _member_json(game, g.member, now)})


@bp.route("/games/<int:game_id>/draw", methods=["POST"])
@member_required
def game_draw(game_id):
    """抽奖: one draw. 200 with the outcome (a prize, 谢谢参与 or 未中奖); a refused draw is
    an error with a Chinese message, and then nothing moved."""
    now = china_now()
    game = _game_or_404(game_id)
    if game is None:
        return api_error(_("活动不存在"), 404, "not_found")
    row = games.play(db.session, game=game, member=g.member, now=now)
    db.session.commit()
    if row.payout_id:  # a red-packet prize: sent by the red-packet plugin's job
        from app.workers.red_packet import enqueue_payouts

        enqueue_payouts([row.payout_id])
    prize = row.prize if row.prize_id else None
    if row.result == "won":
        message = _("恭喜您获得：%(name)s", name=row.prize_name)
    elif row.result == "thanks":
        message = row.prize_name
    else:
        message = _("很遗憾，未中奖")
    body = {"draw_no": row.draw_no, "result": row.result, "won": row.result == "won",
            "message": message, "prize": _prize_json(prize) if prize is not None else None,
            "points_awarded": row.points_awarded, "code": row.code,
            "amount": str(row.amount) if row.amount is not None else None,
            "member_coupon_id": row.member_coupon_id,
            "member": _member_json(game, g.member, now)}
    return jsonify(body)
