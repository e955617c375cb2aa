"""公众号设置 rules: the custom menu's limits, template-message settings and sending, and the
member card's fields and images. 用户绑定 (SMS codes, binding requests, follower tokens) is in
app/services/binding.py.

Plain functions on models and values (no Flask). Calls to WeChat happen in the views and
the send job, through app/wechat/official_api.py, after these rules have accepted the input.
"""
import io
import json
import re
from datetime import timedelta

from sqlalchemy import select

from app.models.base import china_now
from app.models.official_account import (TEMPLATE_EVENTS, BindingRequest, MemberCard,
                                         OfficialMenu, TemplateMessageLog, TemplateSetting)
from app.services.errors import BusinessError, N_


class OfficialError(BusinessError):
    """A refused 公众号 operation: a Chinese message (formatted with ``params`` after
    translation) and the form ``field`` it belongs to, if any."""

    def __init__(self, message, field=None, code="invalid", status=None, **params):
        super().__init__(message, code=code, status=status)
        self.field = field
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


def utf8_len(text):
    return len((text or "").encode("utf-8"))


def url_ok(url, max_bytes=1024):
    return bool(re.match(r"^https?://[^\s]+$", url or "")) and utf8_len(url) <= max_bytes


# == 自定义菜单 ================================================================================
MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MENU_TYPES = ("click", "view", "miniprogram")
SLOT_FIELDS = ("name", "type", "key", "url", "appid", "pagepath")
# WeChat's limits: a top-level name is at most 4 Chinese characters (8 letters) and 16 bytes,
# a sub-button name at most 8 Chinese characters (16 letters) and 60 bytes; a click key at
# most 128 bytes, a URL at most 1024 bytes.
TOP_NAME_UNITS, TOP_NAME_BYTES = 8, 16
SUB_NAME_UNITS, SUB_NAME_BYTES = 16, 60
KEY_BYTES = 128
APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")


def name_units(name):
    """Display width as WeChat counts it: a Chinese character is 2, a letter or digit 1."""
    return sum(1 if ord(ch) < 128 else 2 for ch in name or "")


def empty_slot():
    return {field: "" for field in SLOT_FIELDS}


def empty_slots():
    """3 top-level slots, each with 5 sub-button slots: what the designer edits."""
    return [dict(empty_slot(), subs=[empty_slot() for _ in range(MAX_SUB_BUTTONS)])
            for _ in range(MAX_BUTTONS)]


def slots_from_form(get):
    """The designer's slots from a form (``get(name) -> str``): b0_name, b0_s1_url..."""
    slots = empty_slots()
    for i, slot in enumerate(slots):
        for field in SLOT_FIELDS:
            slot[field] = (get(f"b{i}_{field}") or "").strip()[:1100]
        for j, sub in enumerate(slot["subs"]):
            for field in SLOT_FIELDS:
                sub[field] = (get(f"b{i}_s{j}_{field}") or "").strip()[:1100]
    return slots


def _slot_from_button(button):
    slot = empty_slot()
    slot["name"] = str(button.get("name") or "")
    kind = button.get("type") or ""
    slot["type"] = kind
    if kind == "click":
        slot["key"] = str(button.get("key") or "")
    elif kind == "view":
        slot["url"] = str(button.get("url") or "")
    elif kind == "miniprogram":
        slot.update(appid=str(button.get("appid") or ""),
                    pagepath=str(button.get("pagepath") or ""), url=str(button.get("url") or ""))
    return slot


def slots_from_menu(menu):
    """Slots from WeChat's JSON (a saved draft or the pulled menu), and the names of buttons
    whose type the designer does not edit (they are left out)."""
    slots, skipped = empty_slots(), []
    buttons = (menu or {}).get("button") or []
    for i, button in enumerate(buttons[:MAX_BUTTONS]):
        subs = button.get("sub_button")
        if isinstance(subs, dict):  # get_current_selfmenu_info's shape
            subs = subs.get("list")
        if subs:
            slots[i]["name"] = str(button.get("name") or "")
            for j, sub in enumerate(subs[:MAX_SUB_BUTTONS]):
                if sub.get("type") not in MENU_TYPES:
                    skipped.append(str(sub.get("name") or ""))
                    continue
                slots[i]["subs"][j] = _slot_from_button(sub)
        elif button.get("type") in MENU_TYPES:
            slots[i].update(_slot_from_button(button))
        else:
            skipped.append(str(button.get("name") or ""))
    return slots, skipped


