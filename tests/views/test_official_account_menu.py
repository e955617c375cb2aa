"""自定义菜单 designer: limits checked before any WeChat call, draft, 发布 and 拉取当前菜单
against the fake WeChat (real wechatpy client)."""
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.official_account import OfficialMenu
from app.models.wechat import OfficialAccountConfig
from app.tenancy import platform_scope
from tests.conftest import merchant_id

APPID = "wx11223344556677ab"
SECRET = "m" * 32


@pytest.fixture()
def oa(app, wechat):
    """Merchant A's official account (credentials saved) and the fake's account for it."""
    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), platform_scope():
        db.session.add(OfficialAccountConfig(merchant_id=mid, appid=APPID, app_secret=SECRET,
                                             token="tok123", message_mode="plain"))
        menu = db.session.execute(select(OfficialMenu).where(
            OfficialMenu.merchant_id == mid)).scalar_one_or_none()
        saved = (menu.draft, menu.published, menu.published_at) if menu else None
        db.session.commit()
    state = wechat.add_app(APPID, SECRET, menu=None)
    yield {"merchant_id": mid, "state": state}
    with app.app_context(), platform_scope():
        db.session.execute(OfficialAccountConfig.__table__.delete().where(
            OfficialAccountConfig.merchant_id == mid))
        menu = db.session.execute(select(OfficialMenu).where(
            OfficialMenu.merchant_id == mid)).scalar_one_or_none()
        if menu is not None and saved is not None:
            menu.draft, menu.published, menu.published_at = saved
        db.session.commit()


def _draft(app, mid):
    with app.app_context(), platform_scope():
        row = db.session.execute(select(OfficialMenu).where(
            OfficialMenu.merchant_id == mid)).scalar_one_or_none()
        return (json.loads(row.draft) if row and row.draft else None,
                row.published_at if row else None)


def _form(client, **fields):
    data = {"csrf_token": client.csrf("/officialmenu/")}
    data.update(fields)
    return data


GOOD = {
    "b0_name": "微商城", "b0_type": "view", "b0_url": "https://shop.example.test/s/1",
    "b1_name": "会员", "b1_s0_name": "会员中心", "b1_s0_type": "view",
    "b1_s0_url": "https://shop.example.test/member",
    "b1_s1_name": "签到", "b1_s1_type": "click", "b1_s1_key": "SIGN_IN",
    "b1_s2_name": "小程序商城", "b1_s2_type": "miniprogram", "b1_s2_appid": "wx0123456789abcdef",
    "b1_s2_pagepath": "pages/index/index", "b1_s2_url": "https://shop.example.test/s/2",
}
EXPECTED = {"button": [
    {"type": "view", "name": "微商城", "url": "https://shop.example.test/s/1"},
    {"name": "会员", "sub_button": [
        {"type": "view", "name": "会员中心", "url": "https://shop.example.test/member"},
        {"type": "click", "name": "签到", "key": "SIGN_IN"},
        {"type": "miniprogram", "name": "小程序商城", "appid": "wx0123456789abcdef",
         "pagepath": "pages/index/index", "url": "https://shop.example.test/s/2"}]}]}


def test_publish_sends_the_menu_to_wechat_and_saves_it(app, login_as, wechat, oa):
    client = login_as("owner_a")
    response = client.post("/officialmenu/", data=_form(client, action="publish", **GOOD))
    assert response.status_code == 302
    assert oa["state"]["menu"] == EXPECTED
    draft, published_at = _draft(app, oa["merchant_id"])
    assert draft == EXPECTED and published_at is not None
    page = client.get("/officialmenu/").get_data(as_text=True)
    assert "菜单已发布" in page and 'value="小程序商城"' in page


def test_save_draft_makes_no_wechat_call(app, login_as, wechat, oa):
    client = login_as("owner_a")
    fields = dict(GOOD, b0_name="首页")
    assert client.post("/officialmenu/", data=_form(client, action="save", **fields)
                       ).status_code == 302
    assert wechat.received("/cgi-bin/menu/create") == []
    draft, _at = _draft(app, oa["merchant_id"])
    assert draft["button"][0]["name"] == "首页"


