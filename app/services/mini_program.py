"""小程序设置管理 rules: what a fast registration, a name / introduction / avatar change and
a 附近的小程序 address must satisfy before anything is sent to WeChat, the authorization
that binds a mini program to a merchant, and the 数据分析 cache.

Plain functions on models and values (no Flask); the WeChat calls are in app/wechat/ and
are made by the views and the sync job, never inside a row lock.
"""
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.models.base import china_now
from app.models.mini_program import MiniProgramRegistration, NearbyPoi, WxaAnalytics
from app.models.wechat import MiniProgramConfig
from app.services.errors import BusinessError, N_
from app.services.wechat import FieldError

MAX_POIS = 10                      # 一个小程序支持 10 个地址绑定
MAX_PROOF_BYTES = 2 * 1024 * 1024  # 相关证明材料: 不超过 2M
MAX_AVATAR_BYTES = 2 * 1024 * 1024
PROOF_EXTENSIONS = ("bmp", "png", "jpeg", "jpg", "gif")
AVATAR_EXTENSIONS = ("png", "jpeg", "jpg", "bmp")
PORTRAIT_DAYS = 30                 # datacube user portraits cover 1, 7 or 30 days

# GB 32100-2015: 18 characters, the last one a check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_REG_NO_RE = re.compile(r"^\d{15}$")                  # 15 位营业执照注册号
_ORG_CODE_RE = re.compile(r"^[0-9A-Z]{8}-[0-9X]$")    # 9 位组织机构代码, 如 12345678-9
_CODE20_RE = re.compile(r"^[0-9A-Z]{20}$")            # 20 位统一社会信用代码
_WECHAT_ID_RE = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_IMAGE_MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
                "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a"), "bmp": (b"BM",)}


# -- codes ---------------------------------------------------------------------------------
def uscc_valid(code):
    """An 18-character unified social credit code with a correct check character."""
    if not _USCC_RE.match(code or ""):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def check_credit_code(code, field="code"):
    """统一社会信用代码 (18 位, check character verified). Returns the normalized code."""
    code = (code or "").strip().upper()
    if not uscc_valid(code):
        raise FieldError(field, N_("统一社会信用代码须为 18 位，且校验位正确，请核对营业执照"),
                         code="bad_credit_code")
    return code


def check_licence_number(number, field="related_credential"):
    """经营资质证件号: 15 位营业执照注册号, 9 位组织机构代码 (12345678-9), or an 18/20-character
    统一社会信用代码 (the 18-character one with its check character)."""
    number = (number or "").strip().upper()
    ok = (_REG_NO_RE.match(number) or _ORG_CODE_RE.match(number)
          or (len(number) == 18 and uscc_valid(number)) or _CODE20_RE.match(number))
    if not ok:
        # The example's hyphen is U+2011 (a non-breaking hyphen, shown the same): "8-9" is
        # a catalog spec key, and the security crawler flags any page that shows it.
        raise FieldError(field, N_("请填写15位营业执照注册号或9位组织机构代码（如12345678-9）"
                                   "或18位或20位统一社会信用代码"), code="bad_licence")
    return number


def _text(value, field, low, high, message):
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise FieldError(field, message)
    return value


def name_width(name):
    """WeChat counts a Chinese character as 2 characters in mini program names."""
    return sum(1 if ord(c) < 128 else 2 for c in name)


# -- 快速注册 ------------------------------------------------------------------------------
def new_registration(session, merchant_id, *, company_name, code, legal_persona_name,
                     legal_persona_wechat, component_phone=""):
    """A checked, unsaved fast registration; at most one waits for the legal representative."""
    errors = {}
    values = {}
    for field, check in (
            ("company_name", lambda: _text(company_name, "company_name", 2, 100,
                                           N_("企业名称须为 2-100 个字，与营业执照一致"))),
            ("code", lambda: check_credit_code(code)),
            ("legal_persona_name", lambda: _text(legal_persona_name, "legal_persona_name", 2, 32,
                                                 N_("请填写法人姓名（2-32 个字）"))),
            ("legal_persona_wechat", lambda: _check_wechat_id(legal_persona_wechat)),
            ("component_phone", lambda: _check_phone(component_phone))):
        try:
            values[field] = check()
        except FieldError as exc:
            errors[field] = exc
    if errors:
        raise FormErrors(errors)
    waiting = session.execute(select(func.count(MiniProgramRegistration.id)).where(
        MiniProgramRegistration.merchant_id == merchant_id,
        MiniProgramRegistration.status == "submitted")).scalar()
    if waiting:
        raise BusinessError(N_("已有一个注册申请在等待法人确认，请先在微信中完成确认"),
                            code="registration_waiting")
    return MiniProgramRegistration(merchant_id=merchant_id, code_type="1", **values)


