"""The one draw engine behind 微红包 and the lottery games (大转盘, 刮刮卡, 砸金蛋, 拆宝箱).

No Flask. A plugin hands the engine its prize tiers, its limits, and two callbacks:

* ``reserve(tier) -> bool`` secures the tier's prize with ONE conditional UPDATE (a tier's
  stock, an activity's budget, a merchant's pool; several in one savepoint when a prize
  needs more than one) and says whether it moved;
* ``record(won, drawn)`` writes the plugin's draw row and, when something moved, its budget
  or stock ledger row.

``draw`` checks the window, the member and the per-member limits, picks a tier with
``secrets`` (or an injected RNG), and walks down from the drawn tier to the next smaller
affordable one until a ``reserve`` succeeds, else 未中奖. What a member wins is therefore
decided by the database's conditional UPDATEs, never by reading a balance and writing it
back, so no load can award more than the budget or the stock.

Probabilities are percentages per tier. When they add up to 100 or less, the remainder is
未中奖; when they add up to more than 100 they are normalised (the guide: "概率总和可以大于
或小于100%"). ``effective_probabilities`` is what the admin page shows.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import insert, select, update

from app.models.lottery import LotteryChance
from app.services.errors import BusinessError, N_

HUNDRED = Decimal(100)
# Draws are made in whole units of 0.0001 %: probabilities are entered with at most 4 decimals.
UNITS_PER_PERCENT = 10_000
PROBABILITY_PLACES = Decimal("0.0001")


class LotteryError(BusinessError):
    """A draw refused before anything moved (window, limits, member)."""


@dataclass(frozen=True)
class Tier:
    """A prize tier as the engine sees it. ``value`` orders the fallback: when the drawn
    tier cannot be paid, the next smaller ``value`` is tried."""

    id: int
    probability: Decimal
    value: Decimal


@dataclass(frozen=True)
class Limits:
    """The activity's window (``ends_at`` exclusive) and per-member chances; 0 = no limit."""

    starts_at: datetime = None
    ends_at: datetime = None
    per_day: int = 0
    total: int = 0


@dataclass(frozen=True)
class Outcome:
    """``tier`` is what the member won (None: 未中奖). ``drawn`` is what chance picked;
    they differ when the drawn tier had run out and a smaller one was paid instead."""

    tier: Tier = None
    drawn: Tier = None

    @property
    def won(self):
        return self.tier is not None


