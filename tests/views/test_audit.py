"""操作日志: written in the same transaction, masked secrets, tenant and data scope."""
import json


def _last_id(app):
    from sqlalchemy import func

    from app.extensions import db
    from app.models.audit import AuditLog
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        return db.session.query(func.max(AuditLog.id)).scalar() or 0


def _entries(app, since=0, **filters):
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        return [(e.entity, e.action, e.user_name, json.loads(e.changes or "{}"), e.merchant_id,
                 e.entity_id)
                for e in db.session.query(AuditLog).filter_by(**filters)
                .filter(AuditLog.id > since).order_by(AuditLog.id)]


def test_add_edit_delete_are_logged_with_a_diff(app, login_as):
    since = _last_id(app)
    client = login_as("manager_a")
    token = client.csrf("/shopview/add")
    client.post("/shopview/add", data={"name": "日志测试店", "shop_type": "wx_mall",
                                       "status": "open", "theme_color": "#111111",
                                       "csrf_token": token})
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        pk = db.session.query(Shop).filter_by(name="日志测试店").one().id
    client.post(f"/shopview/edit/{pk}", data={"name": "日志测试店二", "shop_type": "wx_mall",
                                              "status": "closed", "theme_color": "#111111",
                                              "csrf_token": token})
    client.post(f"/shopview/delete/{pk}", data={"csrf_token": token})
    rows = [r for r in _entries(app, since, entity="Shop") if r[5] == str(pk)]
    assert [r[1] for r in rows] == ["新增", "修改", "删除"]
    assert all(r[2] == "王店长" for r in rows)
    created, changed, deleted = (r[3] for r in rows)
    assert created["name"] == [None, "日志测试店"]
    assert changed == {"name": ["日志测试店", "日志测试店二"], "status": ["open", "closed"]}
    assert deleted["name"] == ["日志测试店二", None]


def test_actions_are_logged_and_passwords_masked(app, login_as):
    since = _last_id(app)
    client = login_as("owner_a")
    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.security import hash_password

    with app.app_context():
        user = db.session.query(StaffUser).filter_by(phone="13800000011").one()
        user_id = user.id
    client.post(f"/staffview/action/reset_password/{user_id}",
                data={"csrf_token": client.csrf("/staffview/add")})
    rows = [r for r in _entries(app, since, entity="StaffUser") if r[5] == str(user_id)]
    assert rows and rows[-1][1] == "重置密码"
    text = json.dumps(rows[-1][3], ensure_ascii=False)
    assert "****" in text and "scrypt" not in text
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        user.password = hash_password("Manager@2026")
        user.must_change_password = False
        db.session.commit()


def test_owner_sees_all_staff_sees_own_other_tenant_sees_none(app, login_as):
    manager = login_as("manager_a")
    token = manager.csrf("/shopview/add")
    manager.post("/shopview/add", data={"name": "店长建的店", "shop_type": "wx_mall",
                                        "status": "open", "theme_color": "#222222",
                                        "csrf_token": token})
    owner = login_as("owner_a")
    owner.post("/shopview/add", data={"name": "老板建的店", "shop_type": "wx_mall",
                                      "status": "open", "theme_color": "#333333",
                                      "csrf_token": owner.csrf("/shopview/add")})
    owner_page = owner.get("/auditlogview/list/?psize_AuditLogView=100").get_data(as_text=True)
    assert "王店长" in owner_page and "鲜果时光" in owner_page
    manager_page = manager.get("/auditlogview/list/?psize_AuditLogView=100").get_data(
        as_text=True)
    assert "王店长" in manager_page and "老板建的店" not in manager_page
    other = login_as("owner_b").get("/auditlogview/list/?psize_AuditLogView=100").get_data(
        as_text=True)
    assert "店长建的店" not in other and "老板建的店" not in other
    assert login_as("verifier_a").get("/auditlogview/list/").status_code == 403
    platform = login_as("platform").get("/auditlogview/list/?psize_AuditLogView=100")
    assert "老板建的店" in platform.get_data(as_text=True)


def test_data_scope_applies_to_show_and_export(app, login_as, monkeypatch):
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.tenancy import platform_scope

    owner = login_as("owner_a")
    owner.post("/shopview/add", data={"name": "范围测试店", "shop_type": "wx_mall",
                                      "status": "open", "theme_color": "#444444",
                                      "csrf_token": owner.csrf("/shopview/add")})
    with app.app_context(), platform_scope():
        entry = (db.session.query(AuditLog).filter(AuditLog.changes.contains("范围测试店"))
                 .order_by(AuditLog.id.desc()).first())
        entry_id = entry.id
    manager = login_as("manager_a")
    assert manager.get(f"/auditlogview/show/{entry_id}").status_code == 404
    assert owner.get(f"/auditlogview/show/{entry_id}").status_code == 200
    import io

    from python_calamine import CalamineWorkbook

    # However many entries earlier tests left, the export stays in the request.
    monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 100000)

    def cells(client):
        book = CalamineWorkbook.from_filelike(io.BytesIO(client.get("/auditlogview/export/").data))
        return " ".join(str(c) for row in book.get_sheet_by_index(0).to_python() for c in row)

    assert "范围测试店" not in cells(manager)
    assert "范围测试店" in cells(owner)
