"""The fake's 开放平台第三方平台 (component) and mini program routes, in WeChat's formats.

Component endpoints take ``component_access_token`` (issued by ``api_component_token`` for
the right secret and the last pushed ticket); mini program endpoints take the authorizer
access token the component hands out. State lives in ``fake.apps`` (emptied per test):

* ``add_component(fake, appid, secret)``: a third-party platform and its current ticket;
* ``add_mini_program(fake, appid, **state)``: a mini program with its name, quotas, POIs
  and datacube answers; ``authorize(fake, component, appid)`` gives an auth_code for it.

``component_push`` builds what WeChat posts to the 授权事件接收 URL (signed, AES
encrypted by tests/fakes/wechat.py's own code).
"""
import json
import secrets
import time

from tests.fakes.wechat import (API_ROUTES, FakeWeChat, _first, api_route, callback_signature,
                                encrypt_callback)

# A 1x1 PNG, what getwxacodeunlimit answers (a real PNG header and chunks).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def add_component(fake, appid, secret, ticket=None):
    return fake.add_app(appid, secret, component=True,
                        ticket=ticket or f"ticket@@@{secrets.token_hex(8)}",
                        auth_codes={}, refresh_tokens={}, registrations={})


def add_mini_program(fake, appid, **state):
    defaults = {
        "nickname": "鲜果时光小店", "nickname_quota": 2, "nickname_used": 0,
        "head_image_url": "https://wx.qlogo.cn/mmopen/fake/0", "head_quota": 5, "head_used": 0,
        "signature": "新鲜水果，当日送达", "signature_quota": 5, "signature_used": 0,
        "verified": True, "principal_type": 1, "principal_name": "上海鲜果时光商贸有限公司",
        "categories": [{"first_name": "商家自营", "second_name": "食品", "audit_status": 3}],
        "pois": {}, "poi_max": 10, "media": set(),
        "summary": {"visit_total": 1520, "share_pv": 64, "share_uv": 40},
        "monthly": {"session_cnt": 5120, "visit_pv": 18000, "visit_uv": 2400,
                    "visit_uv_new": 410},
        "portrait": {
            "genders": [{"id": 1, "name": "男", "value": 900}, {"id": 2, "name": "女",
                                                                 "value": 1400}],
            "ages": [{"id": 1, "name": "17岁以下", "value": 50},
                     {"id": 2, "name": "18-24岁", "value": 620}],
            "province": [{"id": 31, "name": "上海", "value": 1300},
                         {"id": 32, "name": "江苏", "value": 500}],
            "platforms": [{"id": 1, "name": "iPhone", "value": 1250},
                          {"id": 2, "name": "安卓", "value": 1050}]},
    }
    defaults.update(state)
    return fake.add_app(appid, None, **defaults)


def authorize(fake, component_appid, appid):
    """The merchant authorized ``appid`` on WeChat's page: the auth_code of the redirect."""
    code = f"queryauthcode@@@{secrets.token_hex(12)}"
    fake.apps[component_appid]["auth_codes"][code] = appid
    return code


def component_push(inner_xml, token, aes_key, component_appid):
    """(query args, body) of a push to the 授权事件接收 URL, as WeChat sends it."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    envelope, msg_signature = encrypt_callback(inner_xml, token, aes_key, component_appid,
                                               timestamp, nonce)
    envelope = envelope.replace("<ToUserName><![CDATA[gh_fake]]></ToUserName>",
                                f"<AppId><![CDATA[{component_appid}]]></AppId>")
    args = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
            "signature": callback_signature(token, timestamp, nonce),
            "msg_signature": msg_signature}
    return args, envelope


def authorizer_push(inner_xml, token, aes_key, component_appid):
    """(query args, body) of a push to the component's 消息与事件接收 URL: an authorized
    mini program's message or event, encrypted for the component."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    envelope, msg_signature = encrypt_callback(inner_xml, token, aes_key, component_appid,
                                               timestamp, nonce)
    args = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
            "signature": callback_signature(token, timestamp, nonce),
            "msg_signature": msg_signature}
    return args, envelope