def parse_probability(value):
    """A tier's probability as entered: a number from 0 to 100, at most 4 decimals."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LotteryError(N_("中奖概率必须是数字"), code="probability") from None
    if not number.is_finite():
        raise LotteryError(N_("中奖概率必须是数字"), code="probability")
    if number < 0 or number > HUNDRED:
        raise LotteryError(N_("中奖概率必须在 0 到 100 之间"), code="probability")
    if number != number.quantize(PROBABILITY_PLACES):
        raise LotteryError(N_("中奖概率最多保留 4 位小数"), code="probability")
    return number


def _units(tier):
    return int(Decimal(tier.probability) * UNITS_PER_PERCENT)


def effective_probabilities(tiers):
    """[(tier, percent), …, (None, percent of 未中奖)], percents rounded to 0.01 for display,
    exactly as ``pick`` weighs them."""
    units = [_units(t) for t in tiers]
    denominator = max(sum(units), 100 * UNITS_PER_PERCENT)
    cents = Decimal("0.01")
    shown = [(tier, (Decimal(u) * HUNDRED / denominator).quantize(cents, ROUND_HALF_UP))
             for tier, u in zip(tiers, units)]
    nothing = Decimal(denominator - sum(units)) * HUNDRED / denominator
    return shown + [(None, nothing.quantize(cents, ROUND_HALF_UP))]


def pick(tiers, rng=None):
    """One tier by its probability, or None for 未中奖. ``rng`` needs ``randrange``
    (``secrets.SystemRandom()`` by default; tests inject ``random.Random(seed)``)."""
    rng = rng or secrets.SystemRandom()
    units = [_units(t) for t in tiers]
    denominator = max(sum(units), 100 * UNITS_PER_PERCENT)
    roll = rng.randrange(denominator)
    for tier, weight in zip(tiers, units):
        if roll < weight:
            return tier
        roll -= weight
    return None


def fallback_order(tiers, drawn):
    """The drawn tier, then every smaller tier from the largest down (ties by id)."""
    smaller = sorted((t for t in tiers if t.id != drawn.id and t.value < drawn.value),
                     key=lambda t: (-t.value, t.id))
    return [drawn] + smaller


def check_window(limits, now):
    if limits.starts_at is not None and now < limits.starts_at:
        raise LotteryError(N_("活动尚未开始"), code="not_started")
    if limits.ends_at is not None and now >= limits.ends_at:
        raise LotteryError(N_("活动已结束"), code="ended")


def _insert_if_missing(session, table, values):
    """INSERT that does nothing when the unique key exists (another draw created the row)."""
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(table).values(**values).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        statement = insert(table).values(**values).prefix_with("IGNORE")
    else:
        statement = insert(table).values(**values).prefix_with("OR IGNORE")
    session.execute(statement)


def take_chance(session, merchant_id, kind, activity_id, member_id, period, limit, message):
    """used + 1 on the member's counter, only while used < limit (one conditional UPDATE).
    Raises ``LotteryError(message)`` at the limit. Also used by plugins that limit
    participation without a draw (AI 刷脸).

    A missing row is created first by an INSERT that ignores a duplicate, never by an UPDATE
    that found nothing: on MariaDB (REPEATABLE READ) such an UPDATE locks the index gap, and
    two draws of different members locking the same gap and then inserting into it deadlock.
    The existence check is a plain read: it takes no lock."""
    table = LotteryChance.__table__
    keys = dict(merchant_id=merchant_id, activity_kind=kind, activity_id=activity_id,
                member_id=member_id, period=period)
    where = [table.c[name] == value for name, value in keys.items()]
    if session.execute(select(table.c.id).where(*where)).first() is None:
        _insert_if_missing(session, table, dict(used=0, **keys))
    result = session.execute(update(table).where(*where, table.c.used < limit)
                             .values(used=table.c.used + 1))
    if result.rowcount != 1:
        raise LotteryError(message, code="limit")


def draw(session, *, member, activity_kind, activity_id, tiers, limits, reserve, record,
         now, rng=None):
    """Draw once for ``member``; returns an ``Outcome``. Raises ``LotteryError`` before
    anything moves when the window, the member or a limit refuses the draw (the counters it
    took are inside a savepoint that is rolled back). Does not commit."""
    if getattr(member, "status", "normal") == "blacklist":
        raise LotteryError(N_("您的账号已被限制参与活动"), code="blacklisted", status=403)
    check_window(limits, now)
    with session.begin_nested():
        if limits.total:
            take_chance(session, member.merchant_id, activity_kind, activity_id, member.id,
                         "total", limits.total, N_("您的抽奖次数已用完"))
        if limits.per_day:
            take_chance(session, member.merchant_id, activity_kind, activity_id, member.id,
                         now.date().isoformat(), limits.per_day, N_("今天的抽奖次数已用完，明天再来"))
    drawn = pick(tiers, rng)
    won = None
    if drawn is not None:
        for tier in fallback_order(tiers, drawn):
            if reserve(tier):
                won = tier
                break
    record(won, drawn)
    return Outcome(tier=won, drawn=drawn)


def chances_used(session, member, activity_kind, activity_id, period):
    """How many draws ``member`` made in ``period`` ("total" or a day's ISO date)."""
    row = session.query(LotteryChance.used).filter_by(
        merchant_id=member.merchant_id, activity_kind=activity_kind, activity_id=activity_id,
        member_id=member.id, period=period).scalar()
    return row or 0
