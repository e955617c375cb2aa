"""开通小程序 through the platform's component: the 授权事件接收 URL, 绑定已有小程序 and
快速注册, and the platform's component credentials."""
import json

from sqlalchemy import Text, select, text, type_coerce

from app.extensions import db
from app.models.mini_program import MiniProgramRegistration
from app.models.wechat import PlatformWeChatConfig, WeChatToken
from app.tenancy import platform_scope
from tests.conftest import merchant_id
from tests.fakes.mini_program import (add_mini_program, authorize, component_push,
                                      fastregister_xml, ticket_xml, unauthorized_xml)
from tests.views.mini_program_fixtures import (AUTH_URL, COMPONENT, COMPONENT_AES,  # noqa: F401
                                               COMPONENT_TOKEN, MINI, bind, bound, component,
                                               mini_config, push, rows)

REGISTRATION = {"company_name": "上海鲜果时光商贸有限公司", "code": "91350100M000100Y43",
                "legal_persona_name": "张三", "legal_persona_wechat": "zhangsan_2026",
                "component_phone": "13800000001"}


def _stored_ticket(app):
    with app.app_context():
        from app.wechat.storage import DatabaseStorage

        return DatabaseStorage(f"md:component:{COMPONENT}").get("component_verify_ticket")


# -- the 授权事件接收 URL --------------------------------------------------------------------
def test_ticket_push_is_stored_encrypted_under_the_components_prefix(app, component):
    assert _stored_ticket(app) == component["ticket"]
    with app.app_context():
        table = WeChatToken.__table__  # type_coerce: read the stored text, not decrypted
        raw = db.session.execute(select(type_coerce(table.c.value, Text)).where(
            table.c.key == f"md:component:{COMPONENT}:component_verify_ticket")).scalar()
    assert raw and component["ticket"] not in raw  # encrypted at rest


def test_tampered_pushes_are_rejected_without_state_change(app, client, component):
    args, body = component_push(ticket_xml(COMPONENT, "forged-ticket"), COMPONENT_TOKEN,
                                COMPONENT_AES, COMPONENT)
    bad_signature = dict(args, signature="0" * 40)
    assert client.post(AUTH_URL, query_string=bad_signature, data=body).status_code == 403
    bad_msg_signature = dict(args, msg_signature="0" * 40)
    assert client.post(AUTH_URL, query_string=bad_msg_signature, data=body).status_code == 403
    # Encrypted for another component (wrong AppID inside the ciphertext).
    args2, body2 = component_push(ticket_xml(COMPONENT, "forged-ticket"), COMPONENT_TOKEN,
                                  COMPONENT_AES, "wx9999999999999999")
    assert client.post(AUTH_URL, query_string=args2, data=body2).status_code == 403
    assert client.post(AUTH_URL, query_string=args, data=b"<xml>" + b"a" * 70000).status_code \
        == 403
    assert client.post(AUTH_URL, query_string=args, data=b"not xml").status_code == 403
    assert _stored_ticket(app) == component["ticket"]


def test_auth_url_is_404_until_the_platform_configures_the_component(client):
    args, body = component_push(ticket_xml(COMPONENT, "t"), COMPONENT_TOKEN, COMPONENT_AES,
                                COMPONENT)
    assert client.post(AUTH_URL, query_string=args, data=body).status_code == 404


# -- 绑定已有小程序 -------------------------------------------------------------------------
def test_bind_stores_the_authorizer_and_its_encrypted_refresh_token(app, wechat, bound):
    config = mini_config(app, merchant_id(app, "鲜果时光"))
    assert config.appid == MINI and config.name == "鲜果时光小店"
    refresh = wechat.apps[COMPONENT]["refresh_tokens"][MINI]
    assert config.authorizer_refresh_token == refresh
    with app.app_context():
        raw = db.session.execute(text(
            "SELECT authorizer_refresh_token FROM wechat_mini_program WHERE id = :id"),
            {"id": config.id}).scalar()
    assert refresh not in raw
    page = bound.get("/miniprogram/open/").get_data(as_text=True)
    assert "已绑定" in page and MINI in page and refresh not in page
    sent = json.loads(wechat.received("/cgi-bin/component/api_component_token")[0]["body"])
    assert sent["component_verify_ticket"] == wechat.apps[COMPONENT]["ticket"]


