"""AI 刷脸 coupons: 设置基本信息, 设置优惠券 (tiers backed by real coupon batches), the rules
that pick a tier, the scan itself and 查看发放状态. No Flask here.

A scan runs in two steps so that no external call happens inside a transaction:
1. ``check_can_scan`` (reads only), then the provider analyses the photo;
2. ``record_scan`` in one transaction: the member row is locked and the scan takes the
   member's next participation slot from the draw engine's counter (a conditional UPDATE:
   the limit holds under concurrency on every database), then the rule picks a tier and one coupon is taken from
   the tier's batch by app/services/coupon.py's conditional UPDATE on ``remaining`` plus its
   ``coupon_ledger`` row. A sold-out tier falls to the next tier down (smaller amount), then
   to no coupon. The caller commits, or rolls back on an error.
The photo itself is never written anywhere unless the merchant turned retention on: then it
is stored Fernet-encrypted until it expires (``purge_expired_photos``).
"""
import hashlib
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select

from app.crypto import decrypt_bytes, encrypt_bytes
from app.models.base import china_now
from app.models.face_coupon import (FACE_CAMPAIGN_STATUS, GENDERS, RULE_MODES, FaceCampaign,
                                    FaceCouponTier, FacePhoto, FaceScan, FaceSettings)
from app.models.marketing import CouponBatch, MemberCoupon
from app.services import coupon as coupons
from app.services import lottery
from app.services.catalog import sanitize_description
from app.services.errors import N_
from app.services.face_analysis import FaceError

NAME_MIN, NAME_MAX = 2, 50
RULES_MAX = 10_000
SHARE_TITLE_MAX = 50
PARTICIPATION_MAX = 100
RETENTION_MAX_DAYS = 7
TIER_MAX_AMOUNT = Decimal("100000")
TIER_MAX_QUANTITY = coupons.MAX_QUANTITY
MAX_TIERS = 10


# -- 识别服务设置 ---------------------------------------------------------------------------------
def settings_of(session):
    """The current merchant's face_settings row, or None (the local provider, no retention)."""
    return session.execute(select(FaceSettings)).scalars().first()


def save_settings(session, *, provider, secret_id, secret_key, region, retention_days):
    """识别服务设置: a blank key keeps the stored one; Tencent needs both keys."""
    errors = {}
    if provider not in ("local", "tencent"):
        errors["provider"] = N_("请选择识别服务")
    if retention_days is None or not 0 <= retention_days <= RETENTION_MAX_DAYS:
        errors["retention_days"] = N_("照片保留天数须为 0 到 7 之间的整数")
    region = (region or "").strip() or "ap-guangzhou"
    if len(region) > 32 or not all(c.isalnum() or c == "-" for c in region):
        errors["tencent_region"] = N_("地域格式不正确，例如 ap-guangzhou")
    settings = settings_of(session)
    secret_id, secret_key = (secret_id or "").strip(), (secret_key or "").strip()
    if secret_id and (len(secret_id) > 64 or not secret_id.isalnum()):
        errors["tencent_secret_id"] = N_("SecretId 为 64 位以内的字母和数字")
    if secret_key and (len(secret_key) > 64 or not secret_key.isalnum()):
        errors["tencent_secret_key"] = N_("SecretKey 为 64 位以内的字母和数字")
    if provider == "tencent":
        if not secret_id and not (settings and settings.tencent_secret_id):
            errors.setdefault("tencent_secret_id", N_("使用腾讯云需填写 SecretId"))
        if not secret_key and not (settings and settings.tencent_secret_key):
            errors.setdefault("tencent_secret_key", N_("使用腾讯云需填写 SecretKey"))
    if provider == "local" and session.execute(select(FaceCampaign.id).where(
            FaceCampaign.rule_mode == "beauty", FaceCampaign.status == "active")).first():
        errors["provider"] = N_("有进行中的活动按颜值发券，本地识别不测颜值：请先把这些活动改为按年龄和性别发券或暂停")
    if errors:
        return None, errors
    if settings is None:
        settings = FaceSettings()
        session.add(settings)
    settings.provider = provider
    settings.tencent_region = region
    settings.retention_days = retention_days
    if secret_id:
        settings.tencent_secret_id = secret_id
    if secret_key:
        settings.tencent_secret_key = secret_key
    session.flush()
    return settings, {}


# -- 设置基本信息 ---------------------------------------------------------------------------------
def clean_rules(html):
    return (sanitize_description(html or "") or "").strip()


