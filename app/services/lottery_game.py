"""抽奖游戏 (大转盘, 刮刮卡, 砸金蛋, 拆宝箱): activities, prizes, the draw, and 核销 of physical
prizes. No Flask.

Every draw goes through ``lottery.draw`` (app/services/lottery.py): window, blacklist and
per-member chances are the engine's; this module gives it the tiers and two callbacks.
``_reserve`` secures one prize with ONE conditional UPDATE on its stock
(``remaining >= 1 AND merchant_id = :m``); a coupon prize also takes its coupon from the
batch (the coupon service's own conditional UPDATE) and a red-packet prize debits the
merchant's pool, in the same savepoint, so a second counter that is short undoes the first
and the draw falls to the next smaller prize. ``_record`` writes the draw row, the points
cost and a points prize through the points ledger (``change_points``), all in the caller's
transaction. Nothing is read, subtracted in Python and written back.

``preview_draw`` is the back office's H5 预览: the engine's pick and fallback order over the
current counters, read only. A coupon prize's coupon is recorded with source and ledger
kind ``lottery`` (抽奖游戏).
"""
import importlib.util
import secrets
import uuid
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, select, update

from app.models.lottery_game import (GAME_TYPES, PRIZE_KINDS, LotteryGame, LotteryGameDraw,
                                     LotteryGamePrize)
from app.models.marketing import CouponBatch
from app.models.member import Member
from app.services import coupon as coupons
from app.services import lottery
from app.services import points as points_service
from app.services.errors import N_
from app.services.lottery import Limits, Tier
from app.services.member import LoyaltyError

ACTIVITY_KIND = "game"
COUPON_SOURCE = "lottery"  # member_coupon.source and coupon_ledger.kind: 抽奖游戏
NAME_MIN, NAME_MAX = 2, 20
PRIZE_NAME_MAX = 20
RULES_MAX = 1000
MAX_CHANCES = 10_000
MAX_POINTS = 1_000_000
MAX_STOCK = 1_000_000
RED_PACKET_MIN, RED_PACKET_MAX = Decimal("1"), Decimal("200")  # WeChat 现金红包 limits
MAX_GIFT_VALUE = Decimal("100000")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CENT = Decimal("0.01")


class GameError(LoyaltyError):
    """A refused game operation: a Chinese message, the form field it belongs to."""


class _Undo(Exception):
    """Raised inside a prize's savepoint to undo its first counter."""


def red_packets_available():
    """Whether the red-packet plugin (its pool) is installed in this code base."""
    return importlib.util.find_spec("app.services.red_packet") is not None


# -- activities -------------------------------------------------------------------------------
def _int_in(values, name, errors, low, high, message):
    value = values.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, int) \
            or not low <= value <= high:
        errors[name] = message
        return None
    return value


def check_game(values):
    """Field errors of an activity form ({field: Chinese message}); ``values`` holds Python
    values (str, int, datetime)."""
    errors = {}
    name = (values.get("name") or "").strip()
    if not NAME_MIN <= len(name) <= NAME_MAX:
        errors["name"] = N_("活动名称须为 2 到 20 个字")
    if values.get("game_type") not in dict(GAME_TYPES):
        errors["game_type"] = N_("请选择游戏类型")
    start, end = values.get("starts_at"), values.get("ends_at")
    if start is None:
        errors["starts_at"] = N_("请选择开始时间")
    if end is None:
        errors["ends_at"] = N_("请选择结束时间")
    elif start is not None and end <= start:
        errors["ends_at"] = N_("结束时间须晚于开始时间")
    _int_in(values, "per_day", errors, 0, MAX_CHANCES,
            N_("每人每天次数须为 0 到 10000 之间的整数，0 表示不限"))
    _int_in(values, "total", errors, 0, MAX_CHANCES,
            N_("每人总次数须为 0 到 10000 之间的整数，0 表示不限"))
    _int_in(values, "points_cost", errors, 0, MAX_POINTS,
            N_("每次消耗积分须为 0 到 1000000 之间的整数，0 表示免费"))
    if len(values.get("rules") or "") > RULES_MAX:
        errors["rules"] = N_("活动规则最多 1000 个字")
    if values.get("status", "active") not in ("active", "paused"):
        errors["status"] = N_("请选择状态")
    return errors


