"""Mini program (小程序) calls: basic information and its live modification quotas, the
小程序码, name / avatar / introduction changes, 附近的小程序 POIs and the 数据分析
datacube. Every function takes a wechatpy client (an authorizer client from
``app.wechat.component`` or ``api.new_client``) and returns plain values; wechatpy has no
method for most of these, so they are ``client.get/post(absolute_url, ...)`` inside
``api.call`` (notes/wechat.md).
"""
import io
import json
import logging

from flask_babel import lazy_gettext as _l

from app.wechat.api import call
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)

BASE = "https://api.weixin.qq.com"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PRINCIPAL_TYPES = {0: _l("个人"), 1: _l("企业"), 2: _l("媒体"), 3: _l("政府"),
                   4: _l("其他组织")}
CATEGORY_AUDIT = {1: _l("审核中"), 2: _l("审核不通过"), 3: _l("审核通过")}
# getnearbypoilist audit_status -> NearbyPoi.audit_status code
POI_AUDIT = {3: "auditing", 4: "rejected", 5: "passed"}


def _quota(info):
    """(used, quota, left) of a *_info block of getaccountbasicinfo."""
    info = info or {}
    used = int(info.get("modify_used_count") or 0)
    quota = int(info.get("modify_quota") or 0)
    return {"used": used, "quota": quota, "left": max(quota - used, 0)}


def basic_info(client):
    """Name, avatar, introduction (with this month's quotas), verification and subject,
    read live from ``account/getaccountbasicinfo``."""
    data = call(lambda: client.get(f"{BASE}/cgi-bin/account/getaccountbasicinfo"))
    nickname = data.get("nickname_info") or {}
    head = data.get("head_image_info") or {}
    signature = data.get("signature_info") or {}
    verify = data.get("wx_verify_info") or {}
    principal = data.get("principal_type")
    return {
        "appid": data.get("appid"),
        "name": nickname.get("nickname") or data.get("nickname") or "",
        "name_quota": _quota(nickname),
        "avatar_url": head.get("head_image_url") or "",
        "avatar_quota": _quota(head),
        "intro": signature.get("signature") or "",
        "intro_quota": _quota(signature),
        "verified": bool(verify.get("qualification_verify")),
        "naming_verified": bool(verify.get("naming_verify")),
        "principal_type": str(PRINCIPAL_TYPES.get(principal, principal or "")),
        "principal_name": data.get("principal_name") or "",
        "realname_ok": data.get("realname_status") == 1,
    }


def categories(client):
    """The service categories (服务类目) with their audit state."""
    data = call(lambda: client.get(f"{BASE}/cgi-bin/wxopen/getcategory"))
    return [{"first": c.get("first_name") or "", "second": c.get("second_name") or "",
             "status": str(CATEGORY_AUDIT.get(c.get("audit_status"), ""))}
            for c in data.get("categories") or []]


def wxa_code(client, scene="home", page=None, width=430):
    """The 小程序码 as PNG bytes (``wxa/getwxacodeunlimit``: unlimited codes)."""
    result = call(lambda: client.wxa.get_wxa_code_unlimited(scene, width=width, page=page))
    content = getattr(result, "content", None)
    if not content or not content.startswith(PNG_MAGIC):
        raise WeChatError(_l("微信返回的小程序码不是 PNG 图片，请稍后重试"), code="bad_wxa_code")
    return content


def set_nickname(client, name):
    """``wxa/setnickname``: an authentic name may need WeChat's audit (audit_id)."""
    result = call(lambda: client.post(f"{BASE}/wxa/setnickname", data={"nick_name": name}))
    return {"audit_id": result.get("audit_id"), "wording": result.get("wording") or ""}


def upload_image(client, content, filename):
    """A temporary image media (临时素材) for the calls that take a media_id."""
    result = call(lambda: client.media.upload("image", (filename, io.BytesIO(content))))
    media_id = result.get("media_id") if isinstance(result, dict) else None
    if not media_id:
        raise WeChatError(_l("上传图片到微信失败，请稍后重试"), code="upload")
    return media_id


def modify_head_image(client, media_id):
    """``account/modifyheadimage``: the whole image (crop box 0,0 - 1,1)."""
    call(lambda: client.post(f"{BASE}/cgi-bin/account/modifyheadimage", data={
        "head_img_media_id": media_id, "x1": "0", "y1": "0", "x2": "1", "y2": "1"}))


def modify_signature(client, text):
    call(lambda: client.post(f"{BASE}/cgi-bin/account/modifysignature",
                             data={"signature": text}))