def check_campaign(values, measures_beauty):
    """Field errors ({field: Chinese message}) for 设置基本信息."""
    errors = {}
    name = (values.get("name") or "").strip()
    if not NAME_MIN <= len(name) <= NAME_MAX:
        errors["name"] = N_("活动名称请输入 2-50 个字符")
    if values.get("shop") is None:
        errors["shop_id"] = N_("请选择优惠券使用的商城")
    if len(values.get("rules") or "") > RULES_MAX:
        errors["rules"] = N_("活动规则不能超过 10000 个字符")
    if len((values.get("share_title") or "").strip()) > SHARE_TITLE_MAX:
        errors["share_title"] = N_("分享标题不能超过 50 个字符")
    if values.get("status") not in dict(FACE_CAMPAIGN_STATUS):
        errors["status"] = N_("请选择状态")
    limit = values.get("participation_limit")
    if limit is None or isinstance(limit, bool) or not 1 <= limit <= PARTICIPATION_MAX:
        errors["participation_limit"] = N_("每人参与次数须为 1 到 100 之间的整数")
    mode = values.get("rule_mode")
    if mode not in dict(RULE_MODES):
        errors["rule_mode"] = N_("请选择发券规则")
    elif mode == "beauty" and not measures_beauty:
        errors["rule_mode"] = N_("本地识别不测颜值：请选择按年龄和性别发券，或在识别服务设置中改用腾讯云")
    return errors


def save_campaign(session, values, measures_beauty, campaign=None):
    """Create or edit a campaign's basic information; returns (campaign, errors)."""
    errors = check_campaign(values, measures_beauty)
    if errors:
        return None, errors
    if campaign is not None and campaign.shop_id != values["shop"].id:
        # 指定商城 changed: the tier batches follow while none of their coupons was given
        # out; a coupon already given keeps its shop, so then the change is refused.
        try:
            coupons.rescope_untouched(session, [t.batch_id for t in campaign.tiers],
                                      values["shop"].id)
        except coupons.CouponError as exc:
            return None, {"shop_id": exc.args[0]}
    if campaign is None:
        campaign = FaceCampaign()
        session.add(campaign)
    campaign.name = values["name"].strip()
    campaign.shop_id = values["shop"].id
    campaign.rules = clean_rules(values.get("rules"))
    campaign.share_title = (values.get("share_title") or "").strip() or None
    if values.get("share_image"):
        campaign.share_image = values["share_image"]
    campaign.status = values["status"]
    campaign.participation_limit = values["participation_limit"]
    campaign.rule_mode = values["rule_mode"]
    session.flush()
    return campaign, {}


# -- 设置优惠券 -----------------------------------------------------------------------------------
def _bounded(values, name, low, high, errors, message):
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[name] = message
    return value


def check_band(values):
    """Field errors of a tier's band: 颜值 0-100, age 0-120, gender; min <= max."""
    errors = {}
    bmin = _bounded(values, "beauty_min", 0, 100, errors, N_("颜值须为 0 到 100 之间的整数"))
    bmax = _bounded(values, "beauty_max", 0, 100, errors, N_("颜值须为 0 到 100 之间的整数"))
    if "beauty_max" not in errors and bmin is not None and bmax is not None and bmin > bmax:
        errors["beauty_max"] = N_("颜值上限不能小于下限")
    amin = _bounded(values, "age_min", 0, 120, errors, N_("年龄须为 0 到 120 之间的整数"))
    amax = _bounded(values, "age_max", 0, 120, errors, N_("年龄须为 0 到 120 之间的整数"))
    if "age_max" not in errors and amin is not None and amax is not None and amin > amax:
        errors["age_max"] = N_("年龄上限不能小于下限")
    if values.get("gender", "any") not in dict(GENDERS):
        errors["gender"] = N_("请选择性别")
    return errors


def check_tier(values, now):
    """Field errors of a new tier: 优惠券金额, 优惠券数量, 有效期 and its band."""
    errors = {}
    amount = values.get("amount")
    if amount is None or not Decimal("0") < amount <= TIER_MAX_AMOUNT:
        errors["amount"] = N_("优惠券金额须大于 0 且不超过 100000 元")
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = N_("金额最多两位小数")
    quantity = values.get("quantity")
    if quantity is None or isinstance(quantity, bool) or not 1 <= quantity <= TIER_MAX_QUANTITY:
        errors["quantity"] = N_("优惠券数量须为 1 到 100000 之间的整数")
    start, end = values.get("valid_from"), values.get("valid_to")
    if start is None:
        errors["valid_from"] = N_("请选择有效期开始时间")
    if end is None:
        errors["valid_to"] = N_("请选择有效期结束时间")
    elif start is not None and end <= start:
        errors["valid_to"] = N_("结束时间须晚于开始时间")
    elif end <= now:
        errors["valid_to"] = N_("结束时间须晚于现在")
    errors.update(check_band(values))
    return errors