GAME_FIELDS = ("name", "game_type", "starts_at", "ends_at", "per_day", "total",
               "points_cost", "rules", "status")


def save_game(session, values, game=None):
    """Create (``game`` None) or edit an activity. Raises GameError on the first field
    error (forms show all of ``check_game`` first)."""
    errors = check_game(values)
    if errors:
        field, message = next(iter(errors.items()))
        raise GameError(message, code="invalid", field=field)
    if game is None:
        game = LotteryGame()
        session.add(game)
    for name in GAME_FIELDS:
        if name in values:
            setattr(game, name, values[name])
    game.name = game.name.strip()
    game.rules = (game.rules or "").strip() or None
    game.status = game.status or "active"
    session.flush()
    return game


# -- prizes -----------------------------------------------------------------------------------
def check_prize(session, values):
    """Field errors of a prize form. ``probability`` is the text entered (parsed by the
    engine's ``parse_probability``); the other values are Python values."""
    errors = {}
    name = (values.get("name") or "").strip()
    if not 1 <= len(name) <= PRIZE_NAME_MAX:
        errors["name"] = N_("奖品名称须为 1 到 20 个字")
    kind = values.get("kind")
    if kind not in dict(PRIZE_KINDS):
        errors["kind"] = N_("请选择奖品类型")
    try:
        lottery.parse_probability(values.get("probability"))
    except lottery.LotteryError as exc:
        errors["probability"] = exc.args[0]
    if kind != "thanks":
        _int_in(values, "stock", errors, 0, MAX_STOCK, N_("奖品数量须为 0 到 1000000 之间的整数"))
    if kind == "coupon":
        batch_id = values.get("coupon_batch_id")
        batch = session.get(CouponBatch, batch_id) if isinstance(batch_id, int) else None
        if batch is None or batch.kind != "normal" or batch.status != "published":
            errors["coupon_batch_id"] = N_("请选择本店已发布的普通券")
    elif kind == "points":
        _int_in(values, "points", errors, 1, MAX_POINTS, N_("积分数须为 1 到 1000000 之间的整数"))
    elif kind == "red_packet":
        amount = values.get("amount")
        if not red_packets_available():
            errors["kind"] = N_("红包奖品需先开通微红包插件（红包余额）")
        elif amount is None or not RED_PACKET_MIN <= amount <= RED_PACKET_MAX:
            errors["amount"] = N_("红包金额须在 1 到 200 元之间")
        elif amount != amount.quantize(CENT):
            errors["amount"] = N_("金额最多两位小数")
    elif kind == "gift":
        amount = values.get("amount")
        if amount is None or not 0 <= amount <= MAX_GIFT_VALUE:
            errors["amount"] = N_("奖品价值须在 0 到 100000 元之间")
        elif amount != amount.quantize(CENT):
            errors["amount"] = N_("金额最多两位小数")
    return errors


def save_prize(session, game, values, prize=None):
    """Add (``prize`` None) or edit a prize of ``game``. The stock changes by a conditional
    UPDATE that keeps ``stock - remaining`` (prizes already won): a stock below what was
    already won is refused."""
    errors = check_prize(session, values)
    if errors:
        field, message = next(iter(errors.items()))
        raise GameError(message, code="invalid", field=field)
    kind = values["kind"]
    stock = 0 if kind == "thanks" else values["stock"]
    if prize is None:
        prize = LotteryGamePrize(game_id=game.id, stock=stock, remaining=stock)
        session.add(prize)
    prize.name = values["name"].strip()
    prize.kind = kind
    prize.probability = lottery.parse_probability(values["probability"])
    prize.coupon_batch_id = values.get("coupon_batch_id") if kind == "coupon" else None
    prize.points = values.get("points") if kind == "points" else None
    prize.amount = values.get("amount") if kind in ("red_packet", "gift") else None
    prize.sort = values.get("sort") or 0
    session.flush()
    if prize.stock != stock:
        table = LotteryGamePrize.__table__
        change = stock - table.c.stock
        # remaining first: MySQL evaluates SET left to right with the new values.
        result = session.execute(update(table).where(
            table.c.id == prize.id, table.c.merchant_id == prize.merchant_id,
            table.c.remaining + change >= 0).ordered_values(
            (table.c.remaining, table.c.remaining + change), (table.c.stock, stock)))
        if result.rowcount != 1:
            session.refresh(prize)
            raise GameError(N_("奖品数量不能少于已发出的数量（已发出 %(won)s 个）"),
                            code="below_won", field="stock", won=prize.stock - prize.remaining)
        session.refresh(prize)
    return prize


