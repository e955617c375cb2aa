"""Official-account API calls of 公众号设置: custom menu, template messages, member card.

Plain values in and out; every refusal or network failure is one ``WeChatError`` with a
Chinese message (app/wechat/api.py ``call``). Callers validate their input first: nothing
here is called with data the console knows WeChat would refuse.
"""
from app.wechat import api, official
from app.wechat.transport import new_session


def _client(account):
    return official.client(account)


# -- 自定义菜单 --------------------------------------------------------------------------
def publish_menu(account, menu):
    """menu/create with ``{"button": [...]}``."""
    client = _client(account)
    api.call(lambda: client.menu.create(menu))


def current_menu(account):
    """The menu WeChat has now (``{"button": [...]}``), or None when there is none."""
    client = _client(account)
    data = api.call(lambda: client.menu.get())
    if not data:
        return None
    return data.get("menu") or None


# -- 模板消息 ----------------------------------------------------------------------------
def send_template(account, openid, template_id, data, url=None):
    """message/template/send; returns WeChat's msgid."""
    client = _client(account)
    result = api.call(lambda: client.message.send_template(openid, template_id, data,
                                                           url=url or None))
    return str(result.get("msgid") or "")


def private_templates(account):
    """The templates added to the account: [{"template_id", "title", "content"}]."""
    client = _client(account)
    data = api.call(lambda: client.template.get_all_private_template())
    return [{"template_id": t.get("template_id"), "title": t.get("title"),
             "content": t.get("content")} for t in (data.get("template_list") or [])]


# -- 微信会员卡 --------------------------------------------------------------------------
def upload_card_image(account, data, filename):
    """Upload a card image (logo, background) through media/uploadimg; returns its URL."""
    client = _client(account)
    mimetype = "image/png" if filename.lower().endswith(".png") else "image/jpeg"
    # Bytes, not a stream: wechatpy repeats the request after refreshing an expired token,
    # and a stream would then be empty.
    result = api.call(lambda: client.post("media/uploadimg",
                                          files={"media": (filename, data, mimetype)}))
    return result["url"]


def create_card(account, card):
    """card/create with ``{"card": {...}}``; returns the card_id."""
    client = _client(account)
    return api.call(lambda: client.card.create(card))


def card_qrcode(account, card_id):
    """card/qrcode/create for a claim QR code: {"ticket", "url", "show_qrcode_url"}."""
    client = _client(account)
    payload = {"action_name": "QR_CARD",
               "action_info": {"card": {"card_id": card_id, "is_unique_code": False,
                                        "outer_str": "console"}}}
    data = api.call(lambda: client.post("https://api.weixin.qq.com/card/qrcode/create",
                                        data=payload))
    return {"ticket": data.get("ticket"), "url": data.get("url"),
            "show_qrcode_url": data.get("show_qrcode_url")}


# -- 网页授权 (OAuth) ---------------------------------------------------------------------
def oauth_openid(account, code):
    """The openid behind a 网页授权 ``code`` (sns/oauth2/access_token): how the shop page
    proves which follower it serves."""
    from wechatpy.oauth import WeChatOAuth

    official.client(account)  # refuses an account without credentials
    oauth = WeChatOAuth(account.appid, account.app_secret, redirect_uri="")
    oauth._http = new_session()
    data = api.call(lambda: oauth.fetch_access_token(code))
    return data["openid"]
