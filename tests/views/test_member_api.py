"""The shop JSON API (/api/v1/): member tokens, tenant scope, blacklist, sign-in."""
from sqlalchemy import select

from tests.conftest import merchant_id


def _new_member(app, merchant, phone, **fields):
    from app.extensions import db
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        member = members.create_member(db.session, nickname=f"接口{phone[-4:]}", phone=phone,
                                       **fields)
        db.session.commit()
        return member.id, members.issue_member_token(member)


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_a_chinese_json_401(client):
    response = client.get("/api/v1/member/profile")
    assert response.status_code == 401 and response.get_json()["error"] == "请先登录"
    response = client.post("/api/v1/member/sign-in", headers=_auth("forged.token"))
    assert response.status_code == 401 and response.is_json


def test_profile_of_the_token_member(app, client):
    member_id, token = _new_member(app, "鲜果时光", "13466660001")
    data = client.get("/api/v1/member/profile", headers=_auth(token)).get_json()
    assert data["id"] == member_id and data["phone"] == "134****0001"
    assert data["level"]["name"] == "普通会员" and data["signed_today"] is False


def test_api_needs_no_csrf_token(app, client):
    _member_id, token = _new_member(app, "鲜果时光", "13466660002")
    response = client.post("/api/v1/member/sign-in", headers=_auth(token))
    assert response.status_code == 200, response.get_json()


def test_blacklisted_member_is_refused(app, client):
    _member_id, token = _new_member(app, "鲜果时光", "13466660003", status="blacklist")
    response = client.get("/api/v1/member/profile", headers=_auth(token))
    assert response.status_code == 403 and "黑名单" in response.get_json()["error"]


def test_token_claiming_another_merchant_finds_nothing(app, client):
    """Even a correctly signed token whose member belongs to another merchant is refused:
    the tenant scope comes from the token's merchant and hides B's rows."""
    from app.services.member import _serializer

    member_id, _token = _new_member(app, "茶语小铺", "13466660004")
    mixed = _serializer().dumps({"m": merchant_id(app, "鲜果时光"), "u": member_id})
    response = client.get("/api/v1/member/profile", headers=_auth(mixed))
    assert response.status_code == 401


def test_sign_in_once_per_day_with_points(app, client):
    from app.extensions import db
    from app.models.member import Member, PointsRule
    from app.tenancy import tenant_scope

    member_id, token = _new_member(app, "鲜果时光", "13466660005")
    first = client.post("/api/v1/member/sign-in", headers=_auth(token))
    second = client.post("/api/v1/member/sign-in", headers=_auth(token))
    assert first.status_code == 200 and first.get_json()["streak"] == 1
    assert second.status_code == 409 and "已经签到" in second.get_json()["error"]
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        rule = db.session.execute(select(PointsRule)).scalar()
        member = db.session.get(Member, member_id)
        assert member.points == rule.sign_in_points == first.get_json()["points_awarded"]
    profile = client.get("/api/v1/member/profile", headers=_auth(token)).get_json()
    assert profile["signed_today"] is True


def test_blacklisting_in_the_console_stops_the_api(app, login_as, client):
    member_id, token = _new_member(app, "鲜果时光", "13466660006")
    assert client.get("/api/v1/member/profile", headers=_auth(token)).status_code == 200
    owner = login_as("owner_a")
    owner.post(f"/memberview/action/blacklist/{member_id}",
               data={"csrf_token": owner.csrf("/memberview/list/")})
    assert client.get("/api/v1/member/profile", headers=_auth(token)).status_code == 403
