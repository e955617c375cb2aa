"""模板消息: event → template id settings, the send job against the fake WeChat, and the send
log (list, export) with Chinese failure reasons."""
import io
import json

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.extensions import db
from app.models.official_account import TemplateMessageLog, TemplateSetting
from app.models.wechat import OfficialAccountConfig
from app.services.official_account import send_template_message
from app.tenancy import platform_scope
from tests.conftest import merchant_id

APPID = "wx22334455667788cd"
SECRET = "t" * 32
SHIPPED_ID = "TPLshipped0123456789abcdefghijklmnopqrstuvw"
RECHARGE_ID = "TPLrecharge123456789abcdefghijklmnopqrstuvw"


@pytest.fixture()
def oa(app, wechat):
    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), platform_scope():
        db.session.add(OfficialAccountConfig(merchant_id=mid, appid=APPID, app_secret=SECRET,
                                             token="tok123", message_mode="plain"))
        saved = {row.event: (row.template_id, row.enabled) for row in db.session.execute(
            select(TemplateSetting).where(TemplateSetting.merchant_id == mid)).scalars()}
        db.session.commit()
    state = wechat.add_app(APPID, SECRET, followers={"oFan1"}, templates={
        SHIPPED_ID: {"title": "订单发货提醒", "content": "{{first.DATA}} 快递：{{keyword1.DATA}}"},
        RECHARGE_ID: {"title": "充值成功通知", "content": "{{first.DATA}}"}})
    yield {"merchant_id": mid, "state": state}
    with app.app_context(), platform_scope():
        db.session.execute(OfficialAccountConfig.__table__.delete().where(
            OfficialAccountConfig.merchant_id == mid))
        db.session.execute(TemplateMessageLog.__table__.delete().where(
            TemplateMessageLog.openid.in_(["oFan1", "oGone"])))
        for row in db.session.execute(select(TemplateSetting).where(
                TemplateSetting.merchant_id == mid)).scalars():
            row.template_id, row.enabled = saved.get(row.event, (None, False))
        db.session.commit()


def _save(client, **fields):
    data = {"csrf_token": client.csrf("/officialtemplates/")}
    data.update(fields)
    return client.post("/officialtemplates/", data=data)


def _settings(app, mid):
    with app.app_context(), platform_scope():
        return {row.event: (row.template_id, row.enabled) for row in db.session.execute(
            select(TemplateSetting).where(TemplateSetting.merchant_id == mid)).scalars()}


def _logs(app, openid):
    with app.app_context(), platform_scope():
        return [(row.event, row.status, row.reason, row.template_id) for row in
                db.session.execute(select(TemplateMessageLog).where(
                    TemplateMessageLog.openid == openid).order_by(TemplateMessageLog.id))
                .scalars()]


def _configure(client):
    response = _save(client, order_shipped_template_id=SHIPPED_ID, order_shipped_enabled="1",
                     recharge_success_template_id=RECHARGE_ID, recharge_success_enabled="1",
                     verification_done_template_id="")
    assert response.status_code == 302


def test_settings_map_events_to_template_ids(app, login_as, oa):
    client = login_as("owner_a")
    _configure(client)
    assert _settings(app, oa["merchant_id"]) == {
        "order_shipped": (SHIPPED_ID, True), "recharge_success": (RECHARGE_ID, True),
        "verification_done": (None, False), "cancel_refused": (None, False)}
    page = client.get("/officialtemplates/").get_data(as_text=True)
    assert SHIPPED_ID in page and "核销完成" in page


def test_bad_template_id_is_refused_at_the_field(app, login_as, oa):
    client = login_as("owner_a")
    before = _settings(app, oa["merchant_id"])
    response = _save(client, order_shipped_template_id="bad id!", order_shipped_enabled="1",
                     recharge_success_enabled="1", recharge_success_template_id="")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "模板 ID 格式不正确" in body and "启用通知须填写模板 ID" in body
    assert 'value="bad id!"' in body
    assert _settings(app, oa["merchant_id"]) == before


def test_send_goes_through_the_job_and_is_logged(app, login_as, wechat, oa):
    _configure(login_as("owner_a"))
    with app.app_context():
        log_id = send_template_message(oa["merchant_id"], "order_shipped", "oFan1",
                                       {"first": "您好，您的订单已发货", "keyword1": "顺丰 SF123"},
                                       "https://shop.example.test/s/order/9")
    assert log_id is not None
    assert _logs(app, "oFan1") == [("order_shipped", "success", None, SHIPPED_ID)]
    sent = json.loads(wechat.received("/cgi-bin/message/template/send")[0]["body"])
    assert sent["touser"] == "oFan1" and sent["template_id"] == SHIPPED_ID
    assert sent["data"] == {"first": {"value": "您好，您的订单已发货"},
                            "keyword1": {"value": "顺丰 SF123"}}
    assert sent["url"] == "https://shop.example.test/s/order/9"


def test_failures_are_logged_with_the_chinese_reason(app, login_as, wechat, oa):
    _configure(login_as("owner_a"))
    with app.app_context():
        send_template_message(oa["merchant_id"], "recharge_success", "oGone", {"first": "x"})
    assert _logs(app, "oGone") == [("recharge_success", "failed",
                                    "用户未关注公众号或已取消关注，无法接收模板消息", RECHARGE_ID)]
    wechat.down = True
    with app.app_context():
        send_template_message(oa["merchant_id"], "order_shipped", "oFan1", {"first": "x"})
    assert _logs(app, "oFan1") == [("order_shipped", "failed",
                                    "网络错误，无法连接微信服务器，请稍后重试", SHIPPED_ID)]


def test_an_event_without_an_enabled_template_sends_nothing(app, login_as, wechat, oa):
    _configure(login_as("owner_a"))
    with app.app_context():
        assert send_template_message(oa["merchant_id"], "verification_done", "oFan1",
                                     {"first": "x"}) is None
    assert _logs(app, "oFan1") == []
    assert wechat.received("/cgi-bin/message/template/send") == []


def test_send_log_lists_and_exports_the_merchants_rows(app, login_as, wechat, oa):
    client = login_as("owner_a")
    _configure(client)
    with app.app_context():
        send_template_message(oa["merchant_id"], "recharge_success", "oGone", {"first": "x"})
    page = client.get("/templatemessagelogview/list/").get_data(as_text=True)
    assert "oGone" in page and "用户未关注公众号" in page and "充值成功" in page
    assert "oDemo" in page and f"oDemo{merchant_id(app, '茶语小铺')}" not in page
    response = client.get("/templatemessagelogview/export/?_flt_0_openid=oGone")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0)
    cells = rows.to_python()
    assert cells[0][:3] == ["创建时间", "通知事件", "粉丝标识（openid）"]
    assert cells[1][1:3] == ["充值成功", "oGone"] and len(cells) == 2


def test_read_my_templates_from_wechat(app, login_as, wechat, oa):
    client = login_as("owner_a")
    response = client.post("/officialtemplates/templates",
                           data={"csrf_token": client.csrf("/officialtemplates/")})
    body = response.get_data(as_text=True)
    assert "订单发货提醒" in body and RECHARGE_ID in body
