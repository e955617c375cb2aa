"""The draw engine (app/services/lottery.py) on a bare SQLite database: probabilities,
fallback to smaller tiers, window and per-member limits. Concurrency is proven by the
plugins' own tests on PostgreSQL and MariaDB (red packets, games)."""
import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.lottery import LotteryChance
from app.models.merchant import Merchant
from app.services import lottery
from app.services import member as members
from app.services.lottery import Limits, LotteryError, Tier
from app.tenancy import platform_scope, tenant_scope

NOW = datetime(2026, 11, 28, 10, 0)


@pytest.fixture()
def session():
    import app.models  # noqa: F401  (complete metadata)

    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _fk(conn, _record):
        conn.execute("PRAGMA foreign_keys=ON")

    db.metadata.create_all(engine)
    with Session(engine) as s:
        with platform_scope():
            merchant = Merchant(name="测试商家", contact_phone="13700000000")
            s.add(merchant)
            s.commit()
        with tenant_scope(merchant.id):
            yield s
    engine.dispose()


@pytest.fixture()
def member(session):
    return members.create_member(session, nickname="抽奖会员", phone="13912345678")


def tiers(*specs):
    return [Tier(id=i + 1, probability=Decimal(p), value=Decimal(v))
            for i, (p, v) in enumerate(specs)]


class Pool:
    """An in-memory stand-in for the plugin's conditional UPDATE: a stock per tier."""

    def __init__(self, stock):
        self.stock = dict(stock)
        self.records = []

    def reserve(self, tier):
        if self.stock.get(tier.id, 0) <= 0:
            return False
        self.stock[tier.id] -= 1
        return True

    def record(self, won, drawn):
        self.records.append((won, drawn))


class Always:
    """An RNG that always rolls the same number."""

    def __init__(self, roll):
        self.roll = roll

    def randrange(self, n):
        assert 0 <= self.roll < n
        return self.roll


# -- probabilities -----------------------------------------------------------------------
def test_under_100_leaves_the_rest_to_no_prize():
    shown = lottery.effective_probabilities(tiers(("10", 50), ("30", 5)))
    assert [p for _, p in shown] == [Decimal("10.00"), Decimal("30.00"), Decimal("60.00")]
    assert shown[-1][0] is None


def test_over_100_is_normalised():
    shown = lottery.effective_probabilities(tiers(("100", 5), ("50", 1), ("50", 2)))
    assert [p for _, p in shown] == [Decimal("50.00"), Decimal("25.00"), Decimal("25.00"),
                                     Decimal("0.00")]


def test_pick_follows_the_probabilities():
    ts = tiers(("20", 10), ("30", 5))
    rng = random.Random(7)
    counts = Counter(lottery.pick(ts, rng) for _ in range(20000))
    assert abs(counts[ts[0]] / 20000 - 0.20) < 0.02
    assert abs(counts[ts[1]] / 20000 - 0.30) < 0.02
    assert abs(counts[None] / 20000 - 0.50) < 0.02


def test_pick_boundaries_are_exact():
    ts = tiers(("0.0001", 10), ("99.9999", 1))
    assert lottery.pick(ts, Always(0)) is ts[0]
    assert lottery.pick(ts, Always(1)) is ts[1]
    assert lottery.pick(ts, Always(999_999)) is ts[1]
    assert lottery.pick(tiers(("0", 10)), Always(0)) is None


@pytest.mark.parametrize("text,message", [("-1", "0 到 100"), ("abc", "数字"), ("NaN", "数字"),
                                          ("100.5", "0 到 100"), ("1.00001", "4 位小数"),
                                          ("", "数字")])
def test_bad_probabilities_are_refused(text, message):
    with pytest.raises(LotteryError) as caught:
        lottery.parse_probability(text)
    assert message in str(caught.value)


def test_good_probabilities_parse():
    assert lottery.parse_probability(" 12.5 ") == Decimal("12.5")
    assert lottery.parse_probability("0") == 0


# -- fallback ------------------------------------------------------------------------------
def test_fallback_walks_down_to_smaller_tiers_only():
    big, small, mid = tiers(("1", 50), ("1", 5), ("1", 20))
    assert lottery.fallback_order([big, small, mid], mid) == [mid, small]
    assert lottery.fallback_order([big, small, mid], big) == [big, mid, small]
    assert lottery.fallback_order([big, small, mid], small) == [small]


def test_sold_out_tier_falls_to_the_next_smaller(session, member):
    big, mid, small = tiers(("100", 50), ("0", 20), ("0", 5))
    pool = Pool({big.id: 0, mid.id: 0, small.id: 1})
    kwargs = dict(member=member, activity_kind="game", activity_id=1, tiers=[big, mid, small],
                  limits=Limits(), reserve=pool.reserve, record=pool.record, now=NOW)
    first = lottery.draw(session, **kwargs)
    assert (first.tier, first.drawn) == (small, big)
    second = lottery.draw(session, **kwargs)
    assert second.tier is None and second.drawn is big and not second.won
    assert pool.records == [(small, big), (None, big)]


# -- window, member, limits ----------------------------------------------------------------
def _draw(session, member, limits, now=NOW, pool=None):
    pool = pool or Pool({1: 100})
    return lottery.draw(session, member=member, activity_kind="red_packet", activity_id=9,
                        tiers=tiers(("100", 1)), limits=limits, reserve=pool.reserve,
                        record=pool.record, now=now, rng=Always(0))


def test_window_is_enforced(session, member):
    limits = Limits(starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(days=1))
    with pytest.raises(LotteryError, match="尚未开始"):
        _draw(session, member, limits)
    with pytest.raises(LotteryError, match="已结束"):
        _draw(session, member, limits, now=NOW + timedelta(days=1))
    assert _draw(session, member, limits, now=NOW + timedelta(hours=2)).won


def test_blacklisted_member_cannot_draw_and_nothing_moves(session, member):
    member.status = "blacklist"
    pool = Pool({1: 1})
    with pytest.raises(LotteryError, match="限制"):
        _draw(session, member, Limits(), pool=pool)
    assert pool.stock == {1: 1} and pool.records == []


def test_daily_and_total_limits(session, member):
    limits = Limits(per_day=2, total=3)
    pool = Pool({1: 100})
    _draw(session, member, limits, pool=pool)
    _draw(session, member, limits, pool=pool)
    with pytest.raises(LotteryError, match="今天"):
        _draw(session, member, limits, pool=pool)
    tomorrow = NOW + timedelta(days=1)
    _draw(session, member, limits, now=tomorrow, pool=pool)
    with pytest.raises(LotteryError, match="次数已用完"):
        _draw(session, member, limits, now=tomorrow, pool=pool)
    assert len(pool.records) == 3
    # A refused draw leaves no counter behind: the savepoint rolled both back.
    assert lottery.chances_used(session, member, "red_packet", 9, "total") == 3
    assert lottery.chances_used(session, member, "red_packet", 9, tomorrow.date().isoformat()) == 1
    assert session.query(LotteryChance).count() == 3


def test_no_prize_draw_still_uses_a_chance(session, member):
    limits = Limits(total=1)
    pool = Pool({1: 0})
    assert not _draw(session, member, limits, pool=pool).won
    with pytest.raises(LotteryError):
        _draw(session, member, limits, pool=pool)