def nearby_poi_audit_xml(fake, appid, poi_id, *, passed, reason="", status=None):
    """WeChat audits a 附近小程序 address: the fake's state changes as getnearbypoilist will
    show it, and this is the add_nearby_poi_audit_info event it pushes (event status:
    3 passed, 2 failed)."""
    poi = fake.apps[appid]["pois"][poi_id]
    poi.update(audit_status=5 if passed else 4, refuse_reason="" if passed else reason)
    status = status if status is not None else (3 if passed else 2)
    return (f"<xml><ToUserName><![CDATA[gh_{appid[2:14]}]]></ToUserName>"
            f"<FromUserName><![CDATA[o{secrets.token_hex(13)}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[add_nearby_poi_audit_info]]></Event>"
            f"<audit_id>{fake.apps[appid].get('poi_audit_ids', {}).get(poi_id, '')}</audit_id>"
            f"<status>{status}</status>"
            f"<reason><![CDATA[{'' if passed else reason}]]></reason>"
            f"<poi_id>{poi_id}</poi_id></xml>")


def ticket_xml(component_appid, ticket):
    return (f"<xml><AppId><![CDATA[{component_appid}]]></AppId>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<InfoType><![CDATA[component_verify_ticket]]></InfoType>"
            f"<ComponentVerifyTicket><![CDATA[{ticket}]]></ComponentVerifyTicket></xml>")


def fastregister_xml(component_appid, *, status, appid="", auth_code="", msg="OK", name,
                     legal_persona_wechat, legal_persona_name, code="", code_type=1):
    return (f"<xml><AppId><![CDATA[{component_appid}]]></AppId>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<InfoType><![CDATA[notify_third_fasteregister]]></InfoType>"
            f"<appid><![CDATA[{appid}]]></appid><status>{status}</status>"
            f"<auth_code><![CDATA[{auth_code}]]></auth_code><msg><![CDATA[{msg}]]></msg>"
            f"<info><name><![CDATA[{name}]]></name><code><![CDATA[{code}]]></code>"
            f"<code_type>{code_type}</code_type>"
            f"<legal_persona_wechat><![CDATA[{legal_persona_wechat}]]></legal_persona_wechat>"
            f"<legal_persona_name><![CDATA[{legal_persona_name}]]></legal_persona_name>"
            f"<component_phone><![CDATA[]]></component_phone></info></xml>")


def unauthorized_xml(component_appid, authorizer_appid):
    return (f"<xml><AppId><![CDATA[{component_appid}]]></AppId>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<InfoType><![CDATA[unauthorized]]></InfoType>"
            f"<AuthorizerAppid><![CDATA[{authorizer_appid}]]></AuthorizerAppid></xml>")


# -- component endpoints (cgi-bin/component/...) --------------------------------------------
def _component(fake, record):
    """The component the component_access_token belongs to, or None."""
    appid = fake.tokens.get(_first(record["query"], "component_access_token"))
    app = fake.apps.get(appid)
    return (appid, app) if app and app.get("component") else (None, None)


INVALID_COMPONENT_TOKEN = {"errcode": 40001, "errmsg": "invalid credential, access_token is "
                                                       "invalid or not latest"}


@api_route("cgi-bin/component/api_component_token", needs_token=False)
def _component_token(fake, record, payload):
    app = fake.apps.get(payload.get("component_appid"))
    if not app or not app.get("component"):
        return {"errcode": 40013, "errmsg": "invalid appid"}
    if payload.get("component_appsecret") != app["secret"]:
        return {"errcode": 40125, "errmsg": "invalid appsecret"}
    if payload.get("component_verify_ticket") != app["ticket"]:
        return {"errcode": 61006, "errmsg": "component ticket is invalid"}
    return {"component_access_token": fake.issue_token(payload["component_appid"]),
            "expires_in": 7200}


