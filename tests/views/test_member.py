"""会员管理 through the test client: list search, detail, points, tags, blacklist, levels,
settings, stored-value cards and distribution, as the demo owner and store manager."""
import io
import re

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import merchant_id


def _db(app):
    from app.extensions import db

    return db


def _scoped(app, name="鲜果时光"):
    from app.tenancy import tenant_scope

    return tenant_scope(merchant_id(app, name))


def _first_member(app, **where):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Member

    with app.app_context(), _scoped(app):
        query = select(Member).order_by(Member.id)
        for key, value in where.items():
            query = query.where(getattr(Member, key) == value)
        member = db.session.execute(query.limit(1)).scalar()
        db.session.expunge(member)
        return member


def _reload(app, model, pk, name="鲜果时光"):
    from app.extensions import db

    with app.app_context(), _scoped(app, name):
        item = db.session.get(model, pk)
        db.session.expunge(item)
        return item


def test_member_list_is_chinese_and_own_tenant(login_as):
    page = login_as("owner_a").get("/memberview/list/").get_data(as_text=True)
    assert "全部会员列表" in page and "账号状态" in page and "注册来源" in page
    assert "鲜果时光演示会员" not in page  # remark is not a list column
    assert "管理积分" in page and "设置标签" in page


@pytest.mark.parametrize("args", [
    "_flt_0_status=blacklist", "_flt_0_source=store", "_flt_1_points=100",
    "_flt_2_points=10000", "_flt_0_nickname=王", "_flt_1_phone=15000", "_flt_1_order_count=5",
    "_flt_0_created_at=2020-01-01", "_flt_1_total_spend=100", "_flt_0_last_order_at=2020-01-01",
])
def test_member_search_fields_work(login_as, args):
    response = login_as("owner_a").get(f"/memberview/list/?{args}")
    assert response.status_code == 200, args
    assert "筛选条件无效" not in response.get_data(as_text=True)


def test_non_numeric_search_value_is_a_clear_warning(login_as):
    client = login_as("owner_a")
    response = client.get("/memberview/list/?_flt_1_points=abc")
    assert response.status_code == 302
    assert "筛选条件无效" in client.get(response.location).get_data(as_text=True)


def test_search_by_status_filters_rows(app, login_as):
    blacklisted = _first_member(app, status="blacklist")
    client = login_as("owner_a")
    page = client.get("/memberview/list/?_flt_0_status=blacklist&psize_MemberView=100"
                      ).get_data(as_text=True)
    assert blacklisted.nickname in page
    normal = _first_member(app, status="normal")
    assert normal.nickname not in page


def test_search_by_tag_and_level(app, login_as):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Member, MemberTag

    with app.app_context(), _scoped(app):
        tag = db.session.execute(select(MemberTag).where(MemberTag.name == "新客")).scalar()
        tagged = [m.nickname for m in db.session.execute(select(Member)).scalars()
                  if tag in m.tags]
        tag_id = tag.id
    page = login_as("owner_a").get(
        f"/memberview/list/?_flt_0_tags={tag_id}&psize_MemberView=100").get_data(as_text=True)
    assert tagged and all(name in page for name in tagged)


def test_member_export_respects_filters(login_as):
    response = login_as("owner_a").get("/memberview/export/?_flt_0_status=blacklist")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(
        0).to_python()
    assert rows[0][1] == "昵称" and len(rows) > 1
    status_col = rows[0].index("账号状态")
    assert {r[status_col] for r in rows[1:]} == {"黑名单"}


def test_member_detail_shows_ledger_tabs(app, login_as):
    member = _first_member(app)
    page = login_as("owner_a").get(f"/memberview/show/{member.id}").get_data(as_text=True)
    for text in ("积分明细", "经验值明细", "储值明细", "会员标签", "地址列表", "注册送积分"):
        assert text in page


def test_manage_points_adds_a_ledger_row(app, login_as):
    from app.models.member import Member

    member = _first_member(app, status="normal")
    client = login_as("owner_a")
    url = f"/memberview/points/{member.id}"
    response = client.post(url, data={"csrf_token": client.csrf(url), "delta": "25",
                                      "reason": "客服补偿", "key": "a" * 32})
    assert response.status_code == 302
    assert _reload(app, Member, member.id).points == member.points + 25
    # The same form submitted twice (same key) adds nothing more.
    client.post(url, data={"csrf_token": client.csrf(url), "delta": "25", "reason": "客服补偿",
                           "key": "a" * 32})
    assert _reload(app, Member, member.id).points == member.points + 25