def test_bind_refuses_a_used_auth_code_and_a_mini_program_of_another_merchant(
        app, wechat, bound, login_as):
    response = bound.get("/miniprogram/open/authorized", query_string={"auth_code": "nope"})
    assert response.status_code == 200 and "授权码已过期或已使用" in response.get_data(as_text=True)
    assert "未收到微信的授权码" in bound.get("/miniprogram/open/authorized").get_data(as_text=True)
    other = login_as("owner_b")
    response = bind(app, wechat, other)
    assert "该小程序已绑定其他商家" in response.get_data(as_text=True)
    assert mini_config(app, merchant_id(app, "茶语小铺")) is None


def test_bind_without_a_component_or_when_wechat_is_down(app, wechat, component, login_as):
    client = login_as("owner_a")
    wechat.down = True
    response = client.post("/miniprogram/open/bind",
                           data={"csrf_token": client.csrf("/miniprogram/open/")},
                           follow_redirects=True)
    assert "网络错误" in response.get_data(as_text=True)
    wechat.down = False
    code = authorize(wechat, COMPONENT, MINI)
    add_mini_program(wechat, MINI)
    wechat.down = True
    page = client.get("/miniprogram/open/authorized", query_string={"auth_code": code})
    assert "网络错误" in page.get_data(as_text=True)
    assert mini_config(app, merchant_id(app, "鲜果时光")) is None


def test_unauthorized_push_revokes_the_binding(app, client, bound):
    assert push(client, unauthorized_xml(COMPONENT, MINI)).get_data(as_text=True) == "success"
    config = mini_config(app, merchant_id(app, "鲜果时光"))
    assert config.appid == MINI and config.authorizer_refresh_token is None
    assert "未绑定" in bound.get("/miniprogram/open/").get_data(as_text=True)


# -- 快速注册 ------------------------------------------------------------------------------
def _register(client, **override):
    data = dict(REGISTRATION, csrf_token=client.csrf("/miniprogram/open/"), **override)
    return client.post("/miniprogram/open/register", data=data)


def test_fast_registration_bad_input_is_refused_before_any_call(app, wechat, component,
                                                                login_as):
    client = login_as("owner_a")
    response = _register(client, code="91350100M000100Y44", legal_persona_wechat="1abc",
                         company_name="上", component_phone="123")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("统一社会信用代码须为 18 位", "法人微信号须为 6-20 位", "企业名称须为 2-100 个字",
                    "请输入 11 位中国大陆手机号"):
        assert message in body
    assert 'value="91350100M000100Y44"' in body  # input kept
    assert wechat.received("/cgi-bin/component/fastregisterweapp") == []
    assert rows(app, MiniProgramRegistration, company_name="上") == []


def test_fast_registration_is_sent_stored_and_its_result_binds(app, wechat, client, component,
                                                               login_as):
    owner = login_as("owner_a")
    response = _register(owner)
    assert response.status_code == 302
    sent = wechat.received("/cgi-bin/component/fastregisterweapp")
    assert sent[0]["query"]["action"] == ["create"]
    assert json.loads(sent[0]["body"]) == {
        "name": REGISTRATION["company_name"], "code": "91350100M000100Y43", "code_type": 1,
        "legal_persona_wechat": "zhangsan_2026", "legal_persona_name": "张三",
        "component_phone": "13800000001"}
    [registration] = rows(app, MiniProgramRegistration, company_name=REGISTRATION["company_name"])
    assert registration.status == "submitted"
    assert "待法人确认" in owner.get("/miniprogram/open/").get_data(as_text=True)
    # A second request while the first waits is refused before any call.
    assert "等待法人确认" in _register(owner).get_data(as_text=True)
    assert len(wechat.received("/cgi-bin/component/fastregisterweapp")) == 1
    # 刷新状态: WeChat says the legal representative has not confirmed yet.
    owner.post("/miniprogram/open/status", data={
        "csrf_token": owner.csrf("/miniprogram/open/"), "registration_id": registration.id})
    [registration] = rows(app, MiniProgramRegistration, id=registration.id)
    assert registration.status == "submitted" and registration.message == "等待法人人脸核身校验"
    # WeChat pushes the result: the new mini program is authorized to the component.
    add_mini_program(wechat, "wx7b7b7b7b7b7b7b7b", nickname="鲜果时光")
    code = authorize(wechat, COMPONENT, "wx7b7b7b7b7b7b7b7b")
    push(client, fastregister_xml(COMPONENT, status=0, appid="wx7b7b7b7b7b7b7b7b",
                                  auth_code=code, name=REGISTRATION["company_name"],
                                  legal_persona_wechat="zhangsan_2026",
                                  legal_persona_name="张三"))
    [registration] = rows(app, MiniProgramRegistration, id=registration.id)
    assert (registration.status, registration.appid) == ("success", "wx7b7b7b7b7b7b7b7b")
    config = mini_config(app, merchant_id(app, "鲜果时光"))
    assert config.appid == "wx7b7b7b7b7b7b7b7b" and config.authorizer_refresh_token