def _is_empty(slot):
    return not any(slot.get(field) for field in SLOT_FIELDS)


def _check_name(name, prefix, top, errors):
    units, limit_bytes = (TOP_NAME_UNITS, TOP_NAME_BYTES) if top else (SUB_NAME_UNITS,
                                                                       SUB_NAME_BYTES)
    if not name:
        errors[f"{prefix}_name"] = OfficialError(N_("请填写菜单名称"))
    elif name_units(name) > units or utf8_len(name) > limit_bytes:
        if top:
            errors[f"{prefix}_name"] = OfficialError(
                N_("一级菜单名称最多 4 个汉字或 8 个字母（现为 %(n)d 个字符）"), n=len(name))
        else:
            errors[f"{prefix}_name"] = OfficialError(
                N_("二级菜单名称最多 8 个汉字或 16 个字母（现为 %(n)d 个字符）"), n=len(name))


def _leaf(slot, prefix, errors):
    """The WeChat button of an action slot (click / view / miniprogram)."""
    kind = slot["type"]
    button = {"type": kind, "name": slot["name"]}
    if kind == "click":
        if not slot["key"]:
            errors[f"{prefix}_key"] = OfficialError(N_("请填写菜单 KEY 值（点击事件推送给服务器的标识）"))
        elif utf8_len(slot["key"]) > KEY_BYTES:
            errors[f"{prefix}_key"] = OfficialError(N_("菜单 KEY 值最多 128 个字节"))
        button["key"] = slot["key"]
    elif kind == "view":
        if not url_ok(slot["url"]):
            errors[f"{prefix}_url"] = OfficialError(
                N_("请填写以 http:// 或 https:// 开头的网页链接（最多 1024 个字节）"))
        button["url"] = slot["url"]
    elif kind == "miniprogram":
        if not APPID_RE.match(slot["appid"]):
            errors[f"{prefix}_appid"] = OfficialError(
                N_("小程序 AppID 格式不正确：以 wx 开头，共 18 位"))
        if not slot["pagepath"] or utf8_len(slot["pagepath"]) > KEY_BYTES:
            errors[f"{prefix}_pagepath"] = OfficialError(N_("请填写小程序页面路径（最多 128 个字节）"))
        if not url_ok(slot["url"]):
            errors[f"{prefix}_url"] = OfficialError(
                N_("请填写备用网页链接：不支持小程序的旧版微信客户端将打开此网页"))
        button.update(appid=slot["appid"], pagepath=slot["pagepath"], url=slot["url"])
    else:
        errors[f"{prefix}_type"] = OfficialError(N_("请选择菜单动作：发送消息、跳转网页或跳转小程序"))
    return button


def build_menu(slots):
    """WeChat's ``{"button": [...]}`` from the designer's slots, and the errors by field
    (empty when the menu may be published). Every limit is checked here, before any call."""
    errors, buttons = {}, []
    if len(slots) > MAX_BUTTONS:
        errors["menu"] = OfficialError(N_("最多 3 个一级菜单"))
    for i, slot in enumerate(slots[:MAX_BUTTONS]):
        subs = [(j, s) for j, s in enumerate(slot.get("subs") or []) if not _is_empty(s)]
        if _is_empty(slot) and not subs:
            continue
        prefix = f"b{i}"
        _check_name(slot["name"], prefix, True, errors)
        if subs:
            if len(slot.get("subs") or []) > MAX_SUB_BUTTONS or len(subs) > MAX_SUB_BUTTONS:
                errors[f"{prefix}_name"] = OfficialError(N_("每个一级菜单下最多 5 个二级菜单"))
            children = []
            for j, sub in subs[:MAX_SUB_BUTTONS]:
                sub_prefix = f"{prefix}_s{j}"
                _check_name(sub["name"], sub_prefix, False, errors)
                children.append(_leaf(sub, sub_prefix, errors))
            buttons.append({"name": slot["name"], "sub_button": children})
        else:
            buttons.append(_leaf(slot, prefix, errors))
    if not buttons and not errors:
        errors["menu"] = OfficialError(N_("请至少添加 1 个菜单"))
    return {"button": buttons}, errors


def menu_row(session, merchant_id):
    row = session.execute(select(OfficialMenu).where(
        OfficialMenu.merchant_id == merchant_id)).scalar_one_or_none()
    if row is None:
        row = OfficialMenu(merchant_id=merchant_id)
    return row