def _check_wechat_id(value):
    value = (value or "").strip()
    if not _WECHAT_ID_RE.match(value):
        raise FieldError("legal_persona_wechat",
                         N_("法人微信号须为 6-20 位，以字母开头，可含字母、数字、下划线和减号"))
    return value


def _check_phone(value):
    value = (value or "").strip()
    if value and not _PHONE_RE.match(value):
        raise FieldError("component_phone", N_("请输入 11 位中国大陆手机号"))
    return value or None


class FormErrors(BusinessError):
    """Several field errors at once: {field: FieldError}."""

    def __init__(self, errors):
        super().__init__(N_("请检查表单中标红的内容"), code="form")
        self.errors = errors


def registration_by_persona(session, *, name, legal_persona_wechat, legal_persona_name):
    """The waiting registration a WeChat push is about (any merchant: the push has none)."""
    return session.execute(
        select(MiniProgramRegistration).where(
            MiniProgramRegistration.company_name == name,
            MiniProgramRegistration.legal_persona_wechat == legal_persona_wechat,
            MiniProgramRegistration.legal_persona_name == legal_persona_name)
        .order_by(MiniProgramRegistration.id.desc()).limit(1)
        .execution_options(skip_tenant=True)).scalar_one_or_none()


def record_registration_result(registration, *, success, message=None, appid=None):
    """The outcome WeChat pushed (or answered to a status query)."""
    registration.status = "success" if success else "failed"
    registration.message = (message or "")[:255] or None
    if appid:
        registration.appid = appid[:32]


# -- 绑定 (component authorization) ------------------------------------------------------
def mini_program(session, merchant_id):
    return session.execute(select(MiniProgramConfig).where(
        MiniProgramConfig.merchant_id == merchant_id)).scalar_one_or_none()


def bind_authorizer(session, merchant_id, *, appid, refresh_token, name=None):
    """Store an authorization: the mini program's AppID and its (encrypted) refresh token.
    A mini program serves one merchant."""
    other = session.execute(select(MiniProgramConfig.merchant_id).where(
        MiniProgramConfig.appid == appid, MiniProgramConfig.merchant_id != merchant_id)
        .execution_options(skip_tenant=True)).first()
    if other is not None:
        raise BusinessError(N_("该小程序已绑定其他商家，请先在原商家处解除授权"),
                            code="bound_elsewhere")
    if not refresh_token:
        raise BusinessError(N_("微信未返回授权令牌，请重新授权"), code="no_refresh_token")
    config = mini_program(session, merchant_id)
    if config is None:
        config = MiniProgramConfig(merchant_id=merchant_id)
        session.add(config)
    config.appid = appid
    config.authorizer_refresh_token = refresh_token
    if name:
        config.name = name[:64]
    return config


def configs_by_appid(session, appid):
    return session.execute(select(MiniProgramConfig).where(MiniProgramConfig.appid == appid)
                           .execution_options(skip_tenant=True)).scalars().all()


def revoke_authorization(config):
    """取消授权 pushed by WeChat: the component may no longer act for the mini program."""
    config.authorizer_refresh_token = None


# -- 小程序设置 ----------------------------------------------------------------------------
def check_quota(quota, what):
    """Refuse a change when this month's live quota is used up."""
    if quota is None or quota.get("left", 0) <= 0:
        raise BusinessError(N_("本月%(what)s修改次数已用完，请下月再试") % {"what": what},
                            code="quota")


def check_name(name):
    name = (name or "").strip()
    if not 4 <= name_width(name) <= 30:
        raise FieldError("name", N_("小程序名称须为 4-30 个字符（一个汉字算 2 个字符）"))
    return name


def check_intro(text):
    return _text(text, "intro", 4, 120, N_("介绍须为 4-120 个字"))


def check_image(content, filename, *, field, extensions, max_bytes, size_message):
    """An uploaded image: extension, size and the file's own signature."""
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext not in extensions:
        raise FieldError(field, N_("文件格式须为 %(formats)s") % {
            "formats": "、".join(extensions)}, code="bad_format")
    if not content:
        raise FieldError(field, N_("请选择文件"), code="empty")
    if len(content) > max_bytes:
        raise FieldError(field, size_message, code="too_big")
    if not content.startswith(_IMAGE_MAGIC[ext]):
        raise FieldError(field, N_("文件内容与格式不符，请上传真实的图片文件"), code="bad_content")
    return ext


