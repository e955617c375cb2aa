"""优惠码 typed at checkout under real concurrency: members taking chosen 普通券 codes while
others 领取 the same batch never share a code, never over-issue, and the batch's ledger
adds up (``coupon.take_code`` swaps serials under the batch row's lock). Two members typing
the same code: exactly one gets it. Runs on PostgreSQL and MariaDB; skips on SQLite.
"""
from sqlalchemy import select

from tests.conftest import merchant_id
from tests.views.test_coupon_concurrency import _published_batch
from tests.views.test_member_concurrency import _in_threads, _needs_server_database


def test_typed_codes_and_claims_in_parallel_never_share_a_code(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.marketing import CouponBatch, CouponCode, MemberCoupon
    from app.models.member import Member
    from app.services import coupon
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        batch = _published_batch(db.session, 16, per_member_limit=5)
        codes = dict(db.session.execute(select(CouponCode.serial, CouponCode.code).where(
            CouponCode.batch_id == batch.id)).all())
        typed = [codes[s] for s in (16, 14, 12, 10, 8, 6)]  # all from the untaken end
        ids = [members.create_member(db.session, nickname=f"手输码{i}",
                                     phone=f"1394000{i:04d}").id for i in range(20)]
        db.session.commit()
        batch_id = batch.id

    def work(session, i):
        member = session.get(Member, ids[i])
        if i < len(typed):
            coupon.coupon_for_code(session, member, typed[i])
        else:
            coupon.claim(session, batch_id, member)

    outcomes = _in_threads(app, mid, work, count=20)
    assert all(o in ("ok", "insufficient", "taken") for o in outcomes), outcomes
    # A typed code can legitimately be handed to a claimer first ("taken"): then fewer than
    # 16 are given. What must hold: every success is one distinct code, and the counter,
    # the rows, the ledger and the code statuses agree.
    given = outcomes.count("ok")
    assert 10 <= given <= 16, outcomes
    with app.app_context(), tenant_scope(mid):
        batch = db.session.get(CouponBatch, batch_id)
        rows = db.session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == batch_id)).scalars().all()
        assert batch.remaining == 16 - given and len(rows) == given
        assert len({r.code_id for r in rows}) == given and len({r.code for r in rows}) == given
        assert batch.remaining == batch.quantity + coupon.ledger_sum(db.session, batch_id)
        serials = db.session.execute(select(CouponCode.serial, CouponCode.status).where(
            CouponCode.batch_id == batch_id)).all()
        assert sorted(s for s, _status in serials) == list(range(1, 17))
        assert sum(1 for _s, status in serials if status == "taken") == given
        # Every typed code that succeeded went to the member who typed it.
        by_code = {r.code: r.member_id for r in rows}
        for i, code in enumerate(typed):
            if outcomes[i] == "ok":
                assert by_code[code] == ids[i]


def test_two_members_typing_the_same_code_one_gets_it(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.marketing import CouponBatch, CouponCode, MemberCoupon
    from app.models.member import Member
    from app.services import coupon
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        batch = _published_batch(db.session, 5)
        code = db.session.execute(select(CouponCode.code).where(
            CouponCode.batch_id == batch.id, CouponCode.serial == 4)).scalar()
        ids = [members.create_member(db.session, nickname=f"同码{i}",
                                     phone=f"1394100{i:04d}").id for i in range(8)]
        db.session.commit()
        batch_id = batch.id

    outcomes = _in_threads(app, mid, lambda s, i: coupon.coupon_for_code(
        s, s.get(Member, ids[i]), code), count=8)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "taken", "limit"}, outcomes
    with app.app_context(), tenant_scope(mid):
        assert db.session.get(CouponBatch, batch_id).remaining == 4
        rows = db.session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == batch_id)).scalars().all()
        assert [r.code for r in rows] == [code]
