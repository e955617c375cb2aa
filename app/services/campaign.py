"""营销活动: add, edit and end campaigns (满减/满折/满免邮/满赠券), and the campaigns a member
gets at a given time (used by ``coupon.quote``).

Exclusivity (同件商品不能参与多个有效的营销活动，满免邮除外), for campaigns whose time windows
overlap and that are not ended:
- a product named by one campaign cannot be named by another;
- two 全场 campaigns that both take money off (满减, 满折) cannot run at once, nor two 全场
  满赠券. A campaign naming products beside a 全场 one is allowed: pricing gives its products
  to the named campaign only (see app/services/pricing.py and the guide's worked example).
The refusal names the clashing campaign.
"""
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.models.base import china_now
from app.models.marketing import Campaign, CampaignTier, CouponBatch
from app.services.errors import N_
from app.services.member import LoyaltyError
from app.services.pricing import CampaignRule

MAX_TIERS = 5
GROUPS = {"full_reduction": "money_off", "full_discount": "money_off",
          "gift_coupon": "gift", "free_shipping": None}


class CampaignError(LoyaltyError):
    """A refused campaign change: a Chinese message and the form field it belongs to."""


def check_tiers(kind, tiers, per_threshold=False, by_count=False):
    """Tier errors as one Chinese message, or None. ``tiers``: [(threshold, value,
    gift_batch)] with value = yuan off (满减) or the rate paid (满折, 0.9 = 9折)."""
    if kind == "free_shipping":
        if len(tiers) > 1:
            return N_("满免邮只能设置一个金额")
        if tiers and (tiers[0][0] is None or tiers[0][0] < 0):
            return N_("免邮金额须为 0 或正数，不填则不限金额")
        return None
    if not tiers:
        return N_("请至少设置一层优惠")
    if len(tiers) > MAX_TIERS:
        return N_("最多设置 5 层优惠")
    if per_threshold and len(tiers) != 1:
        return N_("每满减只能设置一层优惠")
    previous = None
    for threshold, value, gift in tiers:
        if threshold is None or threshold <= 0:
            return N_("门槛须大于 0")
        if by_count and threshold != threshold.to_integral_value():
            return N_("按件数计算时门槛须为整数")
        if threshold != threshold.quantize(Decimal("0.01")):
            return N_("门槛最多两位小数")
        if previous is not None and threshold <= previous:
            return N_("各层门槛须逐层递增")
        previous = threshold
        if kind == "full_reduction":
            if value is None or value <= 0 or value != value.quantize(Decimal("0.01")):
                return N_("优惠金额须大于 0，最多两位小数")
            if value > threshold:
                return N_("优惠金额不能大于门槛")
        elif kind == "full_discount":
            if value is None or not Decimal("0.01") <= value <= Decimal("0.99"):
                return N_("折扣须在 0.1 折到 9.9 折之间")
        elif kind == "gift_coupon":
            if gift is None:
                return N_("请选择赠送的优惠券")
            if gift.kind != "normal":
                return N_("复用券不能用于满赠券")
            if gift.status != "published":
                return N_("赠送的优惠券须为已发布的普通券")
    return None


MAX_EXCLUDED_TEXT = 255
# 满免邮's 参加活动的配送方式 by default: the methods that carry freight (到店自提 has none).
DEFAULT_DELIVERY_METHODS = ("courier", "merchant_delivery")


def delivery_codes():
    from app.models.order import DELIVERY_METHODS

    return [code for code, _text in DELIVERY_METHODS]


def delivery_methods(values):
    """The 参加活动的配送方式 of a 满免邮 form, in DELIVERY_METHODS order: (codes, None) or
    ([], Chinese error). ``values["delivery_methods"]`` missing means the default."""
    chosen = values.get("delivery_methods")
    if chosen is None:
        chosen = DEFAULT_DELIVERY_METHODS
    if isinstance(chosen, str):
        chosen = chosen.split(",")
    chosen = {str(c).strip() for c in chosen} - {""}
    known = delivery_codes()
    if chosen - set(known):
        return [], N_("请选择正确的配送方式")
    if not chosen:
        return [], N_("请至少选择一种参加活动的配送方式")
    return [code for code in known if code in chosen], None


def excluded_provinces(text):
    """不参与地区 of a 满免邮 as the form gives it ("新疆、西藏维吾尔..."), checked against the
    province list: (short names in the list's order, None) or ([], Chinese error)."""
    from app.models.logistics import PROVINCES
    from app.services.logistics import split_provinces

    names, unknown = set(), []
    for name in split_provinces(text):
        match = next((p for p in PROVINCES if name.startswith(p)), None)
        if match is None:
            unknown.append(name)
        else:
            names.add(match)
    if unknown:
        return [], N_("无法识别的省份：%(names)s（请填写省份简称，如 新疆、内蒙古）") % {
            "names": "、".join(unknown[:10])}
    return [p for p in PROVINCES if p in names], None