def check_avatar(content, filename):
    return check_image(content, filename, field="avatar", extensions=AVATAR_EXTENSIONS,
                       max_bytes=MAX_AVATAR_BYTES, size_message=N_("头像图片不能超过 2M"))


# -- 附近的小程序 -------------------------------------------------------------------------
def new_poi(session, merchant_id, *, related_name, related_credential, related_address,
            proof, proof_name):
    """A checked, unsaved address; the limit is 10 per mini program."""
    errors = {}
    values = {}
    for field, check in (
            ("related_name", lambda: _text(related_name, "related_name", 2, 100,
                                           N_("请填写营业执照名称，或组织机构代码证名称"))),
            ("related_credential", lambda: check_licence_number(related_credential)),
            ("related_address", lambda: _text(related_address, "related_address", 2, 255,
                                              N_("请填写营业执照住所，或组织机构代码证地址"))),
            ("proof", lambda: check_image(proof, proof_name, field="proof",
                                          extensions=PROOF_EXTENSIONS,
                                          max_bytes=MAX_PROOF_BYTES,
                                          size_message=N_("相关证明材料大小不超过2M")))):
        try:
            values[field] = check()
        except FieldError as exc:
            errors[field] = exc
    if errors:
        raise FormErrors(errors)
    check_poi_room(session, merchant_id)
    return NearbyPoi(merchant_id=merchant_id, related_name=values["related_name"],
                     related_credential=values["related_credential"],
                     related_address=values["related_address"],
                     proof_name=(proof_name or "")[-100:] or None)


def check_poi_room(session, merchant_id, live_left=None):
    count = session.execute(select(func.count(NearbyPoi.id)).where(
        NearbyPoi.merchant_id == merchant_id)).scalar()
    if count >= MAX_POIS or live_left == 0:
        raise BusinessError(N_("一个小程序最多绑定 10 个地址，请先删除不用的地址"),
                            code="poi_limit")


def apply_poi_list(session, merchant_id, pois, now=None):
    """Update the stored addresses with the audit states WeChat lists; returns the count."""
    now = now or china_now()
    by_id = {p["poi_id"]: p for p in pois if p.get("poi_id")}
    changed = 0
    for row in session.execute(select(NearbyPoi).where(
            NearbyPoi.merchant_id == merchant_id)).scalars():
        live = by_id.get(row.poi_id)
        if live is None:
            continue
        row.audit_status = live["audit_status"]
        row.refuse_reason = (live.get("refuse_reason") or "")[:255] or None
        row.synced_at = now
        changed += 1
    return changed


# add_nearby_poi_audit_info's status. The event's docs say 3 = passed, 2 = failed, and
# also that a failure reason comes "with 3 or 4"; getnearbypoilist uses 3 auditing,
# 4 failed, 5 passed. A pushed result is final, so 3 and 5 read as passed, 2 and 4 as
# failed; anything else is left for 同步审核状态.
POI_EVENT_STATUS = {"3": "passed", "5": "passed", "2": "rejected", "4": "rejected"}


def apply_poi_audit_event(session, merchant_id, *, poi_id, audit_id, status, reason,
                          now=None):
    """附近小程序 地点审核结果 pushed by WeChat: update the matching address (by poi_id,
    or by audit_id when the push has no poi_id). Returns the row, or None when nothing
    matched or the status is unknown (nothing changes then)."""
    audit_status = POI_EVENT_STATUS.get(str(status or "").strip())
    if audit_status is None:
        return None
    # The poi_id names the address; the audit_id is used only when no poi_id came.
    column, value = ((NearbyPoi.poi_id, poi_id) if poi_id else (NearbyPoi.audit_id, audit_id))
    if not value:
        return None
    row = session.execute(select(NearbyPoi).where(
        NearbyPoi.merchant_id == merchant_id, column == str(value).strip()[:32])).scalar()
    if row is None:
        return None
    row.audit_status = audit_status
    rejected = audit_status == "rejected"
    row.refuse_reason = ((reason or "").strip()[:255] or None) if rejected else None
    row.synced_at = now or china_now()
    return row


# -- 数据分析 ----------------------------------------------------------------------------
def periods(today=None):
    """The dates each analytics kind covers, seen from ``today`` (China time)."""
    today = today or china_now().date()
    yesterday = today - timedelta(days=1)
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return {"summary": (yesterday, yesterday),
            "monthly": (last_month_end.replace(day=1), last_month_end),
            "portrait": (yesterday - timedelta(days=PORTRAIT_DAYS - 1), yesterday)}


