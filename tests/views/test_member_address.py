"""收货地址: the 会员详情 add/edit/delete screens and the shop API for the member's own
addresses; field limits in Chinese, one default address per member, tenant safety."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.member import Member, MemberAddress
from app.services import member as member_service
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id

PREFIX = "1346688"
GOOD = {"name": "张三", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
        "district": "西湖区", "detail": "文三路 100 号 2 幢 301"}


@pytest.fixture()
def members(app):
    """Two members of A and one of B, each with a shop API token; removed afterwards."""
    ids, tokens = {}, {}
    for key, shop, n in (("a1", "鲜果时光", 1), ("a2", "鲜果时光", 2), ("b1", "茶语小铺", 3)):
        with app.app_context(), tenant_scope(merchant_id(app, shop)):
            member = member_service.create_member(db.session, nickname=f"地址会员{n}",
                                                  phone=f"{PREFIX}000{n}")
            db.session.commit()
            ids[key] = member.id
            tokens[key] = {"Authorization": f"Bearer {member_service.issue_member_token(member)}"}
    yield {"ids": ids, "auth": tokens}
    with app.app_context(), platform_scope():
        db.session.execute(MemberAddress.__table__.delete().where(
            MemberAddress.member_id.in_(list(ids.values()))))
        db.session.execute(Member.__table__.delete().where(Member.phone.like(PREFIX + "%")))
        db.session.commit()


def addresses(app, member_id):
    with app.app_context(), platform_scope():
        rows = db.session.execute(select(MemberAddress).where(
            MemberAddress.member_id == member_id).order_by(MemberAddress.id)).scalars().all()
        return [(a.name, a.region, a.is_default) for a in rows], [a.id for a in rows]


def form(owner, member_id, **values):
    data = {**GOOD, **values, "csrf_token": owner.csrf(f"/memberview/show/{member_id}")}
    return {k: v for k, v in data.items() if v is not None}


# -- staff screens (会员详情 → 地址列表) ---------------------------------------------------
def test_staff_add_edit_delete_with_one_default(app, login_as, members):
    owner = login_as("owner_a")
    mid = members["ids"]["a1"]
    page = owner.get(f"/memberview/show/{mid}").get_data(as_text=True)
    assert "新增收货地址" in page and "暂无地址" in page
    assert owner.get(f"/memberview/address_add/{mid}").status_code == 200
    response = owner.post(f"/memberview/address_add/{mid}", data=form(owner, mid))
    assert response.status_code == 302
    response = owner.post(f"/memberview/address_add/{mid}",
                          data=form(owner, mid, name="李四", district="", is_default="1"))
    assert response.status_code == 302
    rows, ids = addresses(app, mid)
    assert rows == [("张三", "浙江省 杭州市 西湖区", False), ("李四", "浙江省 杭州市", True)]
    page = owner.get(f"/memberview/show/{mid}").get_data(as_text=True)
    assert "文三路 100 号" in page and "李四" in page
    # Edit the first one and make it the default: the other loses it.
    response = owner.post(f"/memberview/address_edit/{mid}?id={ids[0]}",
                          data=form(owner, mid, name="张三丰", is_default="1"))
    assert response.status_code == 302
    rows, _ids = addresses(app, mid)
    assert rows == [("张三丰", "浙江省 杭州市 西湖区", True), ("李四", "浙江省 杭州市", False)]
    # Delete the default: the remaining address becomes the default.
    token = owner.csrf(f"/memberview/show/{mid}")
    response = owner.post(f"/memberview/address_delete/{mid}?id={ids[0]}",
                          data={"csrf_token": token})
    assert response.status_code == 302
    assert addresses(app, mid)[0] == [("李四", "浙江省 杭州市", True)]


@pytest.mark.parametrize("values, field, message", [
    ({"name": ""}, "name", "请填写收货人"),
    ({"name": "名" * 33}, "name", "收货人最多 32 个字"),
    ({"phone": "12345"}, "phone", "联系电话应为 11 位手机号或带区号的固定电话"),
    ({"phone": ""}, "phone", "请填写联系电话"),
    ({"province": ""}, "province", "请选择省份"),
    ({"city": ""}, "city", "请选择城市"),
    ({"district": "区" * 21}, "district", "区县最多 20 个字"),
    ({"detail": "一"}, "detail", "请填写详细地址（至少 2 个字）"),
    ({"detail": "路" * 201}, "detail", "详细地址最多 200 个字"),
])
def test_staff_form_errors_at_the_field(app, login_as, members, values, field, message):
    owner = login_as("owner_a")
    mid = members["ids"]["a1"]
    response = owner.post(f"/memberview/address_add/{mid}", data=form(owner, mid, **values))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert f'id="{field}"' in page and "has-error" in page
    assert "文三路 100 号" in page or values.get("detail")  # typed values are kept
    assert addresses(app, mid)[0] == []


def test_landline_is_accepted(app, login_as, members):
    owner = login_as("owner_a")
    mid = members["ids"]["a1"]
    owner.post(f"/memberview/address_add/{mid}", data=form(owner, mid, phone="0571-88886666"))
    assert len(addresses(app, mid)[0]) == 1


def test_staff_screens_are_tenant_safe(app, login_as, members):
    """B's member, or A's member with another member's address id, is 404."""
    owner = login_as("owner_a")
    client_b = app.test_client()
    headers = members["auth"]["b1"]
    created = client_b.post("/api/v1/member/addresses", json=GOOD, headers=headers)
    b_address = created.get_json()["id"]
    b_member, a_member = members["ids"]["b1"], members["ids"]["a1"]
    assert owner.get(f"/memberview/address_add/{b_member}").status_code == 404
    assert owner.get(f"/memberview/address_edit/{b_member}?id={b_address}").status_code == 404
    assert owner.get(f"/memberview/address_edit/{a_member}?id={b_address}").status_code == 404
    token = owner.csrf(f"/memberview/show/{a_member}")
    response = owner.post(f"/memberview/address_delete/{a_member}?id={b_address}",
                          data={"csrf_token": token})
    assert response.status_code == 404
    assert len(addresses(app, b_member)[0]) == 1