def draft_of(row):
    try:
        return json.loads(row.draft) if row.draft else None
    except ValueError:
        return None


def save_draft(row, menu):
    row.draft = json.dumps(menu, ensure_ascii=False)


def mark_published(row, menu, now=None):
    save_draft(row, menu)
    row.published = row.draft
    row.published_at = now or china_now()


def load_pulled(row, menu, now=None):
    """拉取当前菜单: WeChat's menu becomes the draft; returns the skipped button names."""
    slots, skipped = slots_from_menu(menu)
    clean, _errors = build_menu(slots)
    save_draft(row, clean if clean["button"] else {"button": []})
    row.pulled_at = now or china_now()
    return skipped


# == 模板消息 ================================================================================
TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
EVENT_CODES = [code for code, _label in TEMPLATE_EVENTS]


def template_settings(session):
    """{event: TemplateSetting} of the current merchant (missing events absent)."""
    rows = session.execute(select(TemplateSetting)).scalars()
    return {row.event: row for row in rows}


def save_template_settings(session, merchant_id, values):
    """``values``: {event: (template_id, enabled)}. A bad id refuses the whole save."""
    errors = {}
    for event, (template_id, enabled) in values.items():
        if event not in EVENT_CODES:
            continue
        if template_id and not TEMPLATE_ID_RE.match(template_id):
            errors[event] = OfficialError(N_("模板 ID 格式不正确：请从公众平台【广告与服务 - 模板消息 - 我的模板】复制"))
        elif enabled and not template_id:
            errors[event] = OfficialError(N_("启用通知须填写模板 ID"))
    if errors:
        return errors
    existing = template_settings(session)
    for event, (template_id, enabled) in values.items():
        if event not in EVENT_CODES:
            continue
        row = existing.get(event)
        if row is None:
            row = TemplateSetting(merchant_id=merchant_id, event=event)
            session.add(row)
        row.template_id = template_id or None
        row.enabled = bool(enabled and template_id)
    return {}


def template_data(data):
    """WeChat's ``{"key": {"value": ..., "color": ...}}`` from plain values or that shape."""
    clean = {}
    for key, value in (data or {}).items():
        if isinstance(value, dict):
            item = {"value": str(value.get("value", ""))}
            if value.get("color"):
                item["color"] = str(value["color"])
        else:
            item = {"value": "" if value is None else str(value)}
        clean[str(key)] = item
    return clean


def queue_template_message(session, merchant_id, event, openid, data, url=None):
    """A pending send-log row for ``event``, or None when the merchant has not enabled a
    template for it (or the fan is unknown). The caller commits, then enqueues the job."""
    if event not in EVENT_CODES:
        raise OfficialError(N_("未知的模板消息事件"), code="bad_event")
    if not openid:
        return None
    setting = session.execute(select(TemplateSetting).where(
        TemplateSetting.merchant_id == merchant_id,
        TemplateSetting.event == event)).scalar_one_or_none()
    if setting is None or not setting.enabled or not setting.template_id:
        return None
    log = TemplateMessageLog(
        merchant_id=merchant_id, event=event, openid=str(openid)[:64],
        template_id=setting.template_id, url=(url or None) and str(url)[:512],
        payload=json.dumps(template_data(data), ensure_ascii=False), status="pending")
    session.add(log)
    session.flush()
    return log


def send_template_message(merchant_id, event, openid, data, url=None, session=None):
    """Send a 模板消息 for ``event`` through an RQ job (in-process without Redis); the job
    calls WeChat and writes the result in the send log. Returns the log row id, or None
    when the event has no enabled template."""
    from app.tenancy import tenant_scope

    if session is None:
        from app.extensions import db

        session = db.session
    with tenant_scope(merchant_id):
        log = queue_template_message(session, merchant_id, event, openid, data, url)
        if log is None:
            return None
        log_id = log.id
        session.commit()
    from app.workers.official_account import deliver_template_message
    from app.workers.queue import enqueue

    enqueue(deliver_template_message, log_id)
    return log_id


def record_send_result(log, msgid=None, error=None, now=None):
    log.sent_at = now or china_now()
    if error is None:
        log.status = "success"
        log.msgid = (msgid or "")[:32] or None
        log.reason = None
    else:
        log.status = "failed"
        log.reason = str(error)[:255]