def _band(tier, values):
    for name in ("beauty_min", "beauty_max", "age_min", "age_max"):
        setattr(tier, name, values.get(name))
    tier.gender = values.get("gender") or "any"


def add_tier(session, campaign, values, now=None):
    """"+" 一档优惠券: a real 普通券 batch (no threshold, valid in the chosen window, 适用商城
    = the campaign's shop) is created and published through the coupon module, and the
    tier points at it."""
    now = now or china_now()
    errors = check_tier(values, now)
    if errors:
        field, message = next(iter(errors.items()))
        raise FaceError(message, code="invalid_tier", field=field)
    if len(campaign.tiers) >= MAX_TIERS:
        raise FaceError(N_("每个活动最多设置 10 档优惠券"), code="too_many_tiers")
    amount = values["amount"]
    batch = coupons.save_batch(session, {
        "name": f"{campaign.name[:18]}·{amount.normalize():f}元券", "kind": "normal",
        "discount_type": "cash", "value": amount, "threshold": Decimal("0"),
        "code_prefix": "FACE", "quantity": values["quantity"], "validity_type": "range",
        "valid_from": values["valid_from"], "valid_to": values["valid_to"], "scope": "all",
        "per_member_limit": 0, "gift_kind": "none", "shop_id": campaign.shop_id})
    coupons.publish(session, batch, now=now)
    tier = FaceCouponTier(campaign_id=campaign.id, batch_id=batch.id, amount=amount,
                          quantity=values["quantity"], valid_from=values["valid_from"],
                          valid_to=values["valid_to"])
    _band(tier, values)
    session.add(tier)
    session.flush()
    session.refresh(campaign)
    return tier


def update_band(session, tier, values):
    """A tier's amount, quantity and validity are its published batch's; only the band
    that selects it can change."""
    errors = check_band(values)
    if errors:
        field, message = next(iter(errors.items()))
        raise FaceError(message, code="invalid_tier", field=field)
    _band(tier, values)
    session.flush()
    return tier


# -- the rules ----------------------------------------------------------------------------------
def _within(value, low, high):
    return (low is None or value >= low) and (high is None or value <= high)


def matches(tier, analysis, rule_mode):
    """Whether the analysis falls in the tier's band (empty bounds are open)."""
    if rule_mode == "beauty":
        return analysis.beauty is not None and _within(analysis.beauty, tier.beauty_min,
                                                       tier.beauty_max)
    return (tier.gender in ("any", analysis.gender)
            and _within(analysis.age, tier.age_min, tier.age_max))


def candidates(tiers, analysis, rule_mode):
    """The tiers to try, in order: the first (largest) tier whose band matches, then every
    tier below it by amount (when a tier is sold out, the next tier down is used)."""
    ordered = sorted(tiers, key=lambda t: (-t.amount, t.id))
    for index, tier in enumerate(ordered):
        if matches(tier, analysis, rule_mode):
            return ordered[index:]
    return []


# -- the scan -----------------------------------------------------------------------------------
def counted_scans(session, campaign, member):
    return session.execute(select(func.count()).select_from(FaceScan).where(
        FaceScan.campaign_id == campaign.id, FaceScan.member_id == member.id,
        FaceScan.slot.isnot(None))).scalar()


def chances_left(session, campaign, member):
    return max(campaign.participation_limit - counted_scans(session, campaign, member), 0)


def _limit_error(campaign):
    return FaceError(N_("每人最多参与 %(n)s 次，您的次数已用完"), code="limit", status=409,
                     n=campaign.participation_limit)


def check_can_scan(session, campaign, member, measures_beauty):
    """Refuse before the photo is analysed: a paused campaign, no tiers, a 颜值 rule the
    provider cannot serve, or a member out of chances."""
    if campaign.status != "active":
        raise FaceError(N_("活动已暂停"), code="paused", status=410)
    if not campaign.tiers:
        raise FaceError(N_("活动尚未设置优惠券"), code="no_tiers", status=410)
    if campaign.rule_mode == "beauty" and not measures_beauty:
        raise FaceError(N_("当前识别服务不测颜值，活动暂不可用"), code="no_beauty", status=503)
    if chances_left(session, campaign, member) < 1:
        raise _limit_error(campaign)


def photo_sha256(photo):
    return hashlib.sha256(photo).hexdigest()


def _lock_member(session, member):
    from app.models.member import Member

    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())


def record_failure(session, *, campaign, member, provider, photo, error):
    """A photo with no face or more than one: kept in the records, not counted."""
    result = "multi_face" if error.code == "multi_face" else "no_face"
    scan = FaceScan(merchant_id=campaign.merchant_id, campaign_id=campaign.id,
                    member_id=member.id, slot=None, result=result, provider=provider,
                    image_sha256=photo_sha256(photo))
    session.add(scan)
    session.flush()
    return scan