def prize_value(prize):
    """What orders the fallback: the prize's money value (coupon face value, points ÷ 100,
    red-packet amount, the gift's declared value; 谢谢参与 and 折扣券 0)."""
    if prize.kind == "coupon":
        batch = prize.coupon_batch
        if batch is not None and batch.discount_type == "cash":
            return Decimal(batch.value)
        return Decimal(0)
    if prize.kind == "points":
        return Decimal(prize.points or 0) / 100
    if prize.kind in ("red_packet", "gift"):
        return Decimal(prize.amount or 0)
    return Decimal(0)


def tiers_of(game):
    return [Tier(id=p.id, probability=Decimal(p.probability), value=prize_value(p))
            for p in game.prizes]


def effective_probabilities(game):
    """[(prize or None for 未中奖, percent)] exactly as the draw weighs them."""
    prizes = {p.id: p for p in game.prizes}
    return [(prizes[tier.id] if tier else None, percent)
            for tier, percent in lottery.effective_probabilities(tiers_of(game))]


def limits_of(game):
    return Limits(starts_at=game.starts_at, ends_at=game.ends_at, per_day=game.per_day,
                  total=game.total)


# -- the draw ---------------------------------------------------------------------------------
def _gift_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _take_stock(session, prize):
    table = LotteryGamePrize.__table__
    result = session.execute(update(table).where(
        table.c.id == prize.id, table.c.merchant_id == prize.merchant_id,
        table.c.game_id == prize.game_id, table.c.remaining >= 1)
        .values(remaining=table.c.remaining - 1))
    return result.rowcount == 1


