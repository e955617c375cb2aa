"""积分清零 as the CLI command and as the job function, on the session database."""
from datetime import datetime

from sqlalchemy import select

from tests.conftest import merchant_id


def test_expire_points_command_writes_expiry_rows_once(app):
    from app.extensions import db
    from app.models.member import Member, PointsLedger, PointsRule
    from app.services import member as members
    from app.services import points
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "茶语小铺")
    with app.app_context(), tenant_scope(mid):
        rule = db.session.execute(select(PointsRule)).scalar()
        rule.expire_yearly = True
        member = members.create_member(db.session, nickname="过期测试", phone="13477778888")
        points.change_points(db.session, member, 120, "老积分", "order", "job-old")
        db.session.flush()
        db.session.execute(PointsLedger.__table__.update().where(
            PointsLedger.__table__.c.idempotency_key == "job-old").values(
            created_at=datetime(2020, 3, 1)))
        db.session.commit()
        member_id = member.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["md", "expire-points", "--merchant", str(mid)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["md", "expire-points", "--merchant", str(mid)])
    assert again.exit_code == 0
    with app.app_context(), tenant_scope(mid):
        rows = db.session.execute(select(PointsLedger).where(
            PointsLedger.member_id == member_id, PointsLedger.source == "expire")).scalars().all()
        assert [r.delta for r in rows] == [-120]
        assert db.session.get(Member, member_id).points == 0
        db.session.execute(select(PointsRule)).scalar().expire_yearly = False
        db.session.commit()


def test_expire_points_job_runs_in_app_context(app):
    from app.workers.member import expire_points_job

    with app.app_context():
        assert isinstance(expire_points_job(), dict)