@api_route("cgi-bin/component/api_create_preauthcode", needs_token=False)
def _preauthcode(fake, record, payload):
    appid, app = _component(fake, record)
    if app is None or payload.get("component_appid") != appid:
        return INVALID_COMPONENT_TOKEN
    return {"pre_auth_code": f"preauthcode@@@{secrets.token_hex(16)}", "expires_in": 1800}


def _authorizer_tokens(fake, app, authorizer_appid):
    refresh = f"refreshtoken@@@{secrets.token_hex(12)}"
    app["refresh_tokens"][authorizer_appid] = refresh
    return {"authorizer_appid": authorizer_appid,
            "authorizer_access_token": fake.issue_token(authorizer_appid), "expires_in": 7200,
            "authorizer_refresh_token": refresh,
            "func_info": [{"funcscope_category": {"id": 17}},
                          {"funcscope_category": {"id": 18}}]}


@api_route("cgi-bin/component/api_query_auth", needs_token=False)
def _query_auth(fake, record, payload):
    appid, app = _component(fake, record)
    if app is None:
        return INVALID_COMPONENT_TOKEN
    authorizer = app["auth_codes"].pop(payload.get("authorization_code"), None)
    if authorizer is None:
        return {"errcode": 61010, "errmsg": "code is expired"}
    return {"authorization_info": _authorizer_tokens(fake, app, authorizer)}


@api_route("cgi-bin/component/api_authorizer_token", needs_token=False)
def _authorizer_token(fake, record, payload):
    appid, app = _component(fake, record)
    if app is None:
        return INVALID_COMPONENT_TOKEN
    authorizer = payload.get("authorizer_appid")
    if app["refresh_tokens"].get(authorizer) != payload.get("authorizer_refresh_token"):
        return {"errcode": 61023, "errmsg": "refresh_token is invalid"}
    return {"authorizer_access_token": fake.issue_token(authorizer), "expires_in": 7200,
            "authorizer_refresh_token": payload["authorizer_refresh_token"]}


@api_route("cgi-bin/component/api_get_authorizer_info", needs_token=False)
def _authorizer_info(fake, record, payload):
    appid, app = _component(fake, record)
    if app is None:
        return INVALID_COMPONENT_TOKEN
    mini = fake.apps.get(payload.get("authorizer_appid")) or {}
    return {"authorizer_info": {"nick_name": mini.get("nickname", ""),
                                "head_img": mini.get("head_image_url", ""),
                                "principal_name": mini.get("principal_name", "")},
            "authorization_info": {"authorizer_appid": payload.get("authorizer_appid")}}


@api_route("cgi-bin/component/fastregisterweapp", needs_token=False)
def _fastregister(fake, record, payload):
    appid, app = _component(fake, record)
    if app is None:
        return INVALID_COMPONENT_TOKEN
    action = _first(record["query"], "action")
    key = (payload.get("name"), payload.get("legal_persona_wechat"),
           payload.get("legal_persona_name"))
    if action == "create":
        if not all(payload.get(f) for f in ("name", "code", "legal_persona_wechat",
                                            "legal_persona_name")):
            return {"errcode": 89253, "errmsg": "lack of some params"}
        if payload.get("code_type") not in (1, 2, 3):
            return {"errcode": 89248, "errmsg": "invalid code type"}
        if key in app["registrations"]:
            return {"errcode": 89249, "errmsg": "task running"}
        app["registrations"][key] = dict(payload, state="waiting")
        return {"errcode": 0, "errmsg": "OK"}
    if action == "search":
        task = app["registrations"].get(key)
        if task is None:
            return {"errcode": 89250, "errmsg": "inner error: task not found"}
        if task["state"] == "waiting":
            return {"errcode": 89251, "errmsg": "legal person checking"}
        return {"errcode": 0, "errmsg": "OK"}
    return {"errcode": 47001, "errmsg": "data format error"}


