"""会员导入: de-duplication by phone (skip or update), per-row errors, big files as jobs."""
import io

from sqlalchemy import func, select

from tests.conftest import merchant_id

HEADER = "昵称,手机号,真实姓名,性别,生日,备注\n"


def _upload(client, text, on_duplicate="skip", name="members.csv"):
    token = client.csrf("/memberview/import/")
    return client.post("/memberview/import/", data={
        "csrf_token": token, "on_duplicate": on_duplicate,
        "file": (io.BytesIO(text.encode("utf-8")), name)}, content_type="multipart/form-data")


def _member(app, phone):
    from app.extensions import db
    from app.models.member import Member
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        member = db.session.execute(select(Member).where(Member.phone == phone)).scalar()
        if member is not None:
            db.session.expunge(member)
        return member


def _existing_phone(app):
    from app.extensions import db
    from app.models.member import Member
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        return db.session.execute(select(Member.phone).where(Member.phone.isnot(None))
                                  .order_by(Member.id)).scalar()


def test_import_page_offers_skip_or_update(login_as):
    page = login_as("owner_a").get("/memberview/import/").get_data(as_text=True)
    assert "手机号已是会员时" in page and 'value="update"' in page


def test_bad_rows_are_reported_and_nothing_is_written(app, login_as):
    client = login_as("owner_a")
    text = HEADER + "甲,13512340001,,男,1990-01-01,\n乙,12345,,女,1990-13-01,\n丙,13512340001,,,,\n"
    page = _upload(client, text).get_data(as_text=True)
    assert "第 3 行" in page and "手机号" in page and "生日" in page
    assert "与第 2 行的手机号重复" in page
    assert _member(app, "13512340001") is None


def test_duplicates_are_skipped_or_updated(app, login_as):
    client = login_as("owner_a")
    phone = _existing_phone(app)
    before = _member(app, phone)
    text = HEADER + f"新名字,{phone},王五,,,导入更新\n导入新人,13512340002,,女,1992-02-03,\n"
    response = _upload(client, text, "skip")
    assert response.status_code == 302
    assert _member(app, phone).nickname == before.nickname
    created = _member(app, "13512340002")
    assert created is not None and created.source == "import" and created.level_id
    text = HEADER + f"新名字,{phone},王五,,,导入更新\n"
    _upload(client, text, "update")
    after = _member(app, phone)
    assert (after.nickname, after.real_name, after.remark) == ("新名字", "王五", "导入更新")
    assert after.points == before.points  # counters are never imported


def test_big_import_runs_as_a_task(app, login_as):
    from app.extensions import db
    from app.models.member import Member
    from app.models.task import Task
    from app.tenancy import platform_scope, tenant_scope

    client = login_as("owner_a")
    rows = "".join(f"批量{i},177{i:08d},,,,\n" for i in range(10001))
    response = _upload(client, HEADER + rows)
    assert response.status_code == 302 and "/taskview/list/" in response.location
    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), platform_scope():
        task = db.session.execute(select(Task).where(Task.kind == "import")
                                  .order_by(Task.id.desc())).scalars().first()
        assert (task.status, task.merchant_id) == ("done", mid), task.error
    with app.app_context(), tenant_scope(mid):
        count = db.session.execute(select(func.count(Member.id)).where(
            Member.phone.like("177%"))).scalar()
        assert count == 10001


def test_big_import_with_errors_fails_with_a_row_report(app, login_as):
    from app.extensions import db
    from app.models.task import Task
    from app.tenancy import platform_scope

    app.config["IMPORT_JOB_ROWS"] = 2
    try:
        client = login_as("owner_a")
        text = HEADER + "a,13612340001,,,,\nb,bad,,,,\nc,13612340003,,,,\n"
        response = _upload(client, text)
    finally:
        app.config.pop("IMPORT_JOB_ROWS")
    assert response.status_code == 302
    with app.app_context(), platform_scope():
        task = db.session.execute(select(Task).where(Task.kind == "import")
                                  .order_by(Task.id.desc())).scalars().first()
        assert task.status == "failed" and "第 3 行" in task.error
    assert _member(app, "13612340001") is None