def check_campaign(values, tiers, products=(), levels=(), members=()):
    """Field errors for a campaign form ({field: Chinese message})."""
    errors = {}
    excluded_text = (values.get("excluded_provinces") or "").strip()
    if excluded_text:
        if values.get("kind") != "free_shipping":
            errors["excluded_provinces"] = N_("只有满免邮活动可以设置不参与地区")
        elif len(excluded_text) > MAX_EXCLUDED_TEXT:
            errors["excluded_provinces"] = N_("不参与地区最多 255 个字")
        else:
            _names, problem = excluded_provinces(excluded_text)
            if problem:
                errors["excluded_provinces"] = problem
    if values.get("kind") == "free_shipping":
        _codes, problem = delivery_methods(values)
        if problem:
            errors["delivery_methods"] = problem
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = N_("请填写活动名称")
    elif len(name) > 40:
        errors["name"] = N_("活动名称最多 40 个字")
    kind = values.get("kind")
    if kind not in GROUPS:
        errors["kind"] = N_("请选择活动类型")
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts is None:
        errors["starts_at"] = N_("请选择开始时间")
    elif ends is not None and ends <= starts:
        errors["ends_at"] = N_("结束时间须晚于开始时间")
    if values.get("product_scope") == "products" and not products:
        errors["products"] = N_("请选择参与活动的商品")
    scope = values.get("customer_scope")
    if scope == "levels" and not levels:
        errors["levels"] = N_("请选择参与活动的会员级别")
    elif scope == "members" and not members:
        errors["members"] = N_("请选择参与活动的顾客")
    elif scope not in ("all", "levels", "members", "first_order"):
        errors["customer_scope"] = N_("请选择参与活动的顾客")
    if kind in GROUPS:
        per = bool(values.get("per_threshold")) and kind == "full_reduction"
        by_count = bool(values.get("by_count")) and kind == "full_discount"
        problem = check_tiers(kind, tiers, per, by_count)
        if problem:
            errors["tiers"] = problem
    return errors


def _overlaps(query, starts, ends):
    query = query.where(or_(Campaign.ends_at.is_(None), Campaign.ends_at > starts))
    if ends is not None:
        query = query.where(Campaign.starts_at < ends)
    return query


def find_clash(session, kind, product_scope, product_ids, starts, ends, exclude_id=None,
               now=None):
    """The first campaign that ``kind`` over these products and this window would clash
    with: (campaign, product name or None), or None."""
    group = GROUPS.get(kind)
    if group is None:  # 满免邮 never clashes
        return None
    now = now or china_now()
    query = select(Campaign).where(Campaign.status == "active",
                                   Campaign.kind != "free_shipping",
                                   or_(Campaign.ends_at.is_(None), Campaign.ends_at > now))
    query = _overlaps(query, starts, ends)
    if exclude_id is not None:
        query = query.where(Campaign.id != exclude_id)
    for other in session.execute(query.options(selectinload(Campaign.products))
                                 .order_by(Campaign.id)).scalars():
        if product_scope == "all" and other.product_scope == "all":
            if GROUPS[other.kind] == group:
                return other, None
        elif product_scope == "products" and other.product_scope == "products":
            shared = [p for p in other.products if p.id in set(product_ids)]
            if shared:
                return other, shared[0].name
    return None