def record_scan(session, *, campaign, member, analysis, photo, content_type,
                retention_days=0, now=None):
    """The scan's outcome in one transaction (see the module docstring): returns the
    FaceScan with ``result`` rewarded / sold_out / no_match. Raises FaceError "limit"."""
    now = now or china_now()
    _lock_member(session, member)
    # The participation counter is the draw engine's (one conditional UPDATE, used < limit):
    # under any isolation level a parallel scan of the same member cannot pass the limit,
    # and a refusal leaves the session usable (the counter runs in a savepoint).
    try:
        with session.begin_nested():
            lottery.take_chance(session, campaign.merchant_id, "face", campaign.id, member.id,
                                "total", campaign.participation_limit, N_("次数已用完"))
    except lottery.LotteryError:
        raise _limit_error(campaign) from None
    used = lottery.chances_used(session, member, "face", campaign.id, "total")
    scan = FaceScan(merchant_id=campaign.merchant_id, campaign_id=campaign.id,
                    member_id=member.id, slot=used, result="no_match",
                    provider=analysis.provider, beauty=analysis.beauty,
                    gender=analysis.gender, age=analysis.age,
                    image_sha256=photo_sha256(photo), created_at=now)
    session.add(scan)
    session.flush()
    tiers = candidates(campaign.tiers, analysis, campaign.rule_mode)
    if tiers:
        scan.result = "sold_out"
    for tier in tiers:
        batch = session.get(CouponBatch, tier.batch_id)
        try:
            given = coupons.grant_plugin_coupon(session, batch, member, "face",
                                                f"face:{scan.id}", ref=f"face_scan:{scan.id}",
                                                now=now)
        except coupons.CouponError:
            continue
        scan.result, scan.tier_id, scan.amount = "rewarded", tier.id, tier.amount
        scan.member_coupon_id, scan.coupon_code = given.id, given.code
        break
    if retention_days and 0 < retention_days <= RETENTION_MAX_DAYS:
        scan.photo_expires_at = now + timedelta(days=retention_days)
        session.add(FacePhoto(merchant_id=campaign.merchant_id, scan_id=scan.id,
                              content_type=content_type, data=encrypt_bytes(photo),
                              expires_at=scan.photo_expires_at, created_at=now))
    session.flush()
    return scan


def retained_photo(session, scan, now=None):
    """(bytes, content type) of a scan's retained photo that has not expired, or None."""
    now = now or china_now()
    row = session.execute(select(FacePhoto).where(FacePhoto.scan_id == scan.id,
                                                  FacePhoto.expires_at > now)).scalar()
    if row is None:
        return None
    return decrypt_bytes(row.data), row.content_type


def purge_expired_photos(session, now=None):
    """Delete every retained photo past its expiry (all merchants: run in platform scope
    by `flask md face-purge`); returns how many. The caller commits."""
    now = now or china_now()
    result = session.execute(delete(FacePhoto).where(FacePhoto.expires_at <= now))
    return result.rowcount or 0


# -- 查看发放状态 ---------------------------------------------------------------------------------
def issuing_status(session, campaign):
    """Scans by result, members, and per tier: quantity, given, remaining (the batch's)."""
    by_result = dict(session.execute(select(FaceScan.result, func.count()).where(
        FaceScan.campaign_id == campaign.id).group_by(FaceScan.result)).all())
    members = session.execute(select(func.count(func.distinct(FaceScan.member_id))).where(
        FaceScan.campaign_id == campaign.id)).scalar()
    given = dict(session.execute(select(FaceScan.tier_id, func.count()).where(
        FaceScan.campaign_id == campaign.id, FaceScan.result == "rewarded")
        .group_by(FaceScan.tier_id)).all())
    used = dict(session.execute(select(FaceScan.tier_id, func.count()).join(
        MemberCoupon, MemberCoupon.id == FaceScan.member_coupon_id).where(
        FaceScan.campaign_id == campaign.id, MemberCoupon.status == "used")
        .group_by(FaceScan.tier_id)).all())
    tiers = []
    for tier in sorted(campaign.tiers, key=lambda t: (-t.amount, t.id)):
        batch = session.get(CouponBatch, tier.batch_id)
        tiers.append({"tier": tier, "batch": batch, "quantity": batch.quantity,
                      "given": given.get(tier.id, 0), "used": used.get(tier.id, 0),
                      "remaining": batch.remaining})
    return {"scans": sum(by_result.values()), "by_result": by_result, "members": members,
            "given": sum(given.values()), "tiers": tiers}