@pytest.mark.parametrize("data,message", [
    ({"delta": "abc", "reason": "x"}, "请输入整数"),
    ({"delta": "0", "reason": "x"}, "不能为 0"),
    ({"delta": "5", "reason": ""}, "请填写调整原因"),
    ({"delta": "-99999999", "reason": "扣光"}, "积分不足"),
])
def test_manage_points_bad_input_errors_at_the_field(app, login_as, data, message):
    from app.models.member import Member

    member = _first_member(app)
    client = login_as("owner_a")
    url = f"/memberview/points/{member.id}"
    response = client.post(url, data=dict(data, csrf_token=client.csrf(url), key="bad"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert f'value="{data["delta"]}"' in page  # input kept
    assert _reload(app, Member, member.id).points == member.points


def test_set_tags(app, login_as):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Member, MemberTag

    member = _first_member(app)
    with app.app_context(), _scoped(app):
        tag_ids = [t.id for t in db.session.execute(select(MemberTag)).scalars()][:2]
    client = login_as("owner_a")
    url = f"/memberview/tags/{member.id}"
    client.post(url, data={"csrf_token": client.csrf(url), "tag": [str(i) for i in tag_ids]})
    with app.app_context(), _scoped(app):
        assert sorted(t.id for t in db.session.get(Member, member.id).tags) == sorted(tag_ids)


def test_bulk_blacklist_and_back(app, login_as):
    from app.models.member import Member

    normal = _first_member(app, status="normal")
    client = login_as("owner_a")
    token = client.csrf("/memberview/list/")
    client.post("/memberview/action_post", data={"csrf_token": token, "action": "blacklist",
                                                  "rowid": [str(normal.id)]})
    assert _reload(app, Member, normal.id).status == "blacklist"
    client.post(f"/memberview/action/unblacklist/{normal.id}", data={"csrf_token": token})
    assert _reload(app, Member, normal.id).status == "normal"


def test_add_member_duplicate_phone_and_bad_id(app, login_as):
    member = _first_member(app)
    client = login_as("owner_a")
    token = client.csrf("/memberview/add")
    page = client.post("/memberview/add", data={
        "csrf_token": token, "nickname": "重复", "phone": member.phone, "gender": "unknown",
        "source": "store", "id_number": "123"}).get_data(as_text=True)
    assert "该手机号已是会员" in page and "身份证号应为 18 位" in page
    response = client.post("/memberview/add", data={
        "csrf_token": token, "nickname": "新会员甲", "phone": "13311112222", "gender": "male",
        "source": "store", "id_number": "11010519491231002X"})
    assert response.status_code == 302
    new = _first_member(app, phone="13311112222")
    assert new.id_number == "1101**********002X" and new.level_id is not None


def test_tag_delete_says_how_many_members(app, login_as):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Member, MemberTag

    with app.app_context(), _scoped(app):
        tag = MemberTag(name="待删除的标签")
        db.session.add(tag)
        for member in db.session.execute(select(Member).order_by(Member.id).limit(3)).scalars():
            member.tags.append(tag)
        db.session.commit()
        tag_id = tag.id
    client = login_as("owner_a")
    url = f"/membertagview/delete/{tag_id}"
    page = client.get(url).get_data(as_text=True)
    assert "3 位会员将被移除该标签" in page
    assert _reload(app, MemberTag, tag_id) is not None  # a GET deletes nothing
    response = client.post(url, data={"csrf_token": client.csrf(url)})
    assert "3 位会员已移除该标签" in client.get(response.location).get_data(as_text=True)
    with app.app_context(), _scoped(app):
        assert db.session.get(MemberTag, tag_id) is None


def test_default_level_cannot_be_deleted_and_discount_is_in_zhe(app, login_as):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import MemberLevel

    with app.app_context(), _scoped(app):
        default_id = db.session.execute(select(MemberLevel.id).where(
            MemberLevel.is_default.is_(True))).scalar()
    client = login_as("owner_a")
    token = client.csrf("/memberlevelview/add")
    client.post(f"/memberlevelview/delete/{default_id}", data={"csrf_token": token})
    assert _reload(app, MemberLevel, default_id) is not None
    page = client.post("/memberlevelview/add", data={
        "csrf_token": token, "name": "超级会员", "icon": "fa-star", "discount": "11",
        "experience_threshold": "9000"}).get_data(as_text=True)
    assert "0.1 折到 10 折" in page and 'value="11"' in page
    client.post("/memberlevelview/add", data={
        "csrf_token": token, "name": "超级会员", "icon": "fa-star", "discount": "8.5",
        "experience_threshold": "9000"})
    with app.app_context(), _scoped(app):
        level = db.session.execute(select(MemberLevel).where(MemberLevel.name == "超级会员")
                                   ).scalar()
        assert str(level.discount) == "0.85"


def test_points_rule_settings(app, login_as):
    from app.models.member import PointsRule

    client = login_as("manager_a")
    url = "/points-rule/"
    page = client.get(url).get_data(as_text=True)
    assert "每日签到奖励积分" in page and "每月连续签到7次额外赠送积分" in page
    fields = ["sign_in_points", "streak_7_points", "streak_15_points", "streak_30_points",
              "referral_purchase_points", "referral_register_points", "register_points",
              "bind_points", "points_per_yuan", "experience_per_yuan",
              "redeem_points_per_yuan", "redeem_max_percent"]
    data = {name: "5" for name in fields}
    bad = client.post(url, data=dict(data, csrf_token=client.csrf(url),
                                     redeem_max_percent="101", sign_in_points="-1"))
    text = bad.get_data(as_text=True)
    assert "0-100" in text and "0 或正整数" in text
    client.post(url, data=dict(data, csrf_token=client.csrf(url), sign_in_points="12",
                               expire_yearly="1"))
    from sqlalchemy import select

    from app.extensions import db

    with app.app_context(), _scoped(app):
        rule = db.session.execute(select(PointsRule)).scalar()
        assert (rule.sign_in_points, rule.expire_yearly) == (12, True)


def test_card_issue_recharge_deduct(app, login_as):
    from app.models.member import StoredValueCard

    client = login_as("owner_a")
    url = "/storedvaluecardview/issue"
    response = client.post(url, data={"csrf_token": client.csrf(url), "phone": "13322223333",
                                      "nickname": "门店新客"})
    assert response.status_code == 302
    card_id = int(re.search(r"/recharge/(\d+)", response.location).group(1))
    url = f"/storedvaluecardview/recharge/{card_id}"
    client.post(url, data={"csrf_token": client.csrf(url), "amount": "500", "key": "1" * 32})
    card = _reload(app, StoredValueCard, card_id)
    assert str(card.balance) == "580.00"  # demo tier 充500返80
    url = f"/storedvaluecardview/deduct/{card_id}"
    page = client.post(url, data={"csrf_token": client.csrf(url), "amount": "600",
                                  "key": "2" * 32}).get_data(as_text=True)
    assert "余额不足：当前余额 580.00 元" in page and 'value="600"' in page
    client.post(url, data={"csrf_token": client.csrf(url), "amount": "80.5", "key": "3" * 32})
    assert str(_reload(app, StoredValueCard, card_id).balance) == "499.50"
    records = client.get(f"/storedvaluecardview/records/{card_id}").get_data(as_text=True)
    assert "充值赠送" in records and "划卡" in records
    page = client.post("/storedvaluecardview/issue",
                       data={"csrf_token": client.csrf("/storedvaluecardview/issue"),
                             "phone": "13322223333"}).get_data(as_text=True)
    assert "该会员已有储值卡" in page


def test_home_cards(login_as):
    page = login_as("owner_a").get("/").get_data(as_text=True)
    assert 'id="member-total"' in page and 'id="card-balance"' in page
    assert "昨日充卡" in page


def test_withdrawal_over_balance_is_refused(app, login_as):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Withdrawal

    with app.app_context(), _scoped(app):
        withdrawal = db.session.execute(select(Withdrawal).where(
            Withdrawal.status == "pending")).scalar()
        withdrawal.amount = withdrawal.distributor.commission_balance + 1
        db.session.commit()
        wid = withdrawal.id
    client = login_as("owner_a")
    url = f"/withdrawalview/review/{wid}"
    page = client.post(url, data={"csrf_token": client.csrf(url), "decision": "approve"}
                       ).get_data(as_text=True)
    assert "可提现提成不足" in page
    assert _reload(app, Withdrawal, wid).status == "pending"
