"""确认核销到店 under real concurrency: staff confirming the same code at the same moment
get exactly one verification; every other confirmation answers "该订单已核销" with the
winner's name. Each thread has its own app context, session and connection.

SQLite serializes writers, so this runs on PostgreSQL and MariaDB (TEST_DATABASE_URL);
on SQLite it skips.
"""
import threading

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.views.fulfilment_fixtures import MERCHANT_A, get, make_order

THREADS = 12


def _needs_server_database(app):
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serializes writers: concurrency runs on PostgreSQL and MariaDB")


def test_parallel_confirmations_verify_once(app):
    _needs_server_database(app)
    from app.extensions import db
    from app.models.fulfilment import VerificationRecord
    from app.models.order import Order, OrderLog
    from app.services import verification
    from app.services.errors import BusinessError
    from app.tenancy import tenant_scope

    order_id, _items, _no, _m = make_order(app, delivery="pickup")
    code = get(app, Order, order_id).verification_code
    mid = merchant_id(app, MERCHANT_A)
    with app.app_context():
        staff_id = _staff(mid)
    barrier = threading.Barrier(THREADS)
    outcomes = [None] * THREADS

    def run(i):
        with app.app_context(), tenant_scope(mid):
            barrier.wait()
            try:
                verification.verify(db.session, code=code, staff_id=staff_id,
                                    staff_name=f"店员{i}")
                db.session.commit()
                outcomes[i] = "ok"
            except BusinessError as exc:
                db.session.rollback()
                outcomes[i] = (exc.code, str(exc))
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
    winners = [i for i, o in enumerate(outcomes) if o == "ok"]
    assert len(winners) == 1, outcomes
    losers = [o for o in outcomes if o != "ok"]
    assert all(isinstance(o, tuple) and o[0] == "already_verified" for o in losers), losers
    assert all(f"店员{winners[0]}" in o[1] for o in losers)
    with app.app_context(), tenant_scope(mid):
        assert db.session.execute(select(func.count(VerificationRecord.id)).where(
            VerificationRecord.order_id == order_id)).scalar() == 1
        assert db.session.get(Order, order_id).status == "completed"
        assert db.session.execute(select(func.count(OrderLog.id)).where(
            OrderLog.order_id == order_id, OrderLog.action == "complete")).scalar() == 1


def _staff(mid):
    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with platform_scope():
        return db.session.execute(select(StaffUser.id).where(
            StaffUser.merchant_id == mid)).scalars().first()
