"""公众号 开发者配置 and the server URL WeChat calls: signature, safe-mode crypto, events."""
import re
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.merchant import StaffUser
from app.models.wechat import Follower, OfficialAccountConfig
from app.tenancy import platform_scope
from tests.fakes.wechat import (callback_signature, decrypt_reply, encrypt_callback, event_xml,
                                from_xml)

APPID = "wx99887766554433aa"
SECRET = "s" * 32


@pytest.fixture()
def account(app, login_as):
    """Merchant A's official account, saved through the page (plain mode first)."""
    client = login_as("owner_a")
    page = client.get("/officialaccount/").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    aes_key = re.search(r'name="encoding_aes_key" value="([^"]+)"', page).group(1)
    response = client.post("/officialaccount/", data={
        "csrf_token": client.csrf("/officialaccount/"), "name": "鲜果时光", "appid": APPID,
        "app_secret": SECRET, "message_mode": "plain", "token": token,
        "encoding_aes_key": aes_key, "follow_sends_register_link": "1",
        "register_url": "https://shop.example.test/s/register", "boss_code": "老板888",
        "auto_reply": "您好，欢迎光临鲜果时光"})
    assert response.status_code == 302
    with app.app_context(), platform_scope():
        config = db.session.execute(select(OfficialAccountConfig).where(
            OfficialAccountConfig.appid == APPID)).scalar_one()
        values = {"id": config.id, "token": config.token, "aes_key": config.encoding_aes_key,
                  "url": f"/wechat/{config.callback_token}/callback",
                  "merchant_id": config.merchant_id}
    yield dict(values, client=client)
    with app.app_context(), platform_scope():
        db.session.execute(Follower.__table__.delete())
        db.session.execute(OfficialAccountConfig.__table__.delete())
        db.session.commit()


def _signed_args(token):
    timestamp, nonce = str(int(time.time())), "nonce123"
    return {"timestamp": timestamp, "nonce": nonce,
            "signature": callback_signature(token, timestamp, nonce)}


def _post_plain(client, account, xml, args=None):
    args = args or _signed_args(account["token"])
    return client.post(account["url"], query_string=args, data=xml, content_type="text/xml")


def _set_mode(app, account, mode):
    with app.app_context(), platform_scope():
        db.session.get(OfficialAccountConfig, account["id"]).message_mode = mode
        db.session.commit()


def _followers(app):
    with app.app_context(), platform_scope():
        return {f.openid: (f.subscribed, f.scene) for f in
                db.session.execute(select(Follower)).scalars()}


def test_developer_configuration_page(app, account):
    page = account["client"].get("/officialaccount/").get_data(as_text=True)
    assert f"http://localhost{account['url']}" in page
    assert len(account["aes_key"]) == 43 and account["aes_key"].isalnum()
    assert page.count("md-copy-btn") == 3 and "IP白名单" in page
    assert SECRET not in page and "****ssss" in page


def test_bad_input_is_refused_at_the_field(app, account):
    client = account["client"]
    response = client.post("/officialaccount/", data={
        "csrf_token": client.csrf("/officialaccount/"), "appid": "gh_123", "app_secret": "x",
        "message_mode": "plain", "register_url": "ftp://x", "auto_reply": "好" * 601})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("AppID 格式不正确", "AppSecret 须为 32 位", "注册链接须以", "自动回复最多 600 个字"):
        assert message in body
    with app.app_context(), platform_scope():
        assert db.session.get(OfficialAccountConfig, account["id"]).appid == APPID


def test_echo_needs_a_valid_signature(app, client, account):
    args = dict(_signed_args(account["token"]), echostr="4589")
    assert client.get(account["url"], query_string=args).get_data(as_text=True) == "4589"
    args["signature"] = "0" * 40
    assert client.get(account["url"], query_string=args).status_code == 403
    assert client.get("/wechat/not-a-token/callback", query_string=args).status_code == 404


