"""Fake WeChat official-account endpoints for 公众号设置: custom menu, template messages,
card image upload, card creation and card QR codes. They check what WeChat checks and
answer in WeChat's JSON (errcode / errmsg), keeping per-account state in ``fake.apps``:

* ``menu``: the published menu (``{"button": [...]}``) or None;
* ``templates``: {template_id: {"title", "content"}}; ``followers``: openids that follow;
* ``images``: uploaded card images (bytes by URL); ``cards``: card_id -> card/create body;
* ``oauth_codes``: 网页授权 codes -> openid (sns/oauth2/access_token).

media/uploadimg is multipart (not JSON), so uploads are answered before the base fake
parses the body as JSON.
"""
import secrets
from email.parser import BytesParser
from email.policy import default as default_policy

from tests.fakes.wechat import FakeWeChat, _first, api_route

_json_route = FakeWeChat.route
UPLOAD_ROUTES = {}


def _upload_route(path):
    def decorator(fn):
        UPLOAD_ROUTES[path] = fn
        return fn
    return decorator


def _route(self, record):
    handler = UPLOAD_ROUTES.get(record["path"].lstrip("/"))
    if handler is None:
        return _json_route(self, record)
    appid = self.tokens.get(_first(record["query"], "access_token"))
    if appid is None:
        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
    record["appid"] = appid
    return self._json(handler(self, record, _multipart(record)))


FakeWeChat.route = _route


def _multipart(record):
    """{field name: (filename, bytes)} of a multipart/form-data body."""
    content_type = record.get("content_type") or ""
    body = record["body"] or b""
    if not content_type:
        # The boundary is the body's first line ("--<boundary>").
        first = body.split(b"\r\n", 1)[0]
        content_type = f"multipart/form-data; boundary={first[2:].decode('latin-1')}"
    message = BytesParser(policy=default_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body)
    parts = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = (part.get_filename(), part.get_payload(decode=True))
    return parts


def _app(fake, record):
    return fake.apps[record["appid"]]


# -- 自定义菜单 -------------------------------------------------------------------------------
def _menu_error(menu):
    """WeChat's own checks of menu/create (bytes, as WeChat counts them)."""
    buttons = (menu or {}).get("button")
    if not buttons or len(buttons) > 3:
        return 40016, "invalid button size"
    for button in buttons:
        if len(button.get("name", "").encode("utf-8")) > 16:
            return 40018, "invalid button name size"
        subs = button.get("sub_button")
        if subs is not None:
            if not subs or len(subs) > 5:
                return 40023, "invalid sub button size"
            for sub in subs:
                if len(sub.get("name", "").encode("utf-8")) > 60:
                    return 40025, "invalid sub button name size"
                if sub.get("type") not in ("click", "view", "miniprogram"):
                    return 40017, "invalid button type"
        elif button.get("type") not in ("click", "view", "miniprogram"):
            return 40017, "invalid button type"
    return None


@api_route("cgi-bin/menu/create")
def _menu_create(fake, record, payload):
    app = _app(fake, record)
    if app.get("menu_errcode"):
        return {"errcode": app["menu_errcode"], "errmsg": "refused"}
    error = _menu_error(payload)
    if error:
        return {"errcode": error[0], "errmsg": error[1]}
    app["menu"] = payload
    return {"errcode": 0, "errmsg": "ok"}


@api_route("cgi-bin/menu/get")
def _menu_get(fake, record, payload):
    menu = _app(fake, record).get("menu")
    if not menu:
        return {"errcode": 46003, "errmsg": "menu no exist"}
    return {"menu": menu}


# -- 模板消息 ---------------------------------------------------------------------------------
@api_route("cgi-bin/message/template/send")
def _template_send(fake, record, payload):
    app = _app(fake, record)
    if payload.get("template_id") not in app.get("templates", {}):
        return {"errcode": 40037, "errmsg": "invalid template_id"}
    if payload.get("touser") not in app.get("followers", set()):
        return {"errcode": 43004, "errmsg": "require subscribe"}
    if not isinstance(payload.get("data"), dict):
        return {"errcode": 47001, "errmsg": "data format error"}
    msgid = secrets.randbelow(10 ** 12)
    app.setdefault("sent", []).append(dict(payload, msgid=msgid))
    return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


