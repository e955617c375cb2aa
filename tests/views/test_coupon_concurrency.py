"""Coupon quantity under real concurrency: 50 members claiming a batch with 10 left get
exactly 10 coupons, with 10 distinct codes, and the ledger adds up; one member claiming in
parallel stays within the per-member limit. Each thread has its own session and connection.

SQLite serializes writers, so these run on PostgreSQL and MariaDB (TEST_DATABASE_URL); on
SQLite they skip.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.views.test_member_concurrency import _in_threads, _needs_server_database

THREADS = 50


def _published_batch(session, quantity, per_member_limit=1):
    from app.models.base import china_now
    from app.services import coupon

    now = china_now()
    batch = coupon.save_batch(session, dict(
        name="并发领券", kind="normal", discount_type="cash", value=Decimal("5"),
        threshold=Decimal("0"), code_prefix="RACE", quantity=quantity, validity_type="range",
        valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=10), scope="all",
        per_member_limit=per_member_limit))
    coupon.publish(session, batch)
    return batch


def test_fifty_parallel_claims_with_ten_left_give_exactly_ten(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.marketing import CouponBatch, MemberCoupon
    from app.models.member import Member
    from app.services import coupon
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        batch = _published_batch(db.session, 12)
        early = [members.create_member(db.session, nickname=f"先到{i}", phone=f"1390000{i:04d}")
                 for i in range(2)]
        for m in early:
            coupon.claim(db.session, batch.id, m)
        ids = [members.create_member(db.session, nickname=f"抢券{i}",
                                     phone=f"1391000{i:04d}").id for i in range(THREADS)]
        db.session.commit()
        batch_id = batch.id
        assert batch.remaining == 10

    def claim(session, i):
        coupon.claim(session, batch_id, session.get(Member, ids[i]))

    outcomes = _in_threads(app, mid, claim)
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("insufficient") == THREADS - 10, outcomes
    with app.app_context(), tenant_scope(mid):
        batch = db.session.get(CouponBatch, batch_id)
        assert batch.remaining == 0
        rows = db.session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == batch_id)).scalars().all()
        assert len(rows) == 12 and len({r.code for r in rows}) == 12
        assert batch.quantity + coupon.ledger_sum(db.session, batch_id) == 0


def test_one_member_claiming_in_parallel_keeps_the_limit(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.marketing import MemberCoupon
    from app.models.member import Member
    from app.services import coupon
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        batch = _published_batch(db.session, 50, per_member_limit=2)
        member = members.create_member(db.session, nickname="手快", phone="13920000001")
        db.session.commit()
        batch_id, member_id = batch.id, member.id

    outcomes = _in_threads(app, mid, lambda s, i: coupon.claim(s, batch_id,
                                                              s.get(Member, member_id)),
                           count=20)
    assert outcomes.count("ok") == 2, outcomes
    with app.app_context(), tenant_scope(mid):
        held = db.session.execute(select(func.count()).select_from(MemberCoupon).where(
            MemberCoupon.batch_id == batch_id)).scalar()
        assert held == 2
