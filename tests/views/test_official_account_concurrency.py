"""The SMS daily limit under real concurrency: 30 requests for one phone at once (the
first code of the day included, so the quota row is created under contention) give out
exactly 10 codes. Each thread has its own app context, hence its own connection.

SQLite serializes writers, so this runs on PostgreSQL and MariaDB (CI runs the suite on
both with TEST_DATABASE_URL); on SQLite it skips.
"""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id

THREADS = 30
PHONE = "13600000099"


def test_parallel_code_requests_never_pass_the_daily_limit(app):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.official_account import SmsCode, SmsDailyQuota
    from app.services import binding as service
    from app.tenancy import platform_scope, tenant_scope

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serializes writers: concurrency runs on PostgreSQL and MariaDB")
    mid = merchant_id(app, "鲜果时光")
    barrier = threading.Barrier(THREADS)
    outcomes = [None] * THREADS
    now = china_now()

    def run(i):
        with app.app_context(), tenant_scope(mid):
            barrier.wait()
            try:
                # One follower each, and no resend interval between them: only the limit.
                service.issue_binding_code(db.session, mid, openid=f"oPar{i}", phone=PHONE,
                                           secret="s", now=now, resend_after=timedelta(0))
                db.session.commit()
                outcomes[i] = "ok"
            except service.OfficialError as exc:
                db.session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert outcomes.count("ok") == service.CODES_PER_PHONE_PER_DAY, outcomes
        assert set(outcomes) == {"ok", "daily_limit"}, outcomes
        with app.app_context(), platform_scope():
            assert db.session.execute(select(SmsDailyQuota.sent).where(
                SmsDailyQuota.phone == PHONE)).scalar() == service.CODES_PER_PHONE_PER_DAY
            assert db.session.execute(select(func.count()).select_from(SmsCode).where(
                SmsCode.phone == PHONE)).scalar() == service.CODES_PER_PHONE_PER_DAY
    finally:
        with app.app_context(), platform_scope():
            db.session.execute(SmsCode.__table__.delete().where(SmsCode.phone == PHONE))
            db.session.execute(SmsDailyQuota.__table__.delete().where(
                SmsDailyQuota.phone == PHONE))
            db.session.commit()