@api_route("cgi-bin/template/get_all_private_template")
def _templates(fake, record, payload):
    templates = _app(fake, record).get("templates", {})
    return {"template_list": [{"template_id": tid, "title": t["title"],
                               "content": t.get("content", "")}
                              for tid, t in templates.items()]}


# -- 微信会员卡 -------------------------------------------------------------------------------
@_upload_route("cgi-bin/media/uploadimg")
def _upload_image(fake, record, parts):
    filename, data = parts.get("media") or (None, None)
    if not data:
        return {"errcode": 41005, "errmsg": "media data missing"}
    if len(data) > 1024 * 1024:
        return {"errcode": 40009, "errmsg": "invalid image size"}
    if not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8")):
        return {"errcode": 40005, "errmsg": "invalid file type"}
    url = f"http://mmbiz.qpic.cn/mmbiz/{secrets.token_hex(12)}/0"
    _app(fake, record).setdefault("images", {})[url] = data
    return {"url": url}


@api_route("card/create")
def _card_create(fake, record, payload):
    app = _app(fake, record)
    card = (payload or {}).get("card") or {}
    member_card = card.get("member_card") or {}
    base = member_card.get("base_info") or {}
    images = app.get("images", {})
    if card.get("card_type") != "MEMBER_CARD" or not member_card.get("prerogative"):
        return {"errcode": 40097, "errmsg": "invalid args"}
    if base.get("logo_url") not in images:
        return {"errcode": 40079, "errmsg": "invalid logo_url"}
    if member_card.get("background_pic_url") and member_card["background_pic_url"] not in images:
        return {"errcode": 40079, "errmsg": "invalid background_pic_url"}
    if len(base.get("brand_name", "").encode("utf-8")) > 36 or len(
            base.get("title", "").encode("utf-8")) > 27:
        return {"errcode": 40097, "errmsg": "invalid args"}
    card_id = "p" + secrets.token_hex(13)
    app.setdefault("cards", {})[card_id] = payload
    return {"errcode": 0, "errmsg": "ok", "card_id": card_id}


@api_route("card/qrcode/create")
def _card_qrcode(fake, record, payload):
    app = _app(fake, record)
    card_id = ((payload.get("action_info") or {}).get("card") or {}).get("card_id")
    if payload.get("action_name") != "QR_CARD" or card_id not in app.get("cards", {}):
        return {"errcode": 40073, "errmsg": "invalid card id"}
    ticket = secrets.token_urlsafe(24)
    return {"errcode": 0, "errmsg": "ok", "ticket": ticket,
            "url": f"http://weixin.qq.com/q/{secrets.token_hex(10)}",
            "show_qrcode_url": f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={ticket}"}


# -- 网页授权 ---------------------------------------------------------------------------------
@api_route("sns/oauth2/access_token", needs_token=False)
def _oauth_access_token(fake, record, payload):
    """``app["oauth_codes"]``: {code: openid}; a code works once, as on WeChat."""
    app = fake.apps.get(_first(record["query"], "appid"))
    if app is None:
        return {"errcode": 40013, "errmsg": "invalid appid"}
    if _first(record["query"], "secret") != app["secret"]:
        return {"errcode": 40125, "errmsg": "invalid appsecret"}
    openid = app.get("oauth_codes", {}).pop(_first(record["query"], "code"), None)
    if openid is None:
        return {"errcode": 40029, "errmsg": "invalid code"}
    return {"access_token": secrets.token_hex(16), "expires_in": 7200,
            "refresh_token": secrets.token_hex(16), "openid": openid, "scope": "snsapi_base"}
