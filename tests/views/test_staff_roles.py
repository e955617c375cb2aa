"""多管理员设置: sub-admins and merchant roles, capped at what the editor holds."""
import re

from tests.conftest import login


def _role_id(app, merchant_name, label):
    from app.extensions import db
    from app.models.merchant import Merchant, MerchantRole
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        row = (db.session.query(MerchantRole).join(Merchant, Merchant.id == MerchantRole.merchant_id)
               .filter(Merchant.name == merchant_name, MerchantRole.label == label).one())
        return row.role_id, row.id


def _user(app, phone):
    from app.extensions import db
    from app.models.merchant import StaffUser

    with app.app_context():
        return db.session.query(StaffUser).filter_by(phone=phone).one_or_none()


def test_staff_list_shows_only_own_sub_admins(login_as):
    page = login_as("owner_a").get("/staffview/list/").get_data(as_text=True)
    assert "王店长" in page and "李核销" in page
    assert "赵店长" not in page and "钱核销" not in page
    assert "13800000001" not in page  # the owner is not a sub-admin


def test_owner_adds_staff_who_logs_in_and_must_change_password(app, login_as):
    client = login_as("owner_a")
    role_id, _ = _role_id(app, "鲜果时光", "核销员")
    token = client.csrf("/staffview/add")
    weak = client.post("/staffview/add", data={
        "phone": "13600000001", "first_name": "新员工", "password": "123",
        "roles": str(role_id), "active": "y", "csrf_token": token}).get_data(as_text=True)
    assert "密码长度须为 8-32 位" in weak and 'value="13600000001"' in weak
    assert _user(app, "13600000001") is None
    ok = client.post("/staffview/add", data={
        "phone": "13600000001", "first_name": "新员工", "password": "Staff2026ok",
        "roles": str(role_id), "active": "y", "csrf_token": token})
    assert ok.status_code == 302
    user = _user(app, "13600000001")
    assert user.merchant_id is not None and not user.is_owner and user.must_change_password
    staff = app.test_client()
    assert login(staff, "13600000001", "Staff2026ok").status_code == 302
    assert "/account/password" in staff.get("/shopview/list/").location


def test_duplicate_phone_is_refused(app, login_as):
    client = login_as("owner_a")
    role_id, _ = _role_id(app, "鲜果时光", "核销员")
    page = client.post("/staffview/add", data={
        "phone": "13900000012", "first_name": "重复", "password": "Staff2026ok",
        "roles": str(role_id), "active": "y", "csrf_token": client.csrf("/staffview/add")},
    ).get_data(as_text=True)
    assert "该手机号已被其他账号使用" in page


def test_other_merchants_role_cannot_be_assigned(app, login_as):
    client = login_as("owner_a")
    other_role, _ = _role_id(app, "茶语小铺", "店长")
    page = client.post("/staffview/add", data={
        "phone": "13600000002", "first_name": "越权", "password": "Staff2026ok",
        "roles": str(other_role), "active": "y", "csrf_token": client.csrf("/staffview/add")},
    ).get_data(as_text=True)
    assert "所选内容无效或已被删除" in page
    assert _user(app, "13600000002") is None
    form = client.get("/staffview/add").get_data(as_text=True)
    assert "茶语" not in form


def test_role_editor_offers_whitelist_grouped_in_chinese(login_as):
    page = login_as("owner_a").get("/merchantroleview/add").get_data(as_text=True)
    assert "我的商城" in page and "商城列表" in page and "导出Excel" in page
    assert "MerchantView" not in page and "UserDBModelView" not in page


def test_owner_creates_role_and_cannot_grant_platform_permissions(app, login_as):
    client = login_as("owner_a")
    token = client.csrf("/merchantroleview/add")
    bad = client.post("/merchantroleview/add", data={
        "label": "越权角色", "permissions": ["can_list|MerchantView"], "csrf_token": token},
    ).get_data(as_text=True)
    assert "包含无效或无权授予的权限" in bad
    ok = client.post("/merchantroleview/add", data={
        "label": "只看商城", "description": "测试", "csrf_token": token,
        "permissions": ["can_list|ShopView", "can_show|ShopView"]})
    assert ok.status_code == 302
    role_id, row_id = _role_id(app, "鲜果时光", "只看商城")
    show = client.get(f"/merchantroleview/show/{row_id}").get_data(as_text=True)
    assert "查看列表" in show and "查看详情" in show
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        role = db.session.get(Role, role_id)
        names = {(p.permission.name, p.view_menu.name) for p in role.permissions}
        assert ("can_list", "ShopView") in names and ("menu_access", "shop_list") in names
        assert ("can_delete", "ShopView") not in names
        assert role.name.startswith("m") and role.name.endswith(":只看商城")


def test_nobody_grants_more_than_they_hold(app, login_as):
    """The store manager may manage staff, but not hand out the role editor."""
    owner = login_as("owner_a")
    token = owner.csrf("/merchantroleview/add")
    owner.post("/merchantroleview/add", data={
        "label": "角色管理员", "csrf_token": token,
        "permissions": ["can_list|MerchantRoleView", "can_add|MerchantRoleView"]})
    role_id, _ = _role_id(app, "鲜果时光", "角色管理员")
    manager = login_as("manager_a")
    page = manager.post("/staffview/add", data={
        "phone": "13600000003", "first_name": "提权", "password": "Staff2026ok",
        "roles": str(role_id), "active": "y", "csrf_token": manager.csrf("/staffview/add")},
    ).get_data(as_text=True)
    assert "不能授予您自己没有的权限" in page
    assert _user(app, "13600000003") is None


def test_disable_and_reset_password_actions(app, login_as):
    client = login_as("owner_a")
    token = client.csrf("/staffview/list/")
    user = _user(app, "13800000021")
    response = client.post(f"/staffview/action/disable/{user.id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert _user(app, "13800000021").active is False
    blocked = login(app.test_client(), "13800000021", "Verify@2026").get_data(as_text=True)
    assert "已被停用" in blocked
    client.post(f"/staffview/action/enable/{user.id}", data={"csrf_token": token})
    client.post(f"/staffview/action/reset_password/{user.id}", data={"csrf_token": token})
    reset = _user(app, "13800000021")
    assert reset.active and reset.must_change_password
    # put the demo password back for other tests
    from app.extensions import db
    from app.security import hash_password

    with app.app_context():
        again = db.session.get(type(reset), reset.id)
        again.password = hash_password("Verify@2026")
        again.must_change_password = False
        db.session.commit()


def test_merchants_never_see_fab_security_views(login_as):
    client = login_as("owner_a")
    for path in ("/users/list/", "/roles/list/", "/merchantview/list/"):
        assert client.get(path).status_code == 403, path
    home = client.get("/").get_data(as_text=True)
    assert "商家管理" not in home


def test_platform_admin_creates_merchant_with_owner_account(app, login_as):
    client = login_as("platform")
    page = client.post("/merchantview/add", data={
        "name": "平台新开商家", "contact_phone": "13500000001", "expires_on": "2030-01-01",
        "csrf_token": client.csrf("/merchantview/add")})
    assert page.status_code == 302
    owner = _user(app, "13500000001")
    assert owner.is_owner and owner.must_change_password
    assert login(app.test_client(), "13500000001", "888888").status_code == 302
    bad = client.post("/merchantview/add", data={
        "name": "手机号错误商家", "contact_phone": "12345",
        "csrf_token": client.csrf("/merchantview/add")}).get_data(as_text=True)
    assert "请输入 11 位中国大陆手机号" in bad
    assert re.search(r"平台新开商家", client.get("/merchantview/list/").get_data(as_text=True))