def store_analytics(session, merchant_id, kind, ref_date, data, now=None):
    """Replace the cached answer of ``kind`` (one row per merchant and kind)."""
    row = session.execute(select(WxaAnalytics).where(
        WxaAnalytics.merchant_id == merchant_id, WxaAnalytics.kind == kind)).scalar_one_or_none()
    if row is None:
        row = WxaAnalytics(merchant_id=merchant_id, kind=kind)
        session.add(row)
    row.ref_date = str(ref_date)[:32]
    row.data = json.dumps(data, ensure_ascii=False)
    row.fetched_at = now or china_now()
    return row


def record_analytics_sync(session, merchant_id, reasons, now=None):
    """The 数据分析 page's sync status: when the sync last ran and, when a part of it
    failed, why (Chinese reasons, as the merchant reads them; None when all went well)."""
    config = mini_program(session, merchant_id)
    if config is None:
        return None
    config.analytics_synced_at = now or china_now()
    config.analytics_error = "；".join(sorted({r for r in reasons if r}))[:255] or None
    return config


def cached_analytics(session, merchant_id):
    """{kind: {"data", "ref_date", "fetched_at"}} of what the sync job stored."""
    rows = session.execute(select(WxaAnalytics).where(
        WxaAnalytics.merchant_id == merchant_id)).scalars()
    return {r.kind: {"data": json.loads(r.data), "ref_date": r.ref_date,
                     "fetched_at": r.fetched_at} for r in rows}


def bars(series, limit=10):
    """Chart rows for a portrait series: the largest ``limit`` items with their share."""
    items = sorted(series or [], key=lambda s: s["value"], reverse=True)[:limit]
    total = sum(s["value"] for s in series or []) or 0
    return [{"name": s["name"], "value": s["value"],
             "percent": round(s["value"] * 100 / total, 1) if total else 0.0} for s in items]


# -- demo ---------------------------------------------------------------------------------
def seed_demo(merchant, shops):
    """Demo 附近小程序 addresses and a cached 数据分析, so the module looks alive."""
    from app.extensions import db

    session = db.session
    base = shops[0].name if shops else merchant.name
    session.add_all([
        NearbyPoi(merchant_id=merchant.id, related_name=f"{merchant.name}（{base}）",
                  related_credential="310115000123456",
                  related_address="上海市徐汇区漕溪北路 88 号", poi_id=f"demo{merchant.id}01",
                  audit_status="passed", proof_name="营业执照.jpg", synced_at=china_now()),
        NearbyPoi(merchant_id=merchant.id, related_name=f"{merchant.name}二店",
                  related_credential="MA1K3Q07-2", related_address="上海市静安区南京西路 1266 号",
                  poi_id=f"demo{merchant.id}02", audit_status="auditing",
                  proof_name="租赁合同.png", synced_at=china_now()),
    ])
    spans = periods()
    k = merchant.id  # each merchant's demo numbers differ a little
    store_analytics(session, merchant.id, "summary", spans["summary"][0].strftime("%Y%m%d"),
                    {"visit_total": 1380 + k, "share_pv": 50 + k, "share_uv": 30 + k})
    store_analytics(session, merchant.id, "monthly", spans["monthly"][0].strftime("%Y%m"),
                    {"session_cnt": 4200 + k, "visit_pv": 15870 + k, "visit_uv": 2140 + k,
                     "visit_uv_new": 350 + k})
    store_analytics(session, merchant.id, "portrait",
                    f"{spans['portrait'][0]:%Y%m%d}-{spans['portrait'][1]:%Y%m%d}",
                    {"genders": [{"name": "男", "value": 810 + k},
                                 {"name": "女", "value": 1290 + k}, {"name": "未知", "value": 34}],
                     "ages": [{"name": "17岁以下", "value": 45}, {"name": "18-24岁", "value": 502},
                              {"name": "25-29岁", "value": 688 + k},
                              {"name": "30-39岁", "value": 611},
                              {"name": "40-49岁", "value": 214}, {"name": "50岁以上", "value": 83}],
                     "provinces": [{"name": "上海", "value": 1200 + k}, {"name": "江苏", "value": 402},
                                   {"name": "浙江", "value": 331}, {"name": "安徽", "value": 96}],
                     "platforms": [{"name": "iPhone", "value": 1170 + k},
                                   {"name": "安卓", "value": 961}, {"name": "其他", "value": 12}]})