# == 微信会员卡 ==============================================================================
# WeChat's card colours (card/getcolors).
CARD_COLORS = [("Color010", "#63b359"), ("Color020", "#2c9f67"), ("Color030", "#509fc9"),
               ("Color040", "#5885cf"), ("Color050", "#9062c0"), ("Color060", "#d09a45"),
               ("Color070", "#e4b138"), ("Color080", "#ee903c"), ("Color081", "#f08500"),
               ("Color082", "#a9d92d"), ("Color090", "#dd6549"), ("Color100", "#cc463d"),
               ("Color101", "#cf3e36"), ("Color102", "#5E6671")]
IMAGE_MAX_BYTES = 1024 * 1024
LOGO_MAX = (300, 300)
BACKGROUND_MAX = (1000, 600)
CARD_LINKS_MIN, CARD_LINKS_MAX = 2, 3
# Field limits of card/create, in characters (WeChat counts bytes: 3 per Chinese character).
BRAND_MAX, TITLE_MAX, LINK_NAME_MAX, LINK_TIPS_MAX, PREROGATIVE_MAX = 12, 9, 5, 6, 1024
LINK_URL_BYTES = 128


def check_card_image(data, filename, field, max_size):
    """An uploaded card image: jpg/png, at most 1 MB and ``max_size`` pixels. Returns the
    Pillow format name."""
    from PIL import Image

    if not data:
        raise OfficialError(N_("请选择图片"), field=field)
    if len(data) > IMAGE_MAX_BYTES:
        raise OfficialError(N_("图片不能超过 1 MB"), field=field, code="image_size")
    if not (filename or "").lower().endswith((".jpg", ".jpeg", ".png")):
        raise OfficialError(N_("只支持 jpg、png、jpeg 格式的图片"), field=field, code="image_type")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for bad bytes
        raise OfficialError(N_("文件内容不是有效的图片"), field=field,
                            code="image_content") from exc
    if kind not in ("JPEG", "PNG"):
        raise OfficialError(N_("只支持 jpg、png、jpeg 格式的图片"), field=field, code="image_type")
    if width > max_size[0] or height > max_size[1]:
        raise OfficialError(N_("图片尺寸须在 %(w)d×%(h)d 像素以内（现为 %(cw)d×%(ch)d）"),
                            field=field, code="image_dimensions", w=max_size[0], h=max_size[1],
                            cw=width, ch=height)
    return kind


def card_fields_errors(values):
    """Errors by field of the card form (``values``: brand_name, title, color, prerogative,
    links = [(name, tips, url)] as entered)."""
    errors = {}

    def check_text(field, limit, required_message, too_long):
        text = values.get(field) or ""
        if not text:
            errors[field] = OfficialError(required_message)
        elif len(text) > limit:
            errors[field] = OfficialError(too_long, n=limit)

    check_text("brand_name", BRAND_MAX, N_("请填写商户名字"), N_("商户名字最多 %(n)d 个字"))
    check_text("title", TITLE_MAX, N_("请填写券名"), N_("券名最多 %(n)d 个字"))
    check_text("prerogative", PREROGATIVE_MAX, N_("请填写特权说明"),
               N_("特权说明最多 %(n)d 个字"))
    if values.get("color") not in dict(CARD_COLORS):
        errors["color"] = OfficialError(N_("请从微信卡券颜色中选择卡面颜色"))
    filled = 0
    for i, (name, tips, url) in enumerate(values.get("links") or []):
        if not (name or tips or url):
            continue
        filled += 1
        if not name or len(name) > LINK_NAME_MAX:
            errors[f"link{i}_name"] = OfficialError(N_("链接名称须为 1-%(n)d 个字"), n=LINK_NAME_MAX)
        if tips and len(tips) > LINK_TIPS_MAX:
            errors[f"link{i}_tips"] = OfficialError(N_("提示语最多 %(n)d 个字"), n=LINK_TIPS_MAX)
        if not url_ok(url, LINK_URL_BYTES):
            errors[f"link{i}_url"] = OfficialError(
                N_("请填写以 http:// 或 https:// 开头的链接（最多 128 个字节）"))
    if filled < CARD_LINKS_MIN or filled > CARD_LINKS_MAX:
        errors["links"] = OfficialError(N_("请填写 2 到 3 个自定义链接"))
    return errors


def card_links(values):
    return [{"name": n, "tips": t, "url": u} for n, t, u in (values.get("links") or [])
            if n or t or u]