@pytest.mark.parametrize("field,value,message", [
    ("b0_name", "五个汉字名", "一级菜单名称最多 4 个汉字或 8 个字母"),
    ("b0_name", "ABCDEFGHI", "一级菜单名称最多 4 个汉字或 8 个字母"),
    ("b1_s0_name", "九个汉字的菜单名称", "二级菜单名称最多 8 个汉字或 16 个字母"),
    ("b0_url", "ftp://x", "请填写以 http:// 或 https:// 开头的网页链接"),
    ("b1_s1_key", "", "请填写菜单 KEY 值"),
    ("b1_s2_appid", "gh_123", "小程序 AppID 格式不正确"),
    ("b1_s2_url", "", "请填写备用网页链接"),
    ("b1_s2_type", "scancode_push", "请选择菜单动作"),
])
def test_over_the_limits_is_refused_before_any_call(app, login_as, wechat, oa, field, value,
                                                    message):
    client = login_as("owner_a")
    before = _draft(app, oa["merchant_id"])
    fields = dict(GOOD, **{field: value})
    response = client.post("/officialmenu/", data=_form(client, action="publish", **fields))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert 'value="签到"' in body  # the input is kept
    assert wechat.received("/cgi-bin/menu/create") == []
    assert _draft(app, oa["merchant_id"]) == before


def test_an_empty_menu_is_refused(app, login_as, wechat, oa):
    client = login_as("owner_a")
    response = client.post("/officialmenu/", data=_form(client, action="publish"))
    assert response.status_code == 422 and "请至少添加 1 个菜单" in response.get_data(as_text=True)
    assert wechat.received("/cgi-bin/menu/create") == []


def test_wechat_refusal_is_shown_in_chinese_and_nothing_saved(app, login_as, wechat, oa):
    client = login_as("owner_a")
    oa["state"]["menu_errcode"] = 48001
    before = _draft(app, oa["merchant_id"])
    response = client.post("/officialmenu/", data=_form(client, action="publish", **GOOD))
    assert response.status_code == 422
    assert "发布菜单失败：公众号未获得该接口权限" in response.get_data(as_text=True)
    assert _draft(app, oa["merchant_id"]) == before


def test_wechat_down_is_a_network_error(app, login_as, wechat, oa):
    client = login_as("owner_a")
    wechat.down = True
    before = _draft(app, oa["merchant_id"])
    response = client.post("/officialmenu/", data=_form(client, action="publish", **GOOD))
    assert response.status_code == 502
    assert "网络错误，无法连接微信服务器" in response.get_data(as_text=True)
    assert _draft(app, oa["merchant_id"]) == before


def test_pull_loads_wechats_menu_into_the_draft(app, login_as, wechat, oa):
    oa["state"]["menu"] = {"button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
            {"type": "scancode_push", "name": "扫一扫", "key": "scan"}]}]}
    client = login_as("owner_a")
    response = client.post("/officialmenu/pull", data={"csrf_token": client.csrf("/officialmenu/")},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "已把公众号当前菜单载入草稿" in body and "扫一扫" in body
    draft, _at = _draft(app, oa["merchant_id"])
    assert draft == {"button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "http://www.soso.com/"}]}]}


def test_pull_without_a_menu_keeps_the_draft(app, login_as, wechat, oa):
    client = login_as("owner_a")
    before = _draft(app, oa["merchant_id"])
    response = client.post("/officialmenu/pull", data={"csrf_token": client.csrf("/officialmenu/")},
                           follow_redirects=True)
    assert "公众号当前没有自定义菜单" in response.get_data(as_text=True)
    assert _draft(app, oa["merchant_id"]) == before


def test_publish_needs_the_developer_configuration(app, login_as, wechat):
    client = login_as("owner_b")
    response = client.post("/officialmenu/", data=_form(client, action="publish", **GOOD))
    assert "请先在【开发者配置】中填写公众号的 AppID 和 AppSecret" in response.get_data(as_text=True)
    assert wechat.received("/cgi-bin/menu/create") == []
