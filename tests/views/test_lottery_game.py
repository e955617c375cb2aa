"""抽奖游戏: activity and prize forms (bad input in Chinese, nothing saved), effective
probabilities on the admin page, draws through the shop API (points cost, points, coupon and
physical-gift prizes, fallback when a prize or its coupon batch runs out), refused draws
(window, limit, blacklist, points) that move nothing, 中奖记录 export, and 核销 of a physical
prize exactly once (by code and by the record's button)."""
import json
import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id

A, B = "鲜果时光", "茶语小铺"


def _phone():
    return "137" + str(uuid.uuid4().int)[:8]


@pytest.fixture()
def world(app):
    """A helper that builds games, prizes and members of merchant A (or B)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.services import coupon
    from app.services import lottery_game as games
    from app.services import member as members
    from app.services import points
    from app.tenancy import tenant_scope

    class World:
        def __init__(self):
            self.mid = {"a": merchant_id(app, A), "b": merchant_id(app, B)}

        def game(self, key="a", prizes=(), **fields):
            now = china_now()
            values = dict(name="幸运大转盘", game_type="wheel", starts_at=now - timedelta(days=1),
                          ends_at=now + timedelta(days=1), per_day=0, total=0, points_cost=0,
                          status="active")
            values.update(fields)
            with app.app_context(), tenant_scope(self.mid[key]):
                game = games.save_game(db.session, values)
                for spec in prizes:
                    games.save_prize(db.session, game, dict(spec))
                db.session.commit()
                return game.id

        def member(self, key="a", points_=0, **fields):
            with app.app_context(), tenant_scope(self.mid[key]):
                phone = fields.pop("phone", None) or _phone()
                m = members.create_member(db.session, nickname="抽奖会员", phone=phone,
                                          **fields)
                db.session.flush()
                if points_:
                    points.change_points(db.session, m, points_, "测试积分", "admin",
                                         f"test:{uuid.uuid4().hex}")
                db.session.commit()
                return m.id, members.issue_member_token(m, app.config["SECRET_KEY"])

        def batch(self, quantity, value="10", key="a"):
            now = china_now()
            with app.app_context(), tenant_scope(self.mid[key]):
                b = coupon.save_batch(db.session, dict(
                    name="抽奖券", kind="normal", discount_type="cash", value=Decimal(value),
                    threshold=Decimal("0"), code_prefix="LG", quantity=quantity,
                    validity_type="range", valid_from=now - timedelta(days=1),
                    valid_to=now + timedelta(days=30), scope="all", per_member_limit=0))
                coupon.publish(db.session, b)
                db.session.commit()
                return b.id

        def get(self, model, pk, key="a"):
            with app.app_context(), tenant_scope(self.mid[key]):
                row = db.session.get(model, pk)
                if row is not None:
                    db.session.expunge(row)
                return row

        def count(self, model, key="a", **where):
            with app.app_context(), tenant_scope(self.mid[key]):
                query = select(func.count()).select_from(model)
                for name, value in where.items():
                    query = query.where(getattr(model, name) == value)
                return db.session.execute(query).scalar()

        def rows(self, statement, key="a"):
            with app.app_context(), tenant_scope(self.mid[key]):
                return [tuple(row) for row in db.session.execute(statement).all()]

        def scalar(self, statement, key="a"):
            with app.app_context(), tenant_scope(self.mid[key]):
                return db.session.execute(statement).scalar()

    return World()


def _draw(client, game_id, token):
    return client.post(f"/api/v1/games/{game_id}/draw",
                       headers={"Authorization": f"Bearer {token}"})


# -- admin forms: bad input ------------------------------------------------------------------
@pytest.mark.parametrize("field,value,message", [
    ("name", "抽", "活动名称须为 2 到 20 个字"),
    ("name", "抽" * 21, "活动名称须为 2 到 20 个字"),
    ("ends_at", "2026-01-01T00:00", "结束时间须晚于开始时间"),
    ("per_day", "-1", "请输入整数"),
    ("points_cost", "abc", "请输入整数"),
])
def test_game_form_refuses_bad_input(login_as, world, field, value, message):
    from app.models.lottery_game import LotteryGame

    client = login_as("owner_a")
    before = world.count(LotteryGame)
    data = {"name": "幸运转盘", "game_type": "wheel", "starts_at": "2026-02-01T00:00",
            "ends_at": "2026-03-01T00:00", "per_day": "1", "total": "0", "points_cost": "0",
            "status": "active", "rules": "", "csrf_token": client.csrf("/lotterygameview/new")}
    data[field] = value
    response = client.post("/lotterygameview/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert world.count(LotteryGame) == before


def test_game_form_saves_and_lists(login_as, world):
    from app.models.lottery_game import LotteryGame

    client = login_as("owner_a")
    data = {"name": "周末砸金蛋", "game_type": "golden_egg", "starts_at": "2026-02-01T00:00",
            "ends_at": "2026-03-01T00:00", "per_day": "3", "total": "10", "points_cost": "5",
            "status": "active", "rules": "每人每天 3 次", "csrf_token": client.csrf("/lotterygameview/new")}
    response = client.post("/lotterygameview/new", data=data)
    assert response.status_code == 302
    game_id = world.scalar(select(LotteryGame.id).where(LotteryGame.name == "周末砸金蛋"))
    game = world.get(LotteryGame, game_id)
    assert (game.game_type, game.per_day, game.total, game.points_cost) == (
        "golden_egg", 3, 10, 5)
    listing = client.get("/lotterygameview/list/").get_data(as_text=True)
    assert "周末砸金蛋" in listing and "砸金蛋" in listing
    # another merchant neither lists nor opens it
    other = login_as("owner_b")
    assert "周末砸金蛋" not in other.get("/lotterygameview/list/").get_data(as_text=True)
    assert other.get(f"/lotterygameview/prizes/{game_id}").status_code == 404


@pytest.mark.parametrize("field,value,message", [
    ("probability", "-1", "中奖概率必须在 0 到 100 之间"),
    ("probability", "abc", "中奖概率必须是数字"),
    ("probability", "", "中奖概率必须是数字"),
    ("stock", "-3", "奖品数量须为 0 到 1000000 之间的整数"),
    ("name", "奖" * 21, "奖品名称须为 1 到 20 个字"),
    ("points", "0", "积分数须为 1 到 1000000 之间的整数"),
])
def test_prize_form_refuses_bad_input(login_as, world, field, value, message):
    from app.models.lottery_game import LotteryGamePrize

    game_id = world.game()
    client = login_as("owner_a")
    data = {"name": "100积分", "kind": "points", "probability": "10", "stock": "5",
            "points": "100", "amount": "", "coupon_batch_id": "", "sort": "0",
            "csrf_token": client.csrf(f"/lotterygameview/prizes/{game_id}")}
    data[field] = value
    response = client.post(f"/lotterygameview/prizes/{game_id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert world.count(LotteryGamePrize, game_id=game_id) == 0


def test_coupon_prize_needs_a_published_batch_of_the_merchant(login_as, world):
    from app.models.lottery_game import LotteryGamePrize

    game_id = world.game()
    other_batch = world.batch(5, key="b")
    client = login_as("owner_a")
    response = client.post(f"/lotterygameview/prizes/{game_id}", data={
        "name": "代金券", "kind": "coupon", "probability": "10", "stock": "5",
        "coupon_batch_id": str(other_batch), "sort": "0",
        "csrf_token": client.csrf(f"/lotterygameview/prizes/{game_id}")})
    assert response.status_code == 422
    assert "请选择本店已发布的普通券" in response.get_data(as_text=True)
    assert world.count(LotteryGamePrize, game_id=game_id) == 0


def test_prizes_page_shows_effective_probabilities(login_as, world):
    client = login_as("owner_a")
    under = world.game(prizes=[
        dict(name="一等奖", kind="gift", probability="10", stock=5, amount=Decimal("100")),
        dict(name="二等奖", kind="points", probability="20", stock=5, points=100)])
    html = client.get(f"/lotterygameview/prizes/{under}").get_data(as_text=True)
    assert "10.00%" in html and "20.00%" in html and "70.00%" in html and "未中奖" in html
    over = world.game(prizes=[
        dict(name="一等奖", kind="gift", probability="30", stock=5, amount=Decimal("100")),
        dict(name="二等奖", kind="points", probability="90", stock=5, points=100)])
    html = client.get(f"/lotterygameview/prizes/{over}").get_data(as_text=True)
    assert "25.00%" in html and "75.00%" in html and "0.00%" in html


def test_stock_edit_cannot_go_below_what_was_won(app, login_as, world):
    from app.models.lottery_game import LotteryGamePrize

    game_id = world.game(prizes=[dict(name="积分", kind="points", probability="100", stock=3,
                                      points=10)])
    _mid, token = world.member()
    api = app.test_client()
    for _ in range(2):
        assert _draw(api, game_id, token).get_json()["won"] is True
    prize_id = world.scalar(select(LotteryGamePrize.id).where(
        LotteryGamePrize.game_id == game_id))
    client = login_as("owner_a")
    url = f"/lotterygameview/prize/{game_id}/{prize_id}"
    data = {"name": "积分", "kind": "points", "probability": "100", "stock": "1",
            "points": "10", "sort": "0", "csrf_token": client.csrf(url)}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert "奖品数量不能少于已发出的数量（已发出 2 个）" in response.get_data(as_text=True)
    prize = world.get(LotteryGamePrize, prize_id)
    assert (prize.stock, prize.remaining) == (3, 1)
    data["stock"] = "10"
    assert client.post(url, data=data).status_code == 302
    prize = world.get(LotteryGamePrize, prize_id)
    assert (prize.stock, prize.remaining) == (10, 8)


# -- the draw through the shop API -------------------------------------------------------------
def test_points_cost_and_points_prize_go_through_the_ledger(app, world):
    from app.models.lottery_game import LotteryGameDraw, LotteryGamePrize
    from app.models.member import Member
    from app.services import points

    game_id = world.game(points_cost=10, prizes=[
        dict(name="50积分", kind="points", probability="100", stock=1, points=50)])
    member_id, token = world.member(points_=25)
    client = app.test_client()
    info = client.get(f"/api/v1/games/{game_id}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert info["points_cost"] == 10 and info["prizes"][0]["name"] == "50积分"
    assert "probability" not in info["prizes"][0]
    first = _draw(client, game_id, token).get_json()
    assert first["won"] is True and first["points_awarded"] == 50
    assert first["member"]["points"] == 25 - 10 + 50
    # the prize ran out: the next draw is 未中奖, and still costs its points
    second = _draw(client, game_id, token).get_json()
    assert second["result"] == "none" and second["won"] is False
    assert world.get(Member, member_id).points == 55
    assert world.scalar(select(func.count()).select_from(LotteryGameDraw).where(
        LotteryGameDraw.member_id == member_id)) == 2
    with app.app_context():
        from app.tenancy import tenant_scope
        from app.extensions import db

        with tenant_scope(world.mid["a"]):
            assert points.ledger_sum(db.session, member_id) == 55
    prize = world.get(LotteryGamePrize, world.scalar(select(LotteryGamePrize.id).where(
        LotteryGamePrize.game_id == game_id)))
    assert prize.remaining == 0


def test_coupon_prize_issues_a_coupon_and_falls_back_when_the_batch_is_empty(app, world):
    from app.models.lottery_game import LotteryGameDraw, LotteryGamePrize
    from app.models.marketing import (MEMBER_COUPON_SOURCES, CouponBatch, CouponLedger,
                                      MemberCoupon)

    batch_id = world.batch(1, value="20")
    game_id = world.game(prizes=[
        dict(name="20元券", kind="coupon", probability="100", stock=5,
             coupon_batch_id=batch_id),
        dict(name="谢谢参与", kind="thanks", probability="0")])
    member_id, token = world.member()
    client = app.test_client()
    first = _draw(client, game_id, token).get_json()
    assert first["won"] is True and first["prize"]["kind"] == "coupon"
    coupon = world.get(MemberCoupon, first["member_coupon_id"])
    assert coupon.member_id == member_id and coupon.batch_id == batch_id
    # recorded as won in a 抽奖游戏 (not 商家派发), in the member coupon and the coupon ledger
    assert coupon.source == "lottery"
    assert dict(MEMBER_COUPON_SOURCES)[coupon.source] == "抽奖游戏"
    assert world.scalar(select(CouponLedger.kind).where(
        CouponLedger.batch_id == batch_id, CouponLedger.member_id == member_id,
        CouponLedger.ref == f"game:{first['draw_no']}")) == "lottery"
    assert world.get(CouponBatch, batch_id).remaining == 0
    # the batch is empty: the prize's stock UPDATE is undone and the draw falls to 谢谢参与
    second = _draw(client, game_id, token).get_json()
    assert second["result"] == "thanks" and second["message"] == "谢谢参与"
    prize_id = world.scalar(select(LotteryGamePrize.id).where(
        LotteryGamePrize.game_id == game_id, LotteryGamePrize.kind == "coupon"))
    assert world.get(LotteryGamePrize, prize_id).remaining == 4
    draw = world.scalar(select(LotteryGameDraw).where(
        LotteryGameDraw.draw_no == second["draw_no"]))
    assert draw.drawn_prize_id == prize_id and draw.prize_kind == "thanks"


def test_refused_draws_move_nothing(app, world):
    from app.models.base import china_now
    from app.models.lottery import LotteryChance
    from app.models.lottery_game import LotteryGameDraw, LotteryGamePrize
    from app.models.member import Member

    now = china_now()
    prizes = [dict(name="积分", kind="points", probability="100", stock=10, points=5)]
    later = world.game(prizes=prizes, starts_at=now + timedelta(hours=1),
                       ends_at=now + timedelta(days=1))
    ended = world.game(prizes=prizes, starts_at=now - timedelta(days=2),
                       ends_at=now - timedelta(days=1))
    limited = world.game(prizes=prizes, per_day=1)
    costly = world.game(prizes=prizes, points_cost=30)
    paused = world.game(prizes=prizes, status="paused")
    member_id, token = world.member(points_=20)
    client = app.test_client()

    def refused(game_id, status, message):
        draws = world.count(LotteryGameDraw)
        chances = world.scalar(select(func.coalesce(func.sum(LotteryChance.used), 0)))
        remaining = world.scalar(select(func.sum(LotteryGamePrize.remaining)))
        response = _draw(client, game_id, token)
        assert response.status_code == status, response.get_json()
        assert message in response.get_json()["error"]
        assert world.count(LotteryGameDraw) == draws
        assert world.scalar(select(func.coalesce(func.sum(LotteryChance.used), 0))) == chances
        assert world.scalar(select(func.sum(LotteryGamePrize.remaining))) == remaining
        assert world.get(Member, member_id).points == points_now[0]

    points_now = [20]
    refused(later, 422, "活动尚未开始")
    refused(ended, 422, "活动已结束")
    refused(paused, 409, "活动已暂停")
    refused(costly, 409, "积分不足")
    assert _draw(client, limited, token).status_code == 200
    points_now[0] = 25
    refused(limited, 422, "今天的抽奖次数已用完")
    refused(999999, 404, "活动不存在")
    # another merchant's activity does not exist for this member
    other = world.game(key="b", prizes=())
    refused(other, 404, "活动不存在")


def test_blacklisted_member_cannot_draw(app, world):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGameDraw
    from app.models.member import Member
    from app.services import lottery
    from app.services import lottery_game as games
    from app.tenancy import tenant_scope

    game_id = world.game(prizes=[dict(name="积分", kind="points", probability="100",
                                      stock=10, points=5)])
    member_id, token = world.member(status="blacklist")
    response = _draw(app.test_client(), game_id, token)
    assert response.status_code == 403
    with app.app_context(), tenant_scope(world.mid["a"]):
        game = db.session.get(LotteryGame, game_id)
        member = db.session.get(Member, member_id)
        with pytest.raises(lottery.LotteryError) as refused:
            games.play(db.session, game=game, member=member, now=china_now())
        db.session.rollback()
        assert refused.value.code == "blacklisted"
        assert "您的账号已被限制参与活动" in str(refused.value)
    assert world.count(LotteryGameDraw, member_id=member_id) == 0


def test_fallback_to_the_next_smaller_prize(app, world):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGamePrize
    from app.models.member import Member
    from app.services import lottery_game as games
    from app.tenancy import tenant_scope

    game_id = world.game(prizes=[
        dict(name="大奖", kind="gift", probability="50", stock=0, amount=Decimal("500")),
        dict(name="中奖", kind="points", probability="10", stock=3, points=1000),
        dict(name="小奖", kind="points", probability="10", stock=3, points=10)])
    member_id, _token = world.member()
    with app.app_context(), tenant_scope(world.mid["a"]):
        game = db.session.get(LotteryGame, game_id)
        member = db.session.get(Member, member_id)

        class Roll:  # always rolls into 大奖 (the first 50 %)
            def randrange(self, n):
                return 0

        row = games.play(db.session, game=game, member=member, now=china_now(), rng=Roll())
        db.session.commit()
        big = db.session.execute(select(LotteryGamePrize).where(
            LotteryGamePrize.game_id == game_id, LotteryGamePrize.name == "大奖")).scalar()
        assert row.drawn_prize_id == big.id
        assert row.prize_name == "中奖" and row.points_awarded == 1000


# -- prize records and 核销 of physical prizes ----------------------------------------------------
def test_gift_is_redeemed_exactly_once(app, login_as, world):
    from app.models.lottery_game import LotteryGameDraw

    game_id = world.game(game_type="treasure_box", prizes=[
        dict(name="保温杯", kind="gift", probability="100", stock=2, amount=Decimal("59"))])
    _member_id, token = world.member()
    api = app.test_client()
    won = _draw(api, game_id, token).get_json()
    assert won["won"] is True and won["prize"]["kind"] == "gift" and len(won["code"]) == 12
    code = won["code"]

    # another merchant cannot find it
    other = login_as("owner_b")
    response = other.post("/lottery-gift/", data={"code": code,
                                                   "csrf_token": other.csrf("/lottery-gift/")})
    assert response.status_code == 404 and "核销码不存在" in response.get_data(as_text=True)

    client = login_as("owner_a")
    preview = client.get(f"/lottery-gift/?code={code}").get_data(as_text=True)
    assert "保温杯" in preview and "未核销" in preview
    response = client.post("/lottery-gift/", data={"code": code.lower(),
                                                    "csrf_token": client.csrf("/lottery-gift/")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "核销成功" in html and "保温杯" in html
    draw = world.scalar(select(LotteryGameDraw).where(LotteryGameDraw.code == code))
    assert draw.redeemed_at is not None and draw.redeemed_by_name
    again = client.post("/lottery-gift/", data={"code": code,
                                                 "csrf_token": client.csrf("/lottery-gift/")})
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "该奖品已核销" in text
    assert draw.redeemed_at.strftime("%Y-%m-%d %H:%M:%S") in text
    assert draw.redeemed_by_name in text

    # the record's button: the second gift, then a repeat is refused with when and who
    second = _draw(api, game_id, token).get_json()
    row_id = world.scalar(select(LotteryGameDraw.id).where(
        LotteryGameDraw.code == second["code"]))
    listing = client.get("/lotterygamedrawview/list/").get_data(as_text=True)
    assert f"/lotterygamedrawview/redeem/{row_id}" in listing
    token_ = client.csrf("/lotterygamedrawview/list/")
    response = client.post(f"/lotterygamedrawview/redeem/{row_id}",
                           data={"csrf_token": token_}, follow_redirects=True)
    assert "核销成功" in response.get_data(as_text=True)
    response = client.post(f"/lotterygamedrawview/redeem/{row_id}",
                           data={"csrf_token": token_}, follow_redirects=True)
    assert "该奖品已核销" in response.get_data(as_text=True)
    # another merchant cannot press it
    assert other.post(f"/lotterygamedrawview/redeem/{row_id}",
                      data={"csrf_token": other.csrf("/lottery-gift/")}).status_code == 404


def test_prize_records_are_searchable_and_exportable(app, login_as, world):
    game_id = world.game(name="导出测试转盘", prizes=[
        dict(name="导出积分", kind="points", probability="100", stock=5, points=1)])
    _member_id, token = world.member()
    assert _draw(app.test_client(), game_id, token).status_code == 200
    client = login_as("owner_a")
    listing = client.get("/lotterygamedrawview/list/?_flt_0_result=won").get_data(as_text=True)
    assert "导出积分" in listing
    export = client.get("/lotterygamedrawview/export/")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    assert "导出积分" not in login_as("owner_b").get(
        "/lotterygamedrawview/list/").get_data(as_text=True)


_PREVIEW_PHONES = iter(range(10_000))


def _preview_phone():
    """Phones of the H5 预览 fixtures: the 1375500xxxx range only."""
    return f"1375500{next(_PREVIEW_PHONES):04d}"


def _preview_counts(world, game_id, batch_id):
    """Every table a real draw writes, and each counter it moves."""
    from app.models.lottery import LotteryChance
    from app.models.lottery_game import LotteryGameDraw, LotteryGamePrize
    from app.models.marketing import CouponBatch, CouponLedger, MemberCoupon
    from app.models.member import Member, PointsLedger
    from app.models.red_packet import RedPacketPayout, RedPacketPoolLedger

    stock = select(LotteryGamePrize.id, LotteryGamePrize.remaining).where(
        LotteryGamePrize.game_id == game_id).order_by(LotteryGamePrize.id)
    return {
        "draws": world.count(LotteryGameDraw),
        "chances": world.count(LotteryChance),
        "member_coupons": world.count(MemberCoupon),
        "coupon_ledger": world.count(CouponLedger),
        "points_ledger": world.count(PointsLedger),
        "payouts": world.count(RedPacketPayout),
        "pool_ledger": world.count(RedPacketPoolLedger),
        "stock": world.rows(stock),
        "batch_remaining": world.get(CouponBatch, batch_id).remaining,
        "points": world.scalar(select(func.coalesce(func.sum(Member.points), 0))),
    }


def test_h5_preview_draws_write_nothing(app, login_as, world):
    """The merchant's H5 预览 draws through the engine (real probabilities, current stock)
    but no draw row, chance, stock, coupon, points or red packet moves."""
    from app.models.lottery_game import LotteryGameDraw

    batch_id = world.batch(5, value="20")
    game_id = world.game(per_day=1, total=1, points_cost=10, prizes=[
        dict(name="预览券", kind="coupon", probability="30", stock=3, coupon_batch_id=batch_id),
        dict(name="预览积分", kind="points", probability="25", stock=3, points=50),
        dict(name="预览礼品", kind="gift", probability="25", stock=3, amount=Decimal("59"))])
    world.member(points_=100, phone=_preview_phone())  # a member who could really draw
    before = _preview_counts(world, game_id, batch_id)
    client = login_as("owner_a")
    token = client.csrf("/lottery-gift/")
    seen = set()
    for _ in range(80):
        response = client.post(f"/lotterygameview/h5/{game_id}/draw",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200
        body = response.get_json()
        assert body["preview"] is True
        seen.add(body["prize"]["name"] if body["prize"] else None)
        if body["won"]:
            assert body["message"] == f"恭喜您获得：{body['prize']['name']}"
            assert body["note"] == "预览结果，未实际发放"
        else:
            assert body["result"] == "none" and body["message"] == "很遗憾，未中奖"
    # the engine's probabilities: every prize and 未中奖 (20 %) turn up in 80 simulated draws
    assert seen == {"预览券", "预览积分", "预览礼品", None}
    assert _preview_counts(world, game_id, batch_id) == before
    assert world.count(LotteryGameDraw, game_id=game_id) == 0
    # without the CSRF token it is refused and still writes nothing
    assert client.post(f"/lotterygameview/h5/{game_id}/draw").status_code == 400
    # another merchant cannot preview this game
    other = login_as("owner_b")
    assert other.get(f"/lotterygameview/h5/{game_id}").status_code == 404
    assert other.post(f"/lotterygameview/h5/{game_id}/draw", headers={
        "X-CSRFToken": other.csrf("/lottery-gift/")}).status_code == 404
    assert _preview_counts(world, game_id, batch_id) == before


def test_h5_preview_follows_the_current_stock(app, login_as, world):
    """A prize whose stock is gone (or whose coupon batch is empty) is never the preview's
    outcome: the draw falls to the next smaller prize, as the real draw would."""
    batch_id = world.batch(1, value="50")
    game_id = world.game(prizes=[
        dict(name="大奖", kind="gift", probability="60", stock=0, amount=Decimal("99")),
        dict(name="空券", kind="coupon", probability="40", stock=5, coupon_batch_id=batch_id),
        dict(name="谢谢参与", kind="thanks", probability="0")])
    _member_id, token = world.member(phone=_preview_phone())
    first = _draw(app.test_client(), game_id, token).get_json()  # takes the batch's only coupon
    assert first["prize"]["name"] == "空券"
    client = login_as("owner_a")
    csrf = client.csrf("/lottery-gift/")
    names = {client.post(f"/lotterygameview/h5/{game_id}/draw",
                         headers={"X-CSRFToken": csrf}).get_json()["message"]
             for _ in range(15)}
    assert names == {"谢谢参与"}


@pytest.mark.parametrize("game_type,marker", [
    ("wheel", 'id="md-wheel"'), ("scratch_card", 'id="md-scratch-canvas"'),
    ("golden_egg", 'class="egg"'), ("treasure_box", 'class="box"')])
def test_h5_preview_page_renders_each_game_type(login_as, world, game_type, marker):
    game_id = world.game(game_type=game_type, status="paused", prizes=[
        dict(name="页面积分", kind="points", probability="50", stock=5, points=1)])
    html = login_as("owner_a").get(f"/lotterygameview/h5/{game_id}").get_data(as_text=True)
    assert marker in html and json.dumps("页面积分") in html  # the prizes, as JSON for the JS
    assert "预览模式" in html and "不发放任何奖品" in html
    assert f"/lotterygameview/h5/{game_id}/draw" in html
    assert "/api/v1/games" not in html and "试玩会员手机号" not in html
    assert 'id="md-h5-closed"' in html  # paused: the page says shoppers cannot draw now


def test_draw_is_random_by_probability(app, world):
    """Many draws on a 30 % prize with ample stock land near 30 % (seeded RNG)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame
    from app.models.member import Member
    from app.services import lottery_game as games
    from app.tenancy import tenant_scope

    game_id = world.game(prizes=[dict(name="积分", kind="points", probability="30",
                                      stock=1000, points=1)])
    member_id, _token = world.member()
    rng = random.Random(8)
    with app.app_context(), tenant_scope(world.mid["a"]):
        game = db.session.get(LotteryGame, game_id)
        member = db.session.get(Member, member_id)
        results = [games.play(db.session, game=game, member=member, now=china_now(),
                              rng=rng).result for _ in range(400)]
        db.session.rollback()
    assert 90 <= results.count("won") <= 150


