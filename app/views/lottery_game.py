"""抽奖游戏 (插件管理): activities (大转盘, 刮刮卡, 砸金蛋, 拆宝箱) with their prizes and each
prize's effective probability, the H5 预览 (the game's phone page, whose draws are simulated
and award nothing),
the prize records (中奖记录, searchable and exportable, with a 核销 button on physical
prizes) and 奖品核销 by code. Rules live in app/services/lottery_game.py."""
from flask import flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.pages import form_text, merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.base import china_now
from app.models.lottery_game import (GAME_STATUS, GAME_TYPES, PRIZE_KINDS, LotteryGame,
                                     LotteryGameDraw, LotteryGamePrize)
from app.models.marketing import CouponBatch
from app.services import lottery_game as service
from app.views import add
from app.views.marketing_forms import dt_value, parse_datetime, parse_int

CATEGORY = "plugins"  # 插件管理


def _game_ops(game):
    links = (("LotteryGameView.prizes", _l("奖品设置")), ("LotteryGameView.edit_game", _l("编辑")),
             ("LotteryGameView.h5", _l("H5 预览")))
    return Markup(" ").join(
        Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for(endpoint, pk=game.id), text) for endpoint, text in links)


class LotteryGameView(TenantModelView):
    datamodel = AdminInterface(LotteryGame)
    list_title = _l("抽奖游戏")
    list_columns = ["name", "game_type", "window", "chances", "points_cost", "status",
                    "created_at", "ops"]
    search_columns = ["name", "game_type", "status", "starts_at", "created_at"]
    show_columns = ["name", "game_type", "starts_at", "ends_at", "per_day", "total",
                    "points_cost", "rules", "status", "created_at"]
    export_columns = ["id", "name", "game_type", "starts_at", "ends_at", "per_day", "total",
                      "points_cost", "status", "created_at"]
    label_columns = {"window": _l("活动时间"), "chances": _l("抽奖次数"), "ops": _l("操作")}
    list_template = "lottery_game/game_list.html"
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_add_game",
                        "can_edit_game", "can_prizes", "can_h5"]
    permission_labels = {"can_add_game": _l("新增抽奖活动"), "can_edit_game": _l("编辑抽奖活动"),
                         "can_prizes": _l("奖品设置"), "can_h5": _l("H5 预览")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _game_ops

    # -- add / edit ------------------------------------------------------------------
    def _game_form(self, game=None):
        if game is None:
            now = china_now().replace(second=0, microsecond=0)
            values = {"game_type": "wheel", "per_day": "1", "total": "0", "points_cost": "0",
                      "status": "active", "starts_at": dt_value(now), "ends_at": ""}
        else:
            values = {"name": game.name, "game_type": game.game_type,
                      "starts_at": dt_value(game.starts_at), "ends_at": dt_value(game.ends_at),
                      "per_day": game.per_day, "total": game.total,
                      "points_cost": game.points_cost, "rules": game.rules or "",
                      "status": game.status}
        errors = {}
        if request.method == "POST":
            values = {k: form_text(k, 40) for k in (
                "name", "game_type", "starts_at", "ends_at", "per_day", "total",
                "points_cost", "status")}
            values["rules"] = (request.form.get("rules") or "").strip()[:service.RULES_MAX + 1]
            parsed = {k: values[k] for k in ("name", "game_type", "status", "rules")}
            parsed["starts_at"] = parse_datetime("starts_at", errors)
            parsed["ends_at"] = parse_datetime("ends_at", errors)
            for name in ("per_day", "total", "points_cost"):
                parsed[name] = parse_int(name, errors)
            checked = {k: _(v) for k, v in service.check_game(parsed).items()}
            errors = {**checked, **errors}
            if not errors:
                try:
                    with audit_action(_("编辑抽奖活动") if game else _("新增抽奖活动")):
                        saved = service.save_game(db.session, parsed, game=game)
                        db.session.commit()
                except service.GameError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已保存抽奖活动“%(name)s”", name=saved.name), "success")
                    if game is None:
                        return redirect(url_for("LotteryGameView.prizes", pk=saved.id))
                    return redirect(url_for("LotteryGameView.list"))
        return self.render_template(
            "lottery_game/game_form.html",
            title=_("编辑抽奖活动") if game else _("新增抽奖活动"), values=values, errors=errors,
            game_types=GAME_TYPES, statuses=GAME_STATUS, game=game)

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def add_game(self):
        merchant_id_or_403()
        return self._game_form()

    @expose("/edit-game/<pk>", methods=["GET", "POST"])
    @has_access
    def edit_game(self, pk):
        return self._game_form(self.get_visible(pk))

    # -- prizes ----------------------------------------------------------------------
    def _prize_values(self, errors):
        values = {k: form_text(k, 40) for k in ("name", "kind", "probability", "stock",
                                                 "coupon_batch_id", "points", "amount", "sort")}
        parsed = {"name": values["name"], "kind": values["kind"],
                  "probability": values["probability"]}
        kind = values["kind"]
        if kind != "thanks":
            parsed["stock"] = parse_int("stock", errors)
            if values["stock"].startswith("-"):
                errors["stock"] = _("奖品数量须为 0 到 1000000 之间的整数")
        if kind == "coupon":
            parsed["coupon_batch_id"] = int(values["coupon_batch_id"]) \
                if values["coupon_batch_id"].isdigit() else None
        elif kind == "points":
            parsed["points"] = parse_int("points", errors)
        elif kind in ("red_packet", "gift"):
            parsed["amount"] = service.parse_amount(values["amount"]) \
                if values["amount"] else None
        parsed["sort"] = int(values["sort"]) if values["sort"].isdigit() else 0
        checked = {k: _(v) for k, v in service.check_prize(db.session, parsed).items()}
        errors.update({**checked, **errors})
        return values, parsed

    def _render_prizes(self, game, values, errors, editing=None, status=200):
        batches = db.session.execute(select(CouponBatch).where(
            CouponBatch.status == "published", CouponBatch.kind == "normal")
            .order_by(CouponBatch.id.desc()).limit(200)).scalars().all()
        return self.render_template(
            "lottery_game/prizes.html", title=_("奖品设置"), game=game, values=values,
            errors=errors, editing=editing, kinds=PRIZE_KINDS, batches=batches,
            effective=service.effective_probabilities(game),
            red_packets=service.red_packets_available(),
            kind_text=dict(PRIZE_KINDS), game_type_text=dict(GAME_TYPES)[game.game_type]), status

    @expose("/prizes/<pk>", methods=["GET", "POST"])
    @has_access
    def prizes(self, pk):
        """奖品设置: the prizes with their effective probabilities, and 添加奖品."""
        game = self.get_visible(pk)
        values = {"kind": "coupon", "probability": "", "stock": "", "sort": "0"}
        errors = {}
        if request.method == "POST":
            values, parsed = self._prize_values(errors)
            if not errors:
                try:
                    with audit_action(_("添加奖品")):
                        prize = service.save_prize(db.session, game, parsed)
                        db.session.commit()
                except service.GameError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已添加奖品“%(name)s”", name=prize.name), "success")
                    return redirect(url_for("LotteryGameView.prizes", pk=game.id))
            db.session.refresh(game)
            return self._render_prizes(game, values, errors, status=422)
        return self._render_prizes(game, values, errors)

    def _prize_of(self, game, prize_id):
        prize = db.session.get(LotteryGamePrize, prize_id)
        if prize is None or prize.game_id != game.id:
            from flask import abort

            abort(404)
        return prize

    @expose("/prize/<pk>/<int:prize_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("prizes")
    def edit_prize(self, pk, prize_id):
        game = self.get_visible(pk)
        prize = self._prize_of(game, prize_id)
        values = {"name": prize.name, "kind": prize.kind, "probability": prize.probability_text,
                  "stock": prize.stock, "coupon_batch_id": prize.coupon_batch_id or "",
                  "points": prize.points or "", "amount": prize.amount or "",
                  "sort": prize.sort}
        errors = {}
        if request.method == "POST":
            values, parsed = self._prize_values(errors)
            if not errors:
                try:
                    with audit_action(_("编辑奖品")):
                        service.save_prize(db.session, game, parsed, prize=prize)
                        db.session.commit()
                except service.GameError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已保存奖品“%(name)s”", name=prize.name), "success")
                    return redirect(url_for("LotteryGameView.prizes", pk=game.id))
            db.session.refresh(game)
            return self._render_prizes(game, values, errors, editing=prize, status=422)
        return self._render_prizes(game, values, errors, editing=prize)

    @expose("/prize-delete/<pk>/<int:prize_id>", methods=["POST"])
    @has_access
    @permission_name("prizes")
    def delete_prize(self, pk, prize_id):
        game = self.get_visible(pk)
        prize = self._prize_of(game, prize_id)
        name = prize.name
        with audit_action(_("删除奖品")):
            db.session.delete(prize)
            db.session.commit()
        flash(_("已删除奖品“%(name)s”（已有的中奖记录保留）", name=name), "success")
        return redirect(url_for("LotteryGameView.prizes", pk=game.id))

    # -- H5 预览 (a simulation) -----------------------------------------------------------
    @expose("/h5/<pk>", methods=["GET"])
    @has_access
    def h5(self, pk):
        """The phone page of the game with its animation, for the merchant to try: draws
        are simulated (``h5_draw``) and award nothing. Shoppers play through the shop API."""
        game = self.get_visible(pk)
        now = china_now()
        open_now = game.status == "active" and game.starts_at <= now < game.ends_at
        prizes = [{"id": p.id, "name": p.name, "kind": p.kind} for p in game.prizes]
        return self.render_template("lottery_game/h5.html", game=game, prizes=prizes,
                                    open_now=open_now,
                                    draw_url=url_for("LotteryGameView.h5_draw", pk=game.id))

    @expose("/h5/<pk>/draw", methods=["POST"])
    @has_access
    @permission_name("h5")
    def h5_draw(self, pk):
        """商家预览抽奖: the engine picks with the real probabilities and current stock;
        nothing is written (no draw row, chance, stock, coupon, points or red packet)."""
        game = self.get_visible(pk)
        prize, _drawn = service.preview_draw(db.session, game, china_now())
        if prize is None:
            result, message = "none", _("很遗憾，未中奖")
        elif prize.kind == "thanks":
            result, message = "thanks", prize.name
        else:
            result, message = "won", _("恭喜您获得：%(name)s", name=prize.name)
        return jsonify(
            preview=True, result=result, won=result == "won", message=message,
            prize={"id": prize.id, "name": prize.name, "kind": prize.kind}
            if prize is not None else None,
            note=_("预览结果，未实际发放") if result == "won" else "")


def redeem_gift_as(user, *, code=None, draw_id=None):
    """核销 a physical prize under the audit log (奖品记录, 奖品核销 and the 核销台 share it):
    ``(row, None)``, or ``(None, GameError)`` after a rollback."""
    try:
        with audit_action(_("核销奖品")):
            done = service.redeem_gift(db.session, code=code, draw_id=draw_id,
                                       staff_id=user.id, staff_name=user.display_name,
                                       now=china_now())
            db.session.commit()
    except service.GameError as exc:
        db.session.rollback()
        return None, exc
    return done, None


def _draw_ops(row):
    if row.prize_kind != "gift" or row.result != "won":
        return ""
    if row.redeemed_at is not None:
        return Markup('<span class="text-muted">{0}</span>').format(_("已核销"))
    return Markup(
        '<form method="post" action="{0}" style="display:inline" '
        'onsubmit="return confirm(\'{1}\')"><input type="hidden" name="csrf_token" '
        'value="{2}"><button class="btn btn-xs btn-primary" type="submit">{3}</button>'
        '</form>').format(url_for("LotteryGameDrawView.redeem", pk=row.id),
                          _("确认该奖品已交给顾客？"), generate_csrf(), _("核销"))


class LotteryGameDrawView(TenantModelView):
    """中奖记录: every draw, searchable by phone, result, prize type, code and time."""

    datamodel = AdminInterface(LotteryGameDraw)
    list_title = _l("中奖记录")
    list_columns = ["created_at", "game", "game_type", "member_nickname", "member_phone",
                    "result", "prize_name", "prize_kind", "points_cost", "code",
                    "redeemed_at", "redeemed_by_name", "ops"]
    search_columns = ["member_phone", "game", "result", "prize_kind", "code", "draw_no",
                      "created_at", "redeemed_at"]
    show_columns = ["draw_no", "created_at", "game", "game_type", "member_nickname",
                    "member_phone", "result", "prize_name", "prize_kind", "points_cost",
                    "points_awarded", "amount", "member_coupon_id", "payout_id", "code",
                    "redeemed_at", "redeemed_by_name"]
    export_columns = ["draw_no", "created_at", "game", "game_type", "member_nickname",
                      "member_phone", "result", "prize_name", "prize_kind", "points_cost",
                      "points_awarded", "amount", "code", "redeemed_at", "redeemed_by_name"]
    label_columns = {"ops": _l("操作")}
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_show", "can_export", "can_redeem"]
    permission_labels = {"can_redeem": _l("核销奖品")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _draw_ops

    @expose("/redeem/<pk>", methods=["POST"])
    @has_access
    def redeem(self, pk):
        """核销 a physical prize from its record."""
        row = self.get_visible(pk)
        _done, error = redeem_gift_as(g.user, draw_id=row.id)
        if error is not None:
            flash(str(error), "danger")
        else:
            flash(_("核销成功：%(prize)s（%(member)s）", prize=row.prize_name,
                    member=row.member_nickname or row.member_phone or ""), "success")
        return redirect(request.referrer if request.referrer and
                        request.referrer.startswith(request.host_url)
                        else url_for("LotteryGameDrawView.list"))


class LotteryGiftRedeemView(BaseView):
    """奖品核销: type (or scan) the code shown on the winner's phone."""

    route_base = "/lottery-gift"
    default_view = "redeem_code"
    merchant_facing = True
    base_permissions = ["can_redeem"]
    permission_labels = {"can_redeem": _l("核销奖品")}

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("redeem")
    def redeem_code(self):
        merchant_id_or_403()
        code, error, done, row, status = "", None, None, None, 200
        if request.method == "POST":
            code = service.normalise_code(form_text("code", 64))
            done, exc = redeem_gift_as(g.user, code=code)
            if exc is not None:
                error, status = str(exc), exc.status
                if exc.code == "already_redeemed":
                    row = service.find_gift(db.session, code=code)
        elif request.args.get("code"):
            code = service.normalise_code(request.args.get("code"))
            try:
                row = service.find_gift(db.session, code=code)
            except service.GameError as exc:
                error, status = str(exc), exc.status
        return self.render_template("lottery_game/redeem.html", title=_("奖品核销"),
                                    code=code, error=error, done=done, row=row), status


def register(appbuilder):
    add(appbuilder, LotteryGameView, "lottery_games", _l("抽奖游戏"), CATEGORY, "fa-gift")
    add(appbuilder, LotteryGameDrawView, "lottery_game_draws", _l("中奖记录"), CATEGORY,
        "fa-list")
    add(appbuilder, LotteryGiftRedeemView, "lottery_gift_redeem", _l("奖品核销"), CATEGORY,
        "fa-check-circle")