def play(session, *, game, member, now, rng=None):
    """One draw of ``member`` in ``game``; returns the LotteryGameDraw row. Raises a
    LotteryError / GameError / LoyaltyError (Chinese) when refused: the caller rolls back,
    and then nothing moved (chances, stock, coupons, points, pool). The caller commits."""
    if game.status != "active":
        raise GameError(N_("活动已暂停"), code="paused", status=409)
    limits = limits_of(game)
    if member.status != "blacklist":
        lottery.check_window(limits, now)
        if game.points_cost and (member.points or 0) < game.points_cost:
            raise GameError(N_("积分不足：每次抽奖消耗 %(cost)s 积分，您当前有 %(have)s 积分"),
                            code="insufficient_points", status=409, cost=game.points_cost,
                            have=member.points or 0)
    # One member's draws queue on the member row (a no-op on SQLite, which serializes
    # writers anyway): without it, MariaDB's FK checks on the chance and draw inserts take
    # shared locks on the member row that deadlock with a parallel draw's points UPDATE.
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    prizes = {p.id: p for p in game.prizes}
    draw_no = uuid.uuid4().hex
    won_with = {}

    def reserve(tier):
        prize = prizes[tier.id]
        if prize.kind == "thanks":
            return True
        try:
            with session.begin_nested():
                if not _take_stock(session, prize):
                    raise _Undo()
                if prize.kind == "coupon":
                    try:
                        batch = session.get(CouponBatch, prize.coupon_batch_id) \
                            if prize.coupon_batch_id else None
                        if batch is None:
                            raise _Undo()
                        # source and ledger kind "lottery" (抽奖游戏), not 商家派发
                        won_with["coupon"] = coupons.grant_plugin_coupon(
                            session, batch, member, COUPON_SOURCE, f"game:{draw_no}:coupon",
                            ref=f"game:{draw_no}", now=now)
                    except coupons.CouponError:
                        raise _Undo() from None
                elif prize.kind == "red_packet":
                    from app.services import red_packet

                    if not red_packet.debit_pool(session, prize.merchant_id, prize.amount,
                                                 "game", draw_no, f"game:{draw_no}:pool"):
                        raise _Undo()
        except _Undo:
            won_with.pop("coupon", None)
            return False
        return True

    def record(won, drawn):
        prize = prizes[won.id] if won is not None else None
        row = LotteryGameDraw(
            merchant_id=member.merchant_id, draw_no=draw_no, game_id=game.id,
            game_type=game.game_type, member_id=member.id,
            member_nickname=(member.nickname or "")[:64] or None,
            member_phone=member.phone, points_cost=game.points_cost or 0, points_awarded=0,
            drawn_prize_id=drawn.id if drawn is not None else None, created_at=now)
        if game.points_cost:
            points_service.change_points(session, member, -game.points_cost,
                                         f"抽奖消耗（{game.name}）"[:100], "lottery",
                                         f"game:{draw_no}:cost", ref=draw_no)
        if prize is None:
            row.result = "none"
        elif prize.kind == "thanks":
            row.result = "thanks"
            row.prize_id, row.prize_kind, row.prize_name = prize.id, prize.kind, prize.name
        else:
            row.result = "won"
            row.prize_id, row.prize_kind, row.prize_name = prize.id, prize.kind, prize.name
            if prize.kind == "coupon":
                coupon = won_with["coupon"]
                row.member_coupon_id = coupon.id
                row.amount = prize_value(prize)
            elif prize.kind == "points":
                points_service.change_points(session, member, prize.points,
                                             f"抽奖获得（{game.name}）"[:100], "lottery",
                                             f"game:{draw_no}:prize", ref=draw_no)
                row.points_awarded = prize.points
            elif prize.kind == "gift":
                row.code = _gift_code()
                row.amount = prize.amount
            elif prize.kind == "red_packet":
                from app.services import red_packet

                row.amount = prize.amount
                payout = red_packet.create_payout(session, prize.merchant_id, member,
                                                  prize.amount, "game", draw_no,
                                                  act_name=game.name)
                row.payout_id = payout.id
        session.add(row)
        session.flush()
        won_with["row"] = row

    lottery.draw(session, member=member, activity_kind=ACTIVITY_KIND, activity_id=game.id,
                 tiers=tiers_of(game), limits=limits, reserve=reserve, record=record, now=now,
                 rng=rng)
    return won_with["row"]


def _affordable(session, prize, now):
    """Whether ``prize`` could be paid now (a read of the current counters; the real draw
    decides by its conditional UPDATEs)."""
    if prize.kind == "thanks":
        return True
    table = LotteryGamePrize.__table__
    remaining = session.execute(select(table.c.remaining).where(
        table.c.id == prize.id, table.c.merchant_id == prize.merchant_id)).scalar()
    if not remaining or remaining < 1:
        return False
    if prize.kind == "coupon":
        batch = session.get(CouponBatch, prize.coupon_batch_id) \
            if prize.coupon_batch_id else None
        return batch is not None and batch.kind == "normal" and \
            batch.status == "published" and (batch.remaining or 0) >= 1 and \
            not coupons._expired(batch, now)  # grant_plugin_coupon's own refusal
    if prize.kind == "red_packet":
        if not red_packets_available():
            return False
        from app.models.red_packet import RedPacketPool

        balance = session.execute(select(RedPacketPool.balance).where(
            RedPacketPool.merchant_id == prize.merchant_id)).scalar()  # no row: nothing
        return balance is not None and Decimal(balance) >= Decimal(prize.amount or 0)
    return True