# -- mini program endpoints (authorizer access token) -------------------------------------
def _left(app, what):
    return app[f"{what}_quota"] - app[f"{what}_used"]


@api_route("cgi-bin/account/getaccountbasicinfo")
def _basic_info(fake, record, payload):
    app = fake.apps[record["appid"]]
    return {"errcode": 0, "errmsg": "ok", "appid": record["appid"], "account_type": 2,
            "principal_type": app["principal_type"], "principal_name": app["principal_name"],
            "realname_status": 1,
            "wx_verify_info": {"qualification_verify": app["verified"],
                               "naming_verify": app["verified"]},
            "signature_info": {"signature": app["signature"],
                               "modify_used_count": app["signature_used"],
                               "modify_quota": app["signature_quota"]},
            "head_image_info": {"head_image_url": app["head_image_url"],
                                "modify_used_count": app["head_used"],
                                "modify_quota": app["head_quota"]},
            "nickname_info": {"nickname": app["nickname"],
                              "modify_used_count": app["nickname_used"],
                              "modify_quota": app["nickname_quota"]}}


@api_route("cgi-bin/wxopen/getcategory")
def _categories(fake, record, payload):
    app = fake.apps[record["appid"]]
    return {"errcode": 0, "errmsg": "ok", "categories": app["categories"], "limit": 5,
            "quota": 5 - len(app["categories"]), "category_limit": 5}


@api_route("wxa/getwxacodeunlimit")
def _wxa_code(fake, record, payload):
    if not payload.get("scene") or len(str(payload["scene"])) > 32:
        return {"errcode": 40169, "errmsg": "invalid length for scene"}
    return "image/png", PNG


@api_route("wxa/setnickname")
def _set_nickname(fake, record, payload):
    app = fake.apps[record["appid"]]
    if _left(app, "nickname") <= 0:
        return {"errcode": 53011, "errmsg": "nickname check frequency limit"}
    name = payload.get("nick_name") or ""
    if not name:
        return {"errcode": 53010, "errmsg": "invalid nickname"}
    app["nickname_used"] += 1
    app["nickname"] = name
    return {"errcode": 0, "errmsg": "ok", "wording": "", "audit_id": 0}


@api_route("cgi-bin/account/modifyheadimage")
def _head_image(fake, record, payload):
    app = fake.apps[record["appid"]]
    if payload.get("head_img_media_id") not in app["media"]:
        return {"errcode": 40007, "errmsg": "invalid media_id"}
    if _left(app, "head") <= 0:
        return {"errcode": 53202, "errmsg": "modify head image quota limit"}
    app["head_used"] += 1
    app["head_image_url"] = f"https://wx.qlogo.cn/mmopen/{payload['head_img_media_id']}/0"
    return {"errcode": 0, "errmsg": "ok"}


@api_route("cgi-bin/account/modifysignature")
def _signature(fake, record, payload):
    app = fake.apps[record["appid"]]
    if _left(app, "signature") <= 0:
        return {"errcode": 53200, "errmsg": "modify signature quota limit"}
    app["signature_used"] += 1
    app["signature"] = payload.get("signature") or ""
    return {"errcode": 0, "errmsg": "ok"}


@api_route("wxa/addnearbypoi")
def _add_poi(fake, record, payload):
    app = fake.apps[record["appid"]]
    for field in ("related_name", "related_credential", "related_address",
                  "related_proof_material"):
        if not payload.get(field):
            return {"errcode": 47001, "errmsg": f"data format error: {field}"}
    if payload["related_proof_material"] not in app["media"]:
        return {"errcode": 40007, "errmsg": "invalid media_id"}
    if len(app["pois"]) >= app["poi_max"]:
        return {"errcode": 92002, "errmsg": "nearby poi count limit"}
    if any(p["qualification_num"] == payload["related_credential"]
           for p in app["pois"].values()):
        return {"errcode": 93014, "errmsg": "duplicate credential"}
    poi_id = str(10000000 + secrets.randbelow(89999999))
    app["pois"][poi_id] = {"poi_id": poi_id, "qualification_address": payload["related_address"],
                           "qualification_num": payload["related_credential"],
                           "audit_status": 3, "display_status": 0, "refuse_reason": ""}
    data = {"audit_id": str(secrets.randbelow(10 ** 9)), "poi_id": poi_id,
            "related_credential": payload["related_credential"]}
    app.setdefault("poi_audit_ids", {})[poi_id] = data["audit_id"]  # not in the list API
    return {"errcode": 0, "errmsg": "ok", "data": data}


