"""Client factories: access tokens are shared through the database (no Redis configured)
or Redis, so two clients of one AppID fetch one token; WeChat's errors become Chinese."""
import pytest

from app.wechat import api, official
from app.wechat.errors import WeChatError

APPID = "wx5566778899aabbcc"
SECRET = "c" * 32


def _user_info(client):
    return api.call(lambda: client.user.get_followers())


@pytest.fixture()
def oa(wechat):
    wechat.add_app(APPID, SECRET)
    from tests.fakes.wechat import api_route

    @api_route("cgi-bin/user/get")
    def _followers(fake, record, payload):
        return {"total": 1, "count": 1, "data": {"openid": ["o1"]}, "next_openid": "o1"}

    yield wechat
    from tests.fakes.wechat import API_ROUTES

    API_ROUTES.pop("cgi-bin/user/get", None)


def test_two_clients_share_one_token_through_the_database(app, oa):
    from app.extensions import db
    from app.models.wechat import WeChatToken

    account = official.OfficialAccount(appid=APPID, app_secret=SECRET)
    with app.app_context():
        db.session.execute(WeChatToken.__table__.delete())
        db.session.commit()
        first = _user_info(official.client(account))
        second = _user_info(official.client(account))
        stored = db.session.execute(db.select(WeChatToken.value)).scalars().all()
        raw = db.session.execute(db.text("SELECT value FROM wechat_token")).scalars().all()
    assert first["total"] == second["total"] == 1
    assert len(oa.received("/cgi-bin/token")) == 1
    assert any("TOKEN-" in value for value in stored)
    assert not any("TOKEN-" in value for value in raw), "tokens are encrypted at rest"


def test_wrong_secret_and_network_errors_are_chinese(app, oa):
    with app.app_context():
        with pytest.raises(WeChatError) as excinfo:
            _user_info(official.client(official.OfficialAccount(appid=APPID,
                                                                app_secret="x" * 32)))
        assert "AppSecret 无效" in str(excinfo.value)
        oa.down = True
        with pytest.raises(WeChatError) as excinfo:
            _user_info(official.client(official.OfficialAccount(appid="wx0000000000000001",
                                                                app_secret=SECRET)))
        assert "网络错误" in str(excinfo.value)
