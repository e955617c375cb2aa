"""Counters under real concurrency: 50 cashiers deducting from one stored-value card at
once, and parallel sign-ins of one member on one day. Each thread has its own app context,
hence its own session and connection.

SQLite serializes writers, so these run on PostgreSQL and MariaDB (CI runs the suite on
both with TEST_DATABASE_URL); on SQLite they skip.
"""
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id

THREADS = 50


def _needs_server_database(app):
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serializes writers: concurrency runs on PostgreSQL and MariaDB")


def _in_threads(app, mid, work, count=THREADS):
    """Run ``work(session, i)`` in ``count`` threads started together; returns outcomes."""
    from app.extensions import db
    from app.services.member import LoyaltyError
    from app.tenancy import tenant_scope

    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        with app.app_context(), tenant_scope(mid):
            barrier.wait()
            try:
                work(db.session, i)
                db.session.commit()
                outcomes[i] = "ok"
            except LoyaltyError as exc:
                db.session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_parallel_deducts_never_overdraw_a_card(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.member import BalanceLedger, StoredValueCard
    from app.services import member as members
    from app.services import stored_value
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        member = members.create_member(db.session, nickname="并发测试", phone="13455556666")
        card = stored_value.issue_card(db.session, member)
        stored_value.recharge(db.session, card, "30.00")  # no demo tier below 100
        db.session.commit()
        card_id = card.id

    def deduct(session, i):
        card = session.get(StoredValueCard, card_id)
        stored_value.deduct(session, card, "1.00", idempotency_key=f"par-deduct:{card_id}:{i}")

    outcomes = _in_threads(app, mid, deduct)
    unexpected = [o for o in outcomes if o not in ("ok", "insufficient_balance")]
    assert not unexpected, unexpected
    assert outcomes.count("ok") == 30 and outcomes.count("insufficient_balance") == 20
    with app.app_context(), tenant_scope(mid):
        card = db.session.get(StoredValueCard, card_id)
        assert card.balance == Decimal("0.00")
        assert stored_value.balance_ledger_sum(db.session, card_id) == card.balance
        deducts = db.session.execute(select(func.count(BalanceLedger.id)).where(
            BalanceLedger.card_id == card_id, BalanceLedger.kind == "deduct")).scalar()
        assert deducts == 30


def test_parallel_sign_ins_count_once(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.member import Member, SignIn
    from app.services import member as members
    from app.services import points
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        member = members.create_member(db.session, nickname="并发签到", phone="13455557777")
        db.session.commit()
        member_id = member.id
        rule_points = points.points_rule(db.session).sign_in_points
        db.session.commit()
    day = date(2026, 5, 20)

    def sign(session, i):
        points.sign_in(session, session.get(Member, member_id), day)

    outcomes = _in_threads(app, mid, sign, count=12)
    unexpected = [o for o in outcomes if o not in ("ok", "already_signed")]
    assert not unexpected, unexpected
    assert outcomes.count("ok") == 1
    with app.app_context(), tenant_scope(mid):
        assert db.session.execute(select(func.count(SignIn.id)).where(
            SignIn.member_id == member_id)).scalar() == 1
        member = db.session.get(Member, member_id)
        assert member.points == rule_points == points.ledger_sum(db.session, member_id)