def test_fast_registration_failure_is_shown(app, client, component, login_as):
    owner = login_as("owner_a")
    assert _register(owner).status_code == 302
    push(client, fastregister_xml(COMPONENT, status=103, msg="fail",
                                  name=REGISTRATION["company_name"],
                                  legal_persona_wechat="zhangsan_2026", legal_persona_name="张三"))
    page = owner.get("/miniprogram/open/").get_data(as_text=True)
    assert "注册失败" in page and "企业法定代表人姓名不一致" in page
    assert mini_config(app, merchant_id(app, "鲜果时光")) is None


def test_fast_registration_with_wechat_down_stores_nothing(app, wechat, component, login_as):
    owner = login_as("owner_a")
    wechat.down = True
    response = _register(owner)
    assert response.status_code == 422 and "网络错误" in response.get_data(as_text=True)
    assert rows(app, MiniProgramRegistration, company_name=REGISTRATION["company_name"]) == []


def test_refresh_status_of_another_merchants_registration_is_refused(app, component,
                                                                     login_as):
    assert _register(login_as("owner_a")).status_code == 302
    [registration] = rows(app, MiniProgramRegistration, company_name=REGISTRATION["company_name"])
    other = login_as("owner_b")
    response = other.post("/miniprogram/open/status", data={
        "csrf_token": other.csrf("/miniprogram/open/"), "registration_id": registration.id},
        follow_redirects=True)
    assert "注册申请不存在" in response.get_data(as_text=True)


# -- the platform's component credentials ----------------------------------------------------
def test_platform_edits_component_credentials_masked_blank_keeps(app, login_as):
    platform = login_as("platform")
    token = platform.csrf("/platformwechat/add")
    response = platform.post("/platformwechat/add", data={
        "csrf_token": token, "component_appid": COMPONENT, "component_secret": "x" * 31,
        "component_token": "t!", "component_aes_key": "short"})
    body = response.get_data(as_text=True)
    assert "AppSecret 须为 32 位字母或数字" in body and "Token 须为 3-32 位字母或数字" in body
    assert "消息加解密 Key 须为 43 位字母或数字" in body
    with app.app_context():
        assert db.session.query(PlatformWeChatConfig).count() == 0
    try:
        platform.post("/platformwechat/add", data={
            "csrf_token": token, "component_appid": COMPONENT, "component_secret": "S" * 32,
            "component_token": COMPONENT_TOKEN, "component_aes_key": COMPONENT_AES})
        with app.app_context():
            row = db.session.execute(select(PlatformWeChatConfig)).scalar_one()
            pk = row.id
        listing = platform.get("/platformwechat/list/").get_data(as_text=True)
        assert "****SSSS" in listing and "S" * 32 not in listing
        edit = platform.get(f"/platformwechat/edit/{pk}").get_data(as_text=True)
        assert "S" * 32 not in edit and "已设置 ****SSSS，留空则不修改" in edit
        assert "/wechat/component/auth" in edit
        platform.post(f"/platformwechat/edit/{pk}", data={
            "csrf_token": token, "component_appid": COMPONENT, "component_secret": "",
            "component_token": "", "component_aes_key": "", "sp_mch_id": "1230000109"})
        with app.app_context():
            row = db.session.get(PlatformWeChatConfig, pk)
            assert (row.component_secret, row.component_token, row.sp_mch_id) == (
                "S" * 32, COMPONENT_TOKEN, "1230000109")
        # One row only.
        platform.post("/platformwechat/add", data={"csrf_token": token,
                                                   "component_appid": COMPONENT})
        with app.app_context():
            assert db.session.query(PlatformWeChatConfig).count() == 1
    finally:
        with app.app_context(), platform_scope():
            db.session.query(PlatformWeChatConfig).delete()
            db.session.commit()


def test_merchants_cannot_open_the_platform_view(login_as):
    assert login_as("owner_a").get("/platformwechat/list/").status_code in (302, 403)


def test_sidebar_follows_the_first_guides_order(login_as):
    page = login_as("owner_a").get("/").get_data(as_text=True)
    links = ["/miniprogram/open/", "/miniprogram/settings/", "/minipaysetup/",
             "/nearbypoi/list/", "/miniprogram/analytics/"]
    positions = [page.find(f'href="{link}"') for link in links]
    assert -1 not in positions and positions == sorted(positions), positions
