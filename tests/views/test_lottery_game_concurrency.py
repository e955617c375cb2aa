"""抽奖游戏 under real concurrency: 50 members drawing at once against a prize stock of 10 get
exactly 10 prizes, and every ledger adds up (prize stock = draws that won it, each member's
points = their points ledger, the coupon batch = its coupon ledger); 50 staff pressing 核销
on one physical prize at once redeem it exactly once. Each thread has its own session and
connection.

SQLite serializes writers, so these run on PostgreSQL and MariaDB (TEST_DATABASE_URL); on
SQLite they skip.
"""
import itertools
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.views.test_member_concurrency import _needs_server_database

THREADS = 50

# Members of these races: the 1376600xxxx range only (a phone built from a random tag fell
# into the 1366600xxxx range of the coupon-shop tests once).
_PHONES = itertools.count()


def _run(app, mid, work, count=THREADS):
    """``work(session, i)`` in ``count`` threads started together, each with its own
    session and connection (an engine with one connection per thread, so no thread waits
    for the app's small pool); outcomes per thread (a result, or the refusal's code)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.extensions import db
    from app.services.errors import BusinessError
    from app.tenancy import tenant_scope

    with app.app_context():
        engine = create_engine(db.engine.url, pool_size=count, max_overflow=0,
                               pool_timeout=300)
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        with app.app_context(), tenant_scope(mid), Session(engine) as session:
            barrier.wait()
            try:
                outcomes[i] = work(session, i)
                session.commit()
            except BusinessError as exc:
                session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the asserts
                session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    engine.dispose()
    return outcomes


def _unexpected(outcomes, *expected):
    return [o for o in outcomes if o not in expected]


def _game(session, prizes, **fields):
    from app.models.base import china_now
    from app.services import lottery_game as games

    now = china_now()
    values = dict(name="并发抽奖", game_type="wheel", starts_at=now - timedelta(days=1),
                  ends_at=now + timedelta(days=1), per_day=0, total=0, points_cost=0,
                  status="active")
    values.update(fields)
    game = games.save_game(session, values)
    for spec in prizes:
        games.save_prize(session, game, spec)
    return game


def test_fifty_draws_against_a_stock_of_ten_award_exactly_ten(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGameDraw, LotteryGamePrize
    from app.models.marketing import CouponBatch, MemberCoupon
    from app.models.member import Member
    from app.services import coupon, points
    from app.services import lottery_game as games
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    tag = uuid.uuid4().hex[:4]
    with app.app_context(), tenant_scope(mid):
        now = china_now()
        batch = coupon.save_batch(db.session, dict(
            name="并发抽奖券", kind="normal", discount_type="cash", value=Decimal("5"),
            threshold=Decimal("0"), code_prefix="LGC", quantity=10, validity_type="range",
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=10),
            scope="all", per_member_limit=0))
        coupon.publish(db.session, batch)
        game = _game(db.session, [
            dict(name="5元券", kind="coupon", probability="100", stock=10,
                 coupon_batch_id=batch.id)], points_cost=10)
        ids = []
        for i in range(THREADS):
            m = members.create_member(db.session, nickname=f"抽奖{i}",
                                      phone=f"1376600{next(_PHONES):04d}")
            db.session.flush()
            points.change_points(db.session, m, 100, "测试积分", "admin",
                                 f"race:{tag}:{m.id}")
            ids.append(m.id)
        db.session.commit()
        game_id, batch_id = game.id, batch.id
        prize_id = game.prizes[0].id

    def play(session, i):
        game = session.get(LotteryGame, game_id)
        member = session.get(Member, ids[i])
        return games.play(session, game=game, member=member, now=china_now()).result

    outcomes = _run(app, mid, play)
    assert _unexpected(outcomes, "won", "none") == []
    assert outcomes.count("won") == 10, outcomes
    with app.app_context(), tenant_scope(mid):
        prize = db.session.get(LotteryGamePrize, prize_id)
        won = db.session.execute(select(func.count()).select_from(LotteryGameDraw).where(
            LotteryGameDraw.prize_id == prize_id)).scalar()
        assert (prize.stock, prize.remaining, won) == (10, 0, 10)
        assert db.session.get(CouponBatch, batch_id).remaining == 0
        assert coupon.ledger_sum(db.session, batch_id) == -10
        coupons = db.session.execute(select(MemberCoupon.member_id).where(
            MemberCoupon.batch_id == batch_id)).scalars().all()
        winners = db.session.execute(select(LotteryGameDraw.member_id).where(
            LotteryGameDraw.prize_id == prize_id)).scalars().all()
        assert sorted(coupons) == sorted(winners)
        # every draw paid its 10 points, through the ledger
        for member_id in ids:
            member = db.session.get(Member, member_id)
            assert member.points == 90
            assert points.ledger_sum(db.session, member_id) == member.points


def test_fifty_staff_redeeming_one_gift_redeem_it_once(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGameDraw
    from app.models.member import Member
    from app.services import lottery_game as games
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        game = _game(db.session, [dict(name="保温杯", kind="gift", probability="100", stock=1,
                                       amount=Decimal("59"))])
        member = members.create_member(db.session, nickname="中奖者",
                                       phone="135" + str(uuid.uuid4().int)[:8])
        db.session.flush()
        row = games.play(db.session, game=db.session.get(LotteryGame, game.id),
                         member=db.session.get(Member, member.id), now=china_now())
        db.session.commit()
        code, draw_id = row.code, row.id

    def redeem(session, i):
        games.redeem_gift(session, code=code, staff_id=None, staff_name=f"店员{i}",
                          now=china_now())
        return "ok"

    outcomes = _run(app, mid, redeem)
    assert _unexpected(outcomes, "ok", "already_redeemed") == []
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context(), tenant_scope(mid):
        draw = db.session.get(LotteryGameDraw, draw_id)
        winner = outcomes.index("ok")
        assert draw.redeemed_by_name == f"店员{winner}"


def test_one_member_drawing_in_parallel_stays_within_the_daily_limit(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame, LotteryGameDraw
    from app.models.member import Member
    from app.services import lottery_game as games
    from app.services import member as members
    from app.services import points
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        game = _game(db.session, [dict(name="1积分", kind="points", probability="100",
                                       stock=100, points=1)], per_day=3, points_cost=5)
        member = members.create_member(db.session, nickname="连抽",
                                       phone="134" + str(uuid.uuid4().int)[:8])
        db.session.flush()
        points.change_points(db.session, member, 100, "测试积分", "admin",
                             f"race:{uuid.uuid4().hex}")
        db.session.commit()
        game_id, member_id = game.id, member.id

    def play(session, i):
        return games.play(session, game=session.get(LotteryGame, game_id),
                          member=session.get(Member, member_id), now=china_now()).result

    outcomes = _run(app, mid, play, count=12)
    assert _unexpected(outcomes, "won", "limit") == []
    assert outcomes.count("won") == 3, outcomes
    with app.app_context(), tenant_scope(mid):
        assert db.session.execute(select(func.count()).select_from(LotteryGameDraw).where(
            LotteryGameDraw.member_id == member_id)).scalar() == 3
        member = db.session.get(Member, member_id)
        assert member.points == 100 - 3 * 5 + 3
        assert points.ledger_sum(db.session, member_id) == member.points