@api_route("wxa/getnearbypoilist")
def _poi_list(fake, record, payload):
    app = fake.apps[record["appid"]]
    rows = int(_first(record["query"], "page_rows") or 10)
    pois = list(app["pois"].values())[:rows]
    return {"errcode": 0, "errmsg": "", "data": {
        "left_apply_num": app["poi_max"] - len(app["pois"]), "max_apply_num": app["poi_max"],
        "data": json.dumps({"poi_list": pois})}}


@api_route("wxa/delnearbypoi")
def _del_poi(fake, record, payload):
    app = fake.apps[record["appid"]]
    if app["pois"].pop(str(payload.get("poi_id")), None) is None:
        return {"errcode": 93010, "errmsg": "poi not exist"}
    return {"errcode": 0, "errmsg": "ok"}


def _dates(payload):
    return payload.get("begin_date"), payload.get("end_date")


@api_route("datacube/getweanalysisappiddailysummarytrend")
def _summary(fake, record, payload):
    begin, end = _dates(payload)
    if begin != end:
        return {"errcode": 61501, "errmsg": "date range error"}
    return {"list": [dict(fake.apps[record["appid"]]["summary"], ref_date=begin)]}


@api_route("datacube/getweanalysisappidmonthlyvisittrend")
def _monthly(fake, record, payload):
    begin, end = _dates(payload)
    if not begin or begin[6:] != "01" or begin[:6] != (end or "")[:6]:
        return {"errcode": 61501, "errmsg": "date range error"}
    return {"list": [dict(fake.apps[record["appid"]]["monthly"], ref_date=begin[:6],
                          stay_time_uv=10.5, stay_time_session=4.2, visit_depth=2.1)]}


@api_route("datacube/getweanalysisappiduserportrait")
def _portrait(fake, record, payload):
    begin, end = _dates(payload)
    errcode = fake.apps[record["appid"]].get("portrait_errcode")
    if errcode:  # a test makes WeChat refuse this one kind
        return {"errcode": errcode, "errmsg": "refused by the test"}
    portrait = fake.apps[record["appid"]]["portrait"]
    return {"ref_date": f"{begin}-{end}", "visit_uv_new": portrait, "visit_uv": portrait}


# -- 临时素材 upload: multipart, which the fake's JSON dispatcher does not read -------------
MULTIPART_PATHS = {"cgi-bin/media/upload"}
_json_route = FakeWeChat.route


def _route(fake, record):
    if record["path"].lstrip("/") not in MULTIPART_PATHS:
        return _json_route(fake, record)
    appid = fake.tokens.get(_first(record["query"], "access_token"))
    if appid is None:
        return fake._json({"errcode": 40001, "errmsg": "invalid credential"})
    body = record["body"]
    if b'name="media"' not in body or _first(record["query"], "type") != "image":
        return fake._json({"errcode": 41005, "errmsg": "media data missing"})
    content = body.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
    if len(content) > 2 * 1024 * 1024:
        return fake._json({"errcode": 40009, "errmsg": "invalid image size"})
    media_id = f"MEDIA_{secrets.token_hex(10)}"
    fake.apps.setdefault(appid, {}).setdefault("media", set()).add(media_id)
    record["appid"] = appid
    record["upload"] = content
    return fake._json({"type": "image", "media_id": media_id, "created_at": int(time.time())})


FakeWeChat.route = _route
assert "wxa/addnearbypoi" in API_ROUTES