def save_campaign(session, values, tiers, products=(), levels=(), members=(), campaign=None,
                  now=None):
    """Create (``campaign`` None) or edit a campaign. ``tiers``: [(threshold, value,
    gift_batch)]. Raises CampaignError naming the field, or the clashing campaign."""
    now = now or china_now()
    if campaign is not None and (campaign.status == "ended"
                                 or (campaign.ends_at is not None and campaign.ends_at <= now)):
        raise CampaignError(N_("活动已结束，不能再修改"), code="ended")
    errors = check_campaign(values, tiers, products, levels, members)
    if errors:
        field, message = next(iter(errors.items()))
        raise CampaignError(message, code="invalid", field=field)
    kind = values["kind"]
    clash = find_clash(session, kind, values.get("product_scope", "all"),
                       [p.id for p in products], values["starts_at"], values.get("ends_at"),
                       exclude_id=campaign.id if campaign is not None else None, now=now)
    if clash is not None:
        other, product = clash
        if product:
            raise CampaignError(
                N_("商品「%(product)s」已参与营销活动「%(name)s」，同件商品不能参与多个有效的营销活动"),
                code="clash", field="products", product=product, name=other.name)
        raise CampaignError(N_("全场活动「%(name)s」在同一时间有效，同件商品不能参与多个有效的营销活动"),
                            code="clash", field="product_scope", name=other.name)
    if campaign is None:
        campaign = Campaign(status="active")
        session.add(campaign)
    campaign.name = values["name"].strip()
    campaign.kind = kind
    campaign.per_threshold = bool(values.get("per_threshold")) and kind == "full_reduction"
    campaign.by_count = bool(values.get("by_count")) and kind == "full_discount"
    campaign.starts_at = values["starts_at"]
    campaign.ends_at = values.get("ends_at")
    campaign.product_scope = values.get("product_scope", "all")
    campaign.customer_scope = values.get("customer_scope", "all")
    names, _problem = excluded_provinces(values.get("excluded_provinces") or "")
    campaign.excluded_provinces = "、".join(names) if kind == "free_shipping" and names \
        else None
    campaign.delivery_methods = ",".join(delivery_methods(values)[0]) \
        if kind == "free_shipping" else None
    campaign.products = list(products) if campaign.product_scope == "products" else []
    campaign.levels = list(levels) if campaign.customer_scope == "levels" else []
    campaign.members = list(members) if campaign.customer_scope == "members" else []
    campaign.tiers = [CampaignTier(threshold=threshold,
                                   value=value if value is not None else Decimal("0"),
                                   gift_batch_id=gift.id if gift is not None else None)
                      for threshold, value, gift in tiers]
    session.flush()
    return campaign


def end_campaign(session, campaign, now=None):
    """结束 a campaign now (it stays in the list as 已结束)."""
    now = now or china_now()
    if campaign.status == "ended" or (campaign.ends_at is not None and campaign.ends_at <= now):
        raise CampaignError(N_("活动已结束"), code="ended")
    campaign.status = "ended"
    campaign.ended_at = now
    if campaign.ends_at is None or campaign.ends_at > now:
        campaign.ends_at = now
    session.flush()
    return campaign


def state(campaign, now=None):
    """未开始 / 进行中 / 已结束, as code."""
    now = now or china_now()
    if campaign.status == "ended" or (campaign.ends_at is not None and campaign.ends_at <= now):
        return "ended"
    if campaign.starts_at > now:
        return "upcoming"
    return "running"


def _member_fits(campaign, member):
    scope = campaign.customer_scope
    if scope == "levels":
        return member.level_id in {level.id for level in campaign.levels}
    if scope == "members":
        return member.id in {m.id for m in campaign.members}
    if scope == "first_order":
        return not member.order_count  # 首单顾客: no completed or paid order yet
    return True


def active_campaigns(session, member, at=None):
    """The campaigns running at ``at`` whose customer scope includes ``member``."""
    at = at or china_now()
    rows = session.execute(
        select(Campaign).where(Campaign.status == "active", Campaign.starts_at <= at,
                               or_(Campaign.ends_at.is_(None), Campaign.ends_at > at))
        .options(selectinload(Campaign.tiers), selectinload(Campaign.products),
                 selectinload(Campaign.levels), selectinload(Campaign.members))
        .order_by(Campaign.id)).scalars().all()
    return [c for c in rows if _member_fits(c, member)]


def to_rule(campaign):
    """The pricing engine's view of a campaign."""
    tiers = sorted(campaign.tiers, key=lambda t: t.threshold)
    return CampaignRule(
        id=campaign.id, name=campaign.name, kind=campaign.kind,
        tiers=[(Decimal(t.threshold), Decimal(t.value)) for t in tiers],
        per_threshold=campaign.per_threshold, by_count=campaign.by_count,
        product_ids=(frozenset(p.id for p in campaign.products)
                     if campaign.product_scope == "products" else None),
        gift_batch_ids=tuple(t.gift_batch_id for t in tiers) if campaign.kind == "gift_coupon"
        else (),
        excluded_provinces=frozenset(excluded_provinces(campaign.excluded_provinces or "")[0])
        if campaign.kind == "free_shipping" else frozenset(),
        delivery_methods=frozenset(campaign.delivery_methods.split(","))
        if campaign.kind == "free_shipping" and campaign.delivery_methods else None)


def gift_batches(session):
    """Published 普通券 a 满赠券 tier can give."""
    return session.execute(select(CouponBatch).where(
        CouponBatch.kind == "normal", CouponBatch.status == "published")
        .order_by(CouponBatch.id.desc())).scalars().all()
