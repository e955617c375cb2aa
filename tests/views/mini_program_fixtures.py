"""Fixtures of the 小程序设置管理 view tests: the platform's component (configured and
holding a pushed ticket) and merchant A's mini program bound through it."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.mini_program import MiniProgramRegistration, NearbyPoi, WxaAnalytics
from app.models.wechat import MiniProgramConfig, PlatformWeChatConfig, WeChatToken
from app.tenancy import platform_scope
from tests.fakes.mini_program import (add_component, add_mini_program, authorize,
                                      component_push, ticket_xml)

COMPONENT = "wx0c0c0c0c0c0c0c0c"
COMPONENT_SECRET = "Cs" * 16
COMPONENT_TOKEN = "ComponentToken2026"
COMPONENT_AES = "ComponentAesKey" + "k" * 28
MINI = "wx5a5a5a5a5a5a5a5a"
AUTH_URL = "/wechat/component/auth"
# Rows the tests create are removed afterwards (the audit log too: other suites count
# merchant A's entries, e.g. the synchronous export limit).
MODELS = (MiniProgramRegistration, NearbyPoi, WxaAnalytics, AuditLog)


def push(client, inner_xml):
    args, body = component_push(inner_xml, COMPONENT_TOKEN, COMPONENT_AES, COMPONENT)
    return client.post(AUTH_URL, query_string=args, data=body, content_type="text/xml")


def rows(app, model, **where):
    with app.app_context(), platform_scope():
        query = select(model).filter_by(**where)
        result = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return result


def mini_config(app, merchant):
    found = rows(app, MiniProgramConfig, merchant_id=merchant)
    return found[0] if found else None


@pytest.fixture()
def component(app, wechat, client):
    """The platform's component: its credentials saved and a ticket pushed by WeChat."""
    with app.app_context(), platform_scope():
        baseline = {m: db.session.execute(select(func.max(m.id))).scalar() or 0 for m in MODELS}
        assert db.session.execute(select(func.count(PlatformWeChatConfig.id))).scalar() == 0
        db.session.add(PlatformWeChatConfig(
            component_appid=COMPONENT, component_secret=COMPONENT_SECRET,
            component_token=COMPONENT_TOKEN, component_aes_key=COMPONENT_AES))
        db.session.commit()
    state = add_component(wechat, COMPONENT, COMPONENT_SECRET)
    response = push(client, ticket_xml(COMPONENT, state["ticket"]))
    assert response.get_data(as_text=True) == "success"
    yield state
    with app.app_context(), platform_scope():
        for model, last in baseline.items():
            db.session.execute(delete(model).where(model.id > last))
        db.session.execute(delete(MiniProgramConfig))
        db.session.execute(delete(PlatformWeChatConfig))
        db.session.execute(delete(WeChatToken).where(WeChatToken.key.like("md:component:%")))
        db.session.commit()


def bind(app, wechat, client, appid=MINI):
    """Merchant ``client`` binds ``appid``: 绑定 → WeChat's page → back with auth_code."""
    response = client.post("/miniprogram/open/bind",
                           data={"csrf_token": client.csrf("/miniprogram/open/")})
    assert response.status_code == 302
    link = urlsplit(response.location)
    assert (link.netloc, link.path) == ("mp.weixin.qq.com", "/cgi-bin/componentloginpage")
    query = parse_qs(link.query)
    assert query["component_appid"] == [COMPONENT] and query["auth_type"] == ["2"]
    assert query["redirect_uri"] == ["http://localhost/miniprogram/open/authorized"]
    code = authorize(wechat, COMPONENT, appid)
    return client.get("/miniprogram/open/authorized", query_string={"auth_code": code,
                                                                    "expires_in": "600"})


@pytest.fixture()
def bound(app, wechat, component, login_as):
    """Merchant A's owner, with the mini program MINI bound through the component."""
    mini = add_mini_program(wechat, MINI)
    client = login_as("owner_a")
    response = bind(app, wechat, client)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.mini = mini
    return client