def test_follow_scan_unfollow_and_replies_in_plain_mode(app, client, account):
    response = _post_plain(client, account, event_xml("oA1", event="subscribe"))
    reply = from_xml(response.get_data())
    assert reply["ToUserName"] == "oA1" and "点击注册会员" in reply["Content"]
    assert "https://shop.example.test/s/register" in reply["Content"]
    _post_plain(client, account, event_xml("oA2", event="subscribe", event_key="qrscene_shop7"))
    _post_plain(client, account, event_xml("oA1", event="unsubscribe"))
    assert _followers(app) == {"oA1": (False, None), "oA2": (True, "shop7")}
    boss = from_xml(_post_plain(client, account, event_xml("oA2", content="老板888")).get_data())
    assert "今日经营报表" in boss["Content"]
    other = from_xml(_post_plain(client, account, event_xml("oA2", content="在吗")).get_data())
    assert other["Content"] == "您好，欢迎光临鲜果时光"
    unknown = _post_plain(client, account, event_xml("oA2", event="some_new_event"))
    assert unknown.get_data(as_text=True) == "success"


def test_safe_mode_decrypts_and_encrypts(app, client, account):
    _set_mode(app, account, "safe")
    args = _signed_args(account["token"])
    envelope, msg_signature = encrypt_callback(event_xml("oS1", event="subscribe"),
                                               account["token"], account["aes_key"], APPID,
                                               args["timestamp"], args["nonce"])
    response = client.post(account["url"], data=envelope, content_type="text/xml",
                           query_string=dict(args, encrypt_type="aes",
                                             msg_signature=msg_signature))
    assert response.status_code == 200
    reply = from_xml(decrypt_reply(response.get_data(as_text=True), account["aes_key"]))
    assert reply["ToUserName"] == "oS1"
    assert _followers(app) == {"oS1": (True, None)}


@pytest.mark.parametrize("case", ["bad_signature", "bad_msg_signature", "other_appid",
                                  "plain_in_safe_mode", "malformed", "huge", "entity_bomb"])
def test_rejected_callbacks_touch_nothing(app, client, account, case):
    args = _signed_args(account["token"])
    xml = event_xml("oX", event="subscribe")
    body, query = xml, dict(args)
    if case != "bad_signature":
        _set_mode(app, account, "safe")
    if case == "bad_signature":
        query["signature"] = "f" * 40
    elif case in ("bad_msg_signature", "other_appid"):
        appid = "wx0000000000000000" if case == "other_appid" else APPID
        body, msg_signature = encrypt_callback(xml, account["token"], account["aes_key"], appid,
                                               args["timestamp"], args["nonce"])
        if case == "bad_msg_signature":
            msg_signature = "0" * 40
        query.update(encrypt_type="aes", msg_signature=msg_signature)
    elif case == "malformed":
        body, msg_signature = encrypt_callback("<xml><MsgType>", account["token"],
                                               account["aes_key"], APPID, args["timestamp"],
                                               args["nonce"])
        query.update(encrypt_type="aes", msg_signature=msg_signature)
    elif case == "huge":
        body = "<xml>" + "<a>1</a>" * 20000 + "</xml>"
    elif case == "entity_bomb":
        body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>')
        query.update(encrypt_type="aes", msg_signature="0" * 40)
    response = client.post(account["url"], query_string=query, data=body,
                           content_type="text/xml")
    assert response.status_code == 403
    assert _followers(app) == {}


def test_staff_without_permission_cannot_open_it(login_as):
    assert login_as("verifier_a").get("/officialaccount/").status_code in (302, 403)


def test_owner_b_never_sees_a(app, account, login_as):
    page = login_as("owner_b").get("/officialaccount/").get_data(as_text=True)
    assert APPID not in page and account["url"] not in page
    with app.app_context(), platform_scope():
        owner_b = db.session.execute(select(StaffUser).where(
            StaffUser.phone == "13900000002")).scalar_one()
        assert owner_b.merchant_id != account["merchant_id"]
