"""The platform's 开放平台第三方平台 (component): wechatpy ``WeChatComponent`` clients,
the authorization link, authorizer clients for mini programs, and the component's own
calls that wechatpy lacks (``component/fastregisterweapp``).

Each component gets its own storage prefix: wechatpy keeps ``component_verify_ticket``,
``component_access_token`` and the authorizers' tokens under global keys otherwise
(notes/wechat.md). Every client's ``_http`` is ``transport.new_session()``.
"""
import logging
import xml.parsers.expat
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote

import xmltodict
from flask import current_app
from flask_babel import lazy_gettext as _l
from wechatpy.client import WeChatComponentClient
from wechatpy.component import WeChatComponent
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from app.wechat.api import call
from app.wechat.errors import WeChatError
from app.wechat.storage import storage_for
from app.wechat.transport import TIMEOUT, new_session

log = logging.getLogger(__name__)

API = "https://api.weixin.qq.com/cgi-bin/component"
# auth_type=2: the authorization page lists mini programs only.
AUTH_TYPE_MINI_PROGRAM = 2
# WeChat's event pushes are a few hundred bytes; anything far larger is not from WeChat.
MAX_PUSH_BYTES = 64 * 1024


@dataclass
class ComponentAccount:
    appid: str
    secret: str
    token: str
    aes_key: str


def account_of(platform):
    """The component credentials of a PlatformWeChatConfig row, or WeChatError."""
    if platform is None or not (platform.component_appid and platform.component_secret
                                and platform.component_token and platform.component_aes_key):
        raise WeChatError(_l("平台尚未配置开放平台第三方平台，请联系平台管理员"),
                          code="no_component")
    return ComponentAccount(platform.component_appid, platform.component_secret,
                            platform.component_token, platform.component_aes_key)


def storage(account):
    return storage_for(f"component:{account.appid}", current_app.config.get("REDIS_URL"))


def new_component(account):
    """A WeChatComponent for the platform's third-party platform, its tickets and tokens in
    their own storage prefix, its HTTP through ``new_session()``."""
    component = WeChatComponent(account.appid, account.secret, account.token,
                                account.aes_key, session=storage(account))
    component._http = new_session()
    # WeChatComponent passes no timeout of its own; give every request the layer's.
    component._http.request = partial(component._http.request, timeout=TIMEOUT)
    return component


def authorizer_client(component, authorizer_appid, refresh_token):
    """A WeChatClient acting for an authorized mini program (its ``.wxa``, ``.media``...);
    the authorizer access token is refreshed with ``refresh_token`` when missing."""
    key = f"{authorizer_appid}_refresh_token"
    stored = component.session.get(key)
    client = WeChatComponentClient(
        authorizer_appid, component,
        refresh_token=refresh_token if refresh_token != stored else None,
        session=component.session, timeout=TIMEOUT)
    client._http = new_session()
    return client


def has_ticket(component):
    return bool(component.component_verify_ticket)


def _need_ticket(component):
    if not has_ticket(component):
        raise WeChatError(_l("尚未收到微信推送的 component_verify_ticket（每 10 分钟推送一次），"
                             "请确认授权事件接收 URL 已配置，稍后再试"), code="no_ticket")


def authorization_url(component, redirect_uri):
    """The link to WeChat's authorization page (a fresh pre-auth code each time)."""
    _need_ticket(component)
    result = call(component.create_preauthcode)
    return (f"{component.PRE_AUTH_URL}?component_appid={component.component_appid}"
            f"&pre_auth_code={result['pre_auth_code']}"
            f"&redirect_uri={quote(redirect_uri, safe='')}&auth_type={AUTH_TYPE_MINI_PROGRAM}")


def query_auth(component, auth_code):
    """Exchange the auth_code WeChat redirected back with: returns
    ``{"appid", "refresh_token", "func_ids"}`` (tokens are cached in the component storage)."""
    _need_ticket(component)
    result = call(lambda: component.query_auth(auth_code))
    info = result["authorization_info"]
    return {"appid": info["authorizer_appid"],
            "refresh_token": info.get("authorizer_refresh_token"),
            "func_ids": [f.get("funcscope_category", {}).get("id")
                         for f in info.get("func_info") or []]}


def authorizer_info(component, authorizer_appid):
    """The authorizer's nick_name and head_img as WeChat knows them."""
    result = call(lambda: component.get_authorizer_info(authorizer_appid))
    return result.get("authorizer_info") or {}


def fast_register(component, *, name, code, code_type, legal_persona_wechat,
                  legal_persona_name, component_phone=""):
    """快速注册企业小程序 (``component/fastregisterweapp?action=create``)."""
    _need_ticket(component)
    return call(lambda: component.post(f"{API}/fastregisterweapp", params={
        "action": "create"}, data={
        "name": name, "code": code, "code_type": code_type,
        "legal_persona_wechat": legal_persona_wechat,
        "legal_persona_name": legal_persona_name, "component_phone": component_phone}))


def search_registration(component, *, name, legal_persona_wechat, legal_persona_name):
    """The state of a fast registration (``action=search``): WeChat answers an errcode
    (0: the task is done, 89249: still waiting for the legal representative...)."""
    _need_ticket(component)
    try:
        return call(lambda: component.post(f"{API}/fastregisterweapp", params={
            "action": "search"}, data={
            "name": name, "legal_persona_wechat": legal_persona_wechat,
            "legal_persona_name": legal_persona_name}))
    except WeChatError as exc:
        if exc.code == "network":
            raise
        return {"errcode": exc.code, "errmsg": str(exc)}


# -- the 授权事件接收 URL -----------------------------------------------------------------
class PushRejected(Exception):
    """A push that is not WeChat's: logged, answered without touching state."""


def read_push(component, args, body, kind_field="InfoType"):
    """The decrypted push (a dict of the XML's fields) after checking the URL signature
    and the msg_signature; PushRejected otherwise. ``kind_field`` must be present:
    InfoType for the 授权事件接收 URL, MsgType for the 消息与事件接收 URL."""
    if not body or len(body) > MAX_PUSH_BYTES:
        raise PushRejected("empty or oversize body")
    token = component.crypto.token
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""),
                        args.get("nonce", ""))
    except InvalidSignatureException as exc:
        raise PushRejected("bad signature") from exc
    try:
        plain = component.crypto.decrypt_message(body, args.get("msg_signature", ""),
                                                 args.get("timestamp", ""),
                                                 args.get("nonce", ""))
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise PushRejected(type(exc).__name__) from exc
    except Exception as exc:  # noqa: BLE001 - malformed ciphertext, XML or padding
        raise PushRejected(f"undecryptable: {exc!r}") from exc
    try:
        message = xmltodict.parse(plain).get("xml")
    except (xml.parsers.expat.ExpatError, ValueError, TypeError) as exc:
        raise PushRejected(f"malformed xml: {exc!r}") from exc
    if not isinstance(message, dict) or not message.get(kind_field):
        raise PushRejected(f"no {kind_field}")
    return message


def cache_ticket(component, ticket):
    """Store the pushed component_verify_ticket (valid 12 hours) for every process."""
    component.session.set("component_verify_ticket", ticket, 12 * 3600)