# -- 附近的小程序 -------------------------------------------------------------------------
def add_poi(client, *, related_name, related_credential, related_address, proof_media_id):
    """``wxa/addnearbypoi``: returns {"poi_id", "audit_id"}."""
    result = call(lambda: client.post(f"{BASE}/wxa/addnearbypoi", data={
        "related_name": related_name, "related_credential": related_credential,
        "related_address": related_address, "related_proof_material": proof_media_id}))
    data = result.get("data") or {}
    return {"poi_id": str(data.get("poi_id") or ""), "audit_id": str(data.get("audit_id") or "")}


def list_pois(client, page=1, page_rows=10):
    """``wxa/getnearbypoilist``: {"left", "max", "pois": [{poi_id, audit_status, ...}]}."""
    result = call(lambda: client.get(f"{BASE}/wxa/getnearbypoilist",
                                     params={"page": page, "page_rows": page_rows}))
    data = result.get("data") or {}
    inner = data.get("data") or "{}"
    try:
        pois = (json.loads(inner) if isinstance(inner, str) else inner).get("poi_list") or []
    except (ValueError, AttributeError):
        pois = []
    return {"left": data.get("left_apply_num"), "max": data.get("max_apply_num"),
            "pois": [{"poi_id": str(p.get("poi_id") or ""),
                      "audit_status": POI_AUDIT.get(p.get("audit_status"), "auditing"),
                      "display": bool(p.get("display_status")),
                      "refuse_reason": p.get("refuse_reason") or ""} for p in pois]}


def delete_poi(client, poi_id):
    call(lambda: client.post(f"{BASE}/wxa/delnearbypoi", data={"poi_id": poi_id}))


# -- 数据分析 ----------------------------------------------------------------------------
def _datacube(client, name, begin, end):
    return call(lambda: client.post(f"{BASE}/datacube/{name}", data={
        "begin_date": begin.strftime("%Y%m%d"), "end_date": end.strftime("%Y%m%d")}))


def daily_summary(client, day):
    """昨日概况: cumulative users, shares and sharers of ``day``."""
    rows = _datacube(client, "getweanalysisappiddailysummarytrend", day, day).get("list") or []
    row = rows[0] if rows else {}
    return {"ref_date": row.get("ref_date") or day.strftime("%Y%m%d"),
            "visit_total": int(row.get("visit_total") or 0),
            "share_pv": int(row.get("share_pv") or 0),
            "share_uv": int(row.get("share_uv") or 0)}


def monthly_visits(client, first, last):
    """上月数据: opens, visits, visitors and new users of the month ``first``..``last``."""
    rows = _datacube(client, "getweanalysisappidmonthlyvisittrend", first, last).get(
        "list") or []
    row = rows[0] if rows else {}
    return {"ref_date": row.get("ref_date") or first.strftime("%Y%m"),
            "session_cnt": int(row.get("session_cnt") or 0),
            "visit_pv": int(row.get("visit_pv") or 0),
            "visit_uv": int(row.get("visit_uv") or 0),
            "visit_uv_new": int(row.get("visit_uv_new") or 0)}


def user_portrait(client, begin, end):
    """用户画像 of active users (visit_uv): genders, ages, provinces, platforms, each a list
    of {"name", "value"}."""
    data = _datacube(client, "getweanalysisappiduserportrait", begin, end)
    users = data.get("visit_uv") or {}

    def series(key):
        return [{"name": str(item.get("name") or item.get("id") or ""),
                 "value": int(item.get("value") or 0)} for item in users.get(key) or []]

    return {"ref_date": data.get("ref_date") or "", "genders": series("genders"),
            "ages": series("ages"), "provinces": series("province"),
            "platforms": series("platforms")}


def client_for(config):
    """The client acting for the merchant's mini program: through the platform's component
    when it was authorized (快速注册 or 绑定), with its own AppSecret otherwise."""
    from app.extensions import db
    from app.services import wechat as wechat_service
    from app.wechat import api, component

    if config is None or not config.appid:
        raise WeChatError(_l("请先在“开通小程序”中开通或绑定小程序"), code="not_bound")
    if config.authorizer_refresh_token:
        account = component.account_of(wechat_service.platform_config(db.session))
        return component.authorizer_client(component.new_component(account), config.appid,
                                           config.authorizer_refresh_token)
    if config.app_secret:
        return api.new_client(config.appid, config.app_secret)
    raise WeChatError(_l("请先在“开通小程序”中开通或绑定小程序"), code="not_bound")