def card_payload(values, logo_url, background_url=None):
    """card/create's body for a member card (会员卡) with the merchant's fields."""
    links = card_links(values)
    base_info = {
        "logo_url": logo_url, "brand_name": values["brand_name"], "title": values["title"],
        "color": values["color"], "code_type": "CODE_TYPE_QRCODE",
        "notice": "使用时向服务员出示此卡", "description": values["prerogative"],
        "date_info": {"type": "DATE_TYPE_PERMANENT"}, "sku": {"quantity": 100000000},
        "get_limit": 1, "use_custom_code": False, "can_give_friend": False,
        "custom_url_name": links[0]["name"], "custom_url": links[0]["url"],
        "custom_url_sub_title": links[0]["tips"],
        "promotion_url_name": links[1]["name"], "promotion_url": links[1]["url"],
        "promotion_url_sub_title": links[1]["tips"],
    }
    member_card = {"base_info": base_info, "prerogative": values["prerogative"],
                   "supply_bonus": True, "supply_balance": False, "auto_activate": True}
    if background_url:
        member_card["background_pic_url"] = background_url
    if len(links) > 2:
        member_card["custom_cell1"] = {"name": links[2]["name"], "tips": links[2]["tips"],
                                       "url": links[2]["url"]}
    return {"card": {"card_type": "MEMBER_CARD", "member_card": member_card}}


def member_card(session):
    return session.execute(select(MemberCard)).scalars().first()


def record_card(session, merchant_id, values, logo_url, background_url, card_id, qr):
    card = MemberCard(
        merchant_id=merchant_id, brand_name=values["brand_name"], title=values["title"],
        color=values["color"], logo_url=logo_url, background_url=background_url,
        links=json.dumps(card_links(values), ensure_ascii=False),
        prerogative=values["prerogative"], card_id=card_id)
    set_card_qr(card, qr)
    session.add(card)
    return card


def set_card_qr(card, qr):
    card.qr_ticket = (qr.get("ticket") or "")[:255] or None
    card.qr_url = (qr.get("url") or "")[:512] or None
    card.qr_image_url = (qr.get("show_qrcode_url") or "")[:512] or None


# == demo data ===============================================================================
def seed_demo(merchant, shops):
    """A published menu, template settings with a short send log, a pending request."""
    from app.extensions import db

    session = db.session
    menu = {"button": [
        {"name": "微商城", "type": "view",
         "url": "https://shop.example.com/s/%d" % shops[0].id},
        {"name": "会员", "sub_button": [
            {"type": "view", "name": "会员中心", "url": "https://shop.example.com/member"},
            {"type": "view", "name": "会员绑定", "url": "https://shop.example.com/bind"},
            {"type": "click", "name": "签到领积分", "key": "SIGN_IN"}]},
        {"name": "抽奖", "sub_button": [
            {"type": "view", "name": "大转盘", "url": "https://shop.example.com/wheel"},
            {"type": "view", "name": "刮刮卡", "url": "https://shop.example.com/scratch"}]},
    ]}
    row = OfficialMenu(merchant_id=merchant.id)
    mark_published(row, menu)
    session.add(row)
    ids = {"order_shipped": "Ksb7mSUjhd0mK3cB2Zt9xRw4Qm5dPp1-aV6yLqTnE3U",
           "recharge_success": "n8FqW2kLrZt4Ud9mXcV1bJ7eHs3yPa6-oG5iQwE0Rt8",
           "verification_done": ""}
    for event, template_id in ids.items():
        session.add(TemplateSetting(merchant_id=merchant.id, event=event,
                                    template_id=template_id or None, enabled=bool(template_id)))
    now = china_now()
    for i, (event, status, reason) in enumerate([
            ("order_shipped", "success", None), ("recharge_success", "success", None),
            ("order_shipped", "failed", "用户未关注公众号或已取消关注，无法接收模板消息")]):
        session.add(TemplateMessageLog(
            merchant_id=merchant.id, event=event, openid=f"oDemo{merchant.id}fan{i}",
            template_id=ids[event], status=status, reason=reason,
            payload=json.dumps({"first": {"value": "您好，您的订单已发货"}}, ensure_ascii=False),
            msgid=str(2000000000 + i) if status == "success" else None,
            sent_at=now - timedelta(hours=i + 1), created_at=now - timedelta(hours=i + 1)))
    session.add(BindingRequest(merchant_id=merchant.id, openid=f"oDemo{merchant.id}bind",
                               phone="1860000%04d" % merchant.id, name="陈先生"))