def test_verifier_cannot_edit_addresses(login_as, members):
    verifier = login_as("verifier_a")
    response = verifier.get(f"/memberview/address_add/{members['ids']['a1']}")
    assert response.status_code in (302, 403)


# -- shop API --------------------------------------------------------------------------------
def test_api_crud_and_default(app, client, members):
    headers = members["auth"]["a1"]
    assert client.get("/api/v1/member/addresses", headers=headers).get_json() == {
        "addresses": [], "max": 20}
    first = client.post("/api/v1/member/addresses", json=GOOD, headers=headers)
    assert first.status_code == 201 and first.get_json()["is_default"] is True
    second = client.post("/api/v1/member/addresses", headers=headers,
                         json={**GOOD, "name": "王五", "district": None})
    assert second.status_code == 201 and second.get_json()["is_default"] is False
    assert second.get_json()["region"] == "浙江省 杭州市"
    a, b = first.get_json()["id"], second.get_json()["id"]
    response = client.post(f"/api/v1/member/addresses/{b}/default", headers=headers)
    assert response.status_code == 200 and response.get_json()["is_default"] is True
    listed = client.get("/api/v1/member/addresses", headers=headers).get_json()["addresses"]
    assert [(x["id"], x["is_default"]) for x in listed] == [(a, False), (b, True)]
    response = client.put(f"/api/v1/member/addresses/{a}", headers=headers,
                          json={**GOOD, "detail": "新地址 8 号", "is_default": True})
    assert response.status_code == 200 and response.get_json()["detail"] == "新地址 8 号"
    rows, _ids = addresses(app, members["ids"]["a1"])
    assert [r[2] for r in rows] == [True, False]
    assert client.delete(f"/api/v1/member/addresses/{a}", headers=headers).status_code == 200
    assert addresses(app, members["ids"]["a1"])[0] == [("王五", "浙江省 杭州市", True)]


def test_api_errors_in_chinese(client, members):
    headers = members["auth"]["a1"]
    response = client.post("/api/v1/member/addresses", headers=headers,
                           json={**GOOD, "phone": "abc", "city": ""})
    data = response.get_json()
    assert response.status_code == 400 and data["field"] in ("phone", "city")
    assert data["errors"] == {"phone": "联系电话应为 11 位手机号或带区号的固定电话，例如 010-12345678",
                              "city": "请选择城市"}
    assert client.post("/api/v1/member/addresses", headers=headers,
                       data="not json").status_code == 400


def test_api_cannot_touch_another_members_address(client, members):
    mine = client.post("/api/v1/member/addresses", json=GOOD,
                       headers=members["auth"]["a1"]).get_json()["id"]
    other = members["auth"]["a2"]
    for method, url in (("put", f"/api/v1/member/addresses/{mine}"),
                        ("delete", f"/api/v1/member/addresses/{mine}"),
                        ("post", f"/api/v1/member/addresses/{mine}/default")):
        response = getattr(client, method)(url, json=GOOD, headers=other)
        assert response.status_code == 404 and response.get_json()["error"] == "收货地址不存在"
    assert client.get("/api/v1/member/addresses", headers=other).get_json()["addresses"] == []
    assert client.get("/api/v1/member/addresses").status_code == 401


def test_at_most_twenty_addresses(client, members):
    headers = members["auth"]["a1"]
    for i in range(20):
        response = client.post("/api/v1/member/addresses", headers=headers,
                               json={**GOOD, "detail": f"测试路 {i} 号"})
        assert response.status_code == 201
    response = client.post("/api/v1/member/addresses", headers=headers, json=GOOD)
    assert response.status_code == 422
    assert response.get_json()["error"] == "每位会员最多保存 20 个收货地址"