def test_red_packet_prize_is_paid_from_the_pool_or_falls_back(app, world):
    """A red-packet prize takes its stock and the merchant's pool in one savepoint: when
    the pool is short, the stock comes back and the draw falls to 谢谢参与."""
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGamePrize
    from app.models.member import Member
    from app.models.red_packet import RedPacketPayout
    from app.services import lottery_game as games
    from app.services import member as members
    from app.services import red_packet
    from app.tenancy import tenant_scope
    from tests.views.test_login import _new_merchant

    mid = _new_merchant(app, f"抽奖红包{uuid.uuid4().hex[:6]}", _phone())
    with app.app_context(), tenant_scope(mid):
        now = china_now()
        red_packet.credit_pool(db.session, mid, Decimal("5.00"), "offline", None,
                               f"test:{uuid.uuid4().hex}", note="测试充值")
        game = games.save_game(db.session, dict(
            name="红包转盘", game_type="wheel", starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1), per_day=0, total=0, points_cost=0,
            status="active"))
        games.save_prize(db.session, game, dict(name="3元红包", kind="red_packet",
                                                probability="100", stock=5,
                                                amount=Decimal("3")))
        games.save_prize(db.session, game, dict(name="谢谢参与", kind="thanks",
                                                probability="0"))
        member = members.create_member(db.session, nickname="红包会员", phone=_phone())
        db.session.commit()
        game_id, member_id = game.id, member.id

        first = games.play(db.session, game=db.session.get(LotteryGame, game_id),
                           member=db.session.get(Member, member_id), now=china_now())
        db.session.commit()
        assert first.result == "won" and first.amount == Decimal("3.00")
        payout = db.session.get(RedPacketPayout, first.payout_id)
        assert (payout.status, payout.amount, payout.member_id) == ("waiting",
                                                                   Decimal("3.00"), member_id)
        assert red_packet.pool_of(db.session, mid).balance == Decimal("2.00")

        second = games.play(db.session, game=db.session.get(LotteryGame, game_id),
                            member=db.session.get(Member, member_id), now=china_now())
        db.session.commit()
        assert second.result == "thanks" and second.payout_id is None
        prize = db.session.execute(select(LotteryGamePrize).where(
            LotteryGamePrize.game_id == game_id, LotteryGamePrize.kind == "red_packet")).scalar()
        assert prize.remaining == 4
        db.session.refresh(red_packet.pool_of(db.session, mid))
        assert red_packet.pool_of(db.session, mid).balance == Decimal("2.00")
        assert red_packet.pool_ledger_sum(db.session, mid) == Decimal("2.00")
