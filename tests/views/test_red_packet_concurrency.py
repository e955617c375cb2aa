"""The draw engine under real concurrency (issue #8): 200 draws at once against a 微红包
activity with a budget of 50 yuan. Awards never exceed 50.00, the activity's remaining
budget equals its total plus its budget ledger, the awards equal the ledger's draw rows and
the payouts, and nothing is paid twice. Each thread has its own session; they share a
pool of 40 connections (MariaDB allows 151 in all by default).

SQLite serializes writers, so this runs on PostgreSQL and MariaDB (TEST_DATABASE_URL); on
SQLite it skips.
"""
import threading
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.views.red_packet_fixtures import MERCHANT_A, as_merchant, new_activity
from tests.views.test_member_concurrency import _needs_server_database

DRAWS = 200
BUDGET = Decimal("50.00")


def _draw_in_threads(app, mid, activity_id, member_ids, connections=40):
    """Every draw in its own thread, all released at once; the threads share a pool of
    ``connections`` database connections (MariaDB allows 151 by default, so 200 cannot
    each hold one), waiting for a free one as long as it takes (a web server's pool)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from app.extensions import db
    from app.models.member import Member
    from app.services import red_packet as service
    from app.services.errors import BusinessError
    from app.tenancy import tenant_scope

    with app.app_context():
        engine = create_engine(db.engine.url, pool_size=connections, max_overflow=0,
                               pool_timeout=600, pool_pre_ping=True)
    barrier = threading.Barrier(len(member_ids))
    outcomes = [None] * len(member_ids)

    def run(i):
        with app.app_context(), tenant_scope(mid), Session(engine) as session:
            barrier.wait()
            try:
                row, _payout = service.draw(session, activity_id,
                                            session.get(Member, member_ids[i]))
                session.commit()
                outcomes[i] = row.amount
            except BusinessError as exc:
                session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported below
                session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(member_ids))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
    finally:
        engine.dispose()
    return outcomes


def test_200_concurrent_draws_never_exceed_a_50_yuan_budget(app):
    _needs_server_database(app)
    from app.models.red_packet import (RedPacketActivity, RedPacketBudgetLedger,
                                       RedPacketDraw, RedPacketPayout)
    from app.services import member as members
    from app.services import red_packet as service

    mid = merchant_id(app, MERCHANT_A)
    # Every draw wins something while the budget lasts: 5 yuan 40 %, 2 yuan 30 %, 1 yuan 30 %.
    activity_id = new_activity(app, BUDGET, [("5", "40"), ("2", "30"), ("1", "30")])
    with as_merchant(app) as session:
        member_ids = [members.create_member(session, nickname=f"抢红包{i}",
                                            phone=f"1367700{i:04d}").id for i in range(DRAWS)]
        session.commit()

    outcomes = _draw_in_threads(app, mid, activity_id, member_ids)
    errors = [o for o in outcomes if not isinstance(o, Decimal)]
    assert errors == [], errors[:5]
    awarded = sum(outcomes, Decimal("0.00"))
    assert awarded <= BUDGET
    # The budget cannot run dry with 1 yuan left: the smallest tier takes whatever remains.
    assert awarded == BUDGET
    assert outcomes.count(Decimal("0.00")) == DRAWS - sum(1 for o in outcomes if o > 0)

    with as_merchant(app) as session:
        activity = session.get(RedPacketActivity, activity_id)
        assert activity.remaining == BUDGET - awarded == Decimal("0.00")
        assert activity.awarded == awarded
        assert activity.draw_count == DRAWS
        assert activity.winner_count == sum(1 for o in outcomes if o > 0)
        ledger = service.budget_ledger_sum(session, activity_id)
        assert ledger == activity.remaining  # +total reserved, minus every award
        spent = -session.execute(select(func.coalesce(func.sum(RedPacketBudgetLedger.delta), 0))
                                 .where(RedPacketBudgetLedger.activity_id == activity_id,
                                        RedPacketBudgetLedger.kind == "draw")).scalar()
        assert spent == awarded  # ledger sum = budget spent
        draws = session.execute(select(func.count(RedPacketDraw.id), func.sum(RedPacketDraw.amount))
                                .where(RedPacketDraw.activity_id == activity_id)).one()
        assert draws[0] == DRAWS and draws[1] == awarded
        payouts = session.execute(select(func.count(RedPacketPayout.id),
                                         func.sum(RedPacketPayout.amount),
                                         func.count(func.distinct(RedPacketPayout.mch_billno)))
                                  .where(RedPacketPayout.ref.in_(
                                      select(func.concat("draw:", RedPacketDraw.id)).where(
                                          RedPacketDraw.activity_id == activity_id,
                                          RedPacketDraw.won.is_(True))))).one()
        assert payouts[0] == activity.winner_count == payouts[2]
        assert payouts[1] == awarded