def preview_draw(session, game, now, rng=None):
    """商家预览 (H5 预览): what a draw would give now: the engine picks a tier with the real
    probabilities, then walks down the same fallback order while the prize's current stock
    (and its coupon batch or the red-packet pool) cannot pay it. Returns ``(prize or None,
    drawn prize or None)``. Reads only: no draw row, no chance counter, no stock, points,
    coupon or money moves, whatever the window, status or member."""
    prizes = {p.id: p for p in game.prizes}
    tiers = tiers_of(game)
    drawn = lottery.pick(tiers, rng)
    if drawn is None:
        return None, None
    for tier in lottery.fallback_order(tiers, drawn):
        if _affordable(session, prizes[tier.id], now):
            return prizes[tier.id], prizes[drawn.id]
    return None, prizes[drawn.id]


def chances_left(session, game, member, now):
    """{"today": n or None, "total": n or None} (None: 不限)."""
    today = total = None
    if game.per_day:
        today = max(0, game.per_day - lottery.chances_used(
            session, member, ACTIVITY_KIND, game.id, now.date().isoformat()))
    if game.total:
        total = max(0, game.total - lottery.chances_used(
            session, member, ACTIVITY_KIND, game.id, "total"))
    return {"today": today, "total": total}


# -- 核销 of physical prizes --------------------------------------------------------------------
def normalise_code(code):
    return "".join(ch for ch in (code or "").strip().upper() if ch.isalnum())[:CODE_LENGTH + 4]


def find_gift(session, *, code=None, draw_id=None):
    """The current merchant's physical-prize record by its code or id, else "核销码不存在"."""
    if draw_id is None:
        code = normalise_code(code)
        if not code:
            raise GameError(N_("请输入奖品核销码"), code="no_code", field="code")
        where = LotteryGameDraw.code == code
    else:
        where = LotteryGameDraw.id == draw_id
    row = session.execute(select(LotteryGameDraw).where(
        where, LotteryGameDraw.prize_kind == "gift", LotteryGameDraw.result == "won")).scalar()
    if row is None:
        raise GameError(N_("核销码不存在"), code="not_found", status=404, field="code")
    return row


def _already(redeemed_at, redeemed_by_name):
    return GameError(N_("该奖品已核销（核销时间：%(at)s，核销人：%(who)s）"),
                     code="already_redeemed", status=409, field="code",
                     at=redeemed_at.strftime("%Y-%m-%d %H:%M:%S"),
                     who=redeemed_by_name or "-")


def check_redeemable(row):
    """Raises "该奖品已核销" (when, by whom) for a gift already redeemed: the previews' check;
    ``redeem_gift``'s conditional UPDATE is what decides."""
    if row.redeemed_at is not None:
        raise _already(row.redeemed_at, row.redeemed_by_name)


def redeem_gift(session, *, staff_id, staff_name, now, code=None, draw_id=None):
    """核销 a physical prize exactly once: one conditional UPDATE (``redeemed_at IS NULL``);
    every later attempt answers "该奖品已核销" with when and by whom. The caller commits."""
    row = find_gift(session, code=code, draw_id=draw_id)
    if row.redeemed_at is not None:
        raise _already(row.redeemed_at, row.redeemed_by_name)
    table = LotteryGameDraw.__table__
    result = session.execute(update(table).where(and_(
        table.c.id == row.id, table.c.merchant_id == row.merchant_id,
        table.c.redeemed_at.is_(None))).values(
        redeemed_at=now, redeemed_by=staff_id,
        redeemed_by_name=(staff_name or "")[:64] or str(staff_id)))
    if result.rowcount != 1:
        # Someone redeemed it first: read the committed winner (a locking read sees past
        # MariaDB's REPEATABLE READ snapshot; plain columns, no eager outer joins).
        at, who = session.execute(select(table.c.redeemed_at, table.c.redeemed_by_name)
                                  .where(table.c.id == row.id, table.c.merchant_id ==
                                         row.merchant_id).with_for_update(read=True)).one()
        raise _already(at, who)
    session.refresh(row)
    return row


def prize_stats(session, game):
    """Per prize: stock, remaining, won (stock - remaining) for the admin page."""
    return [{"prize": p, "won": p.stock - p.remaining} for p in game.prizes]


def parse_amount(text):
    """A posted money text → Decimal or None (bad text is None: the rule reports it)."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None
