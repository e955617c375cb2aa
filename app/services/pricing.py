"""The discount engine every order goes through (pure Python: no Flask, no database).

The second guide's order (订单优惠须知), each stage computed on what the previous one left:
1. 营销活动 (campaigns) on the goods total: 满减 (tiered or 每满减), 满折 (by amount or item
   count), 满赠券 (no money off, coupons given after the order), 满免邮 (the freight);
2. the coupon, on the amount left after campaigns, only over its product scope;
3. the member level discount, on the goods left after the coupon;
4. points, last, on what is left including the freight ("积分是允许用来支付运费的"),
   capped by ``points_max_percent`` of that amount.

Campaign rules (营销活动):
- thresholds are reached on the campaign's eligible lines at their original prices (满减、满折、
  满赠券以商品总额为计算标准); the highest tier reached applies and tiers never stack;
- a line gets money off (满减/满折) from one campaign only: a campaign that names the product
  takes it, a 全场 (all products) campaign covers the lines no named campaign took
  (同件商品不能参与多个有效的营销活动). In the guide's worked example the partial 满100减15
  therefore wins over the 全场 9折, and the order goes 101 → 85 → 83 → 74.7 → 64.7;
- 满赠券 gives nothing off and 满免邮 touches only the freight, so they apply alongside;
  a 满免邮 does not apply to a receiver in one of its 不参与地区 (excluded provinces), nor
  to an order whose delivery method is not one of its 参加活动的配送方式.

Every amount is rounded by ``round_money`` alone.
"""
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
import math

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_OFF_KINDS = ("full_reduction", "full_discount")


def round_money(value):
    """Money, half up to 0.01: 0.005 becomes 0.01 and anything below 0.005 becomes 0.00
    (the guides' rule for activity prices). The one rounding rule of the engine."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def floor_points(value):
    """Points are whole numbers; fractions are dropped (9.8 -> 9)."""
    return int(math.floor(Decimal(value)))


@dataclass(frozen=True)
class PricingLine:
    sku_id: int
    product_id: int
    category_ids: frozenset
    unit_price: Decimal
    quantity: int

    @property
    def total(self):
        return round_money(Decimal(self.unit_price) * self.quantity)


@dataclass(frozen=True)
class CampaignRule:
    """One active campaign. ``tiers``: (threshold, value) pairs; threshold in yuan (items
    when ``by_count``); value = yuan off (满减), the rate paid (满折: 0.9 = 9折), unused for
    满免邮 and 满赠券. ``gift_batch_ids``: for 满赠券, the coupon batch of each tier, in the
    order of ``tiers``. ``product_ids`` None = 全场."""

    id: int
    name: str
    kind: str
    tiers: list
    per_threshold: bool = False
    by_count: bool = False
    product_ids: frozenset = None
    gift_batch_ids: tuple = ()
    # 满免邮: provinces (short names: "新疆", "内蒙古") where it does not apply (不参与地区).
    excluded_provinces: frozenset = frozenset()
    # 满免邮: 参加活动的配送方式, codes of DELIVERY_METHODS ("courier", "pickup",
    # "merchant_delivery"); None covers every method.
    delivery_methods: frozenset = None


@dataclass(frozen=True)
class CouponRule:
    """The chosen coupon: ``value`` is yuan off (cash) or the rate paid (discount, 0.8 = 8折);
    ``threshold`` is met by the scope's amount after campaigns. No product and no category
    ids = all products; otherwise a line is in scope by its product or one of its
    categories."""

    id: int
    kind: str
    value: Decimal
    threshold: Decimal = ZERO
    product_ids: frozenset = None
    category_ids: frozenset = None


@dataclass
class PricingInput:
    lines: list
    freight: Decimal = ZERO
    campaigns: list = field(default_factory=list)
    coupon: CouponRule = None
    level_discount: Decimal = Decimal("1")
    points_balance: int = 0
    points_per_yuan: int = 0
    points_max_percent: int = 0
    use_points: bool = False
    # The receiver's province as the buyer gave it ("新疆维吾尔自治区", "浙江省"); 满免邮
    # campaigns with 不参与地区 check it.
    province: str = None
    # The order's delivery method (code); 满免邮 campaigns with 参加活动的配送方式 check it.
    # None (a quote before a method is chosen) is not checked; orders always pass one.
    delivery_method: str = None


@dataclass
class PricingResult:
    goods_total: Decimal
    campaign_discount: Decimal
    coupon_discount: Decimal
    level_discount: Decimal
    points_used: int
    points_deduction: Decimal
    freight: Decimal
    paid_amount: Decimal
    campaign_ids: list
    gift_batch_ids: list
    free_shipping: bool
    line_discounts: dict
    # Why the chosen coupon gave nothing (None when it applied or none was chosen):
    # "out_of_scope" or "threshold". The caller decides whether that is an error.
    coupon_problem: str = None


def _reached_tier(tiers, metric):
    """Index of the highest tier whose threshold ``metric`` reaches, or None."""
    best = None
    for index, (threshold, _value) in enumerate(tiers):
        if metric >= Decimal(threshold) and (best is None
                                             or Decimal(threshold) >= Decimal(tiers[best][0])):
            best = index
    return best


def _campaign_off(rule, subtotal, count):
    """Money off (before rounding) a money-off campaign gives on its lines."""
    metric = Decimal(count) if rule.by_count else subtotal
    index = _reached_tier(rule.tiers, metric)
    if index is None:
        return ZERO
    threshold, value = (Decimal(v) for v in rule.tiers[index])
    if rule.kind == "full_reduction":
        off = value
        if rule.per_threshold and threshold > 0:
            off = value * int(subtotal // threshold)
    else:
        off = subtotal * (Decimal(1) - value)
    return min(round_money(off), subtotal)


def _allocate(amount, lines, base, shares):
    """Spread ``amount`` over ``lines`` in proportion to ``base[sku]`` (the last line takes
    the remainder, so the shares add up exactly); adds into ``shares``."""
    total = sum((base[line.sku_id] for line in lines), ZERO)
    if amount <= 0 or total <= 0:
        return
    left = amount
    for i, line in enumerate(lines):
        share = left if i == len(lines) - 1 else round_money(amount * base[line.sku_id] / total)
        share = min(share, left)
        shares[line.sku_id] = shares.get(line.sku_id, ZERO) + share
        left -= share


def province_excluded(province, excluded):
    """Whether a receiver ``province`` falls in ``excluded`` short names ("新疆" covers
    "新疆维吾尔自治区"). An unknown province cannot be shown to be outside the excluded
    regions, so it counts as excluded when there are any."""
    if not excluded:
        return False
    province = (province or "").strip()
    if not province:
        return True
    return any(province.startswith(name) for name in excluded)


def delivery_covered(method, methods):
    """Whether a 满免邮 with 参加活动的配送方式 ``methods`` (None = all) covers an order
    delivered by ``method``; ``method`` None (not chosen yet, a quote) is not checked."""
    if methods is None or method is None:
        return True
    return method in methods


def _in_coupon_scope(coupon, line):
    if not coupon.product_ids and not coupon.category_ids:
        return True
    return (line.product_id in (coupon.product_ids or ())
            or bool(set(line.category_ids or ()) & set(coupon.category_ids or ())))


def price(data: PricingInput) -> PricingResult:
    lines = list(data.lines)
    totals = {line.sku_id: line.total for line in lines}
    goods_total = sum(totals.values(), ZERO)
    left = dict(totals)  # what each line still costs after each stage
    shares = {}
    campaign_ids, gift_batch_ids = [], []

    # 1. campaigns: named campaigns first take their lines, then 全场 ones the rest.
    taken = set()
    money_off = [c for c in data.campaigns if c.kind in MONEY_OFF_KINDS]
    ordered = ([c for c in money_off if c.product_ids is not None]
               + [c for c in money_off if c.product_ids is None])
    campaign_discount = ZERO
    for rule in ordered:
        own = [line for line in lines if line.sku_id not in taken
               and (rule.product_ids is None or line.product_id in rule.product_ids)]
        if not own:
            continue
        taken.update(line.sku_id for line in own)
        subtotal = sum((totals[line.sku_id] for line in own), ZERO)
        off = _campaign_off(rule, subtotal, sum(line.quantity for line in own))
        if off > 0:
            campaign_discount += off
            campaign_ids.append(rule.id)
            stage = {}
            _allocate(off, own, totals, stage)
            for sku, share in stage.items():
                left[sku] -= share
                shares[sku] = shares.get(sku, ZERO) + share

    freight = round_money(data.freight or 0)
    free_shipping = False
    for rule in data.campaigns:
        if rule.kind not in ("free_shipping", "gift_coupon"):
            continue
        own = [line for line in lines
               if rule.product_ids is None or line.product_id in rule.product_ids]
        if not own:
            continue
        subtotal = sum((totals[line.sku_id] for line in own), ZERO)
        if rule.kind == "free_shipping":
            if province_excluded(data.province, rule.excluded_provinces):
                continue  # 不参与地区: this receiver pays the freight
            if not delivery_covered(data.delivery_method, rule.delivery_methods):
                continue  # this delivery method does not take part
            # No tier, or a zero threshold, means free shipping for any order of its goods.
            if not rule.tiers or _reached_tier(rule.tiers, subtotal) is not None:
                if freight > 0 and not free_shipping:
                    campaign_ids.append(rule.id)
                free_shipping = True
        else:
            index = _reached_tier(rule.tiers, subtotal)
            if index is not None and index < len(rule.gift_batch_ids):
                campaign_ids.append(rule.id)
                gift_batch_ids.append(rule.gift_batch_ids[index])
    if free_shipping:
        freight = ZERO

    # 2. the coupon, on what campaigns left of the lines in its scope.
    coupon_discount = ZERO
    coupon_problem = None
    if data.coupon is not None:
        coupon = data.coupon
        own = [line for line in lines if _in_coupon_scope(coupon, line)]
        base = sum((left[line.sku_id] for line in own), ZERO)
        if not own:
            coupon_problem = "out_of_scope"
        elif base < Decimal(coupon.threshold or 0) or base <= 0:
            coupon_problem = "threshold"
        else:
            if coupon.kind == "cash":
                off = round_money(coupon.value)
            else:
                off = round_money(base * (Decimal(1) - Decimal(coupon.value)))
            coupon_discount = min(off, base)
            stage = {}
            _allocate(coupon_discount, own, left, stage)
            for sku, share in stage.items():
                left[sku] -= share
                shares[sku] = shares.get(sku, ZERO) + share

    # 3. the member level discount on the goods left.
    goods_left = sum(left.values(), ZERO)
    level = Decimal(data.level_discount if data.level_discount is not None else 1)
    level_discount = ZERO
    if Decimal(0) < level < Decimal(1) and goods_left > 0:
        level_discount = round_money(goods_left * (Decimal(1) - level))
        stage = {}
        _allocate(level_discount, lines, left, stage)
        for sku, share in stage.items():
            left[sku] -= share
            shares[sku] = shares.get(sku, ZERO) + share
    goods_left -= level_discount

    # 4. points, last; they may pay the freight too.
    payable = goods_left + freight
    points_used, points_deduction = 0, ZERO
    ratio = int(data.points_per_yuan or 0)
    if data.use_points and ratio > 0 and data.points_balance > 0 and payable > 0:
        cap = min(payable, round_money(payable * Decimal(int(data.points_max_percent or 0))
                                       / 100))
        cap = cap.quantize(CENT, rounding=ROUND_DOWN)
        points_used = min(int(data.points_balance), floor_points(cap * ratio))
        points_deduction = (Decimal(points_used) / ratio).quantize(CENT, rounding=ROUND_DOWN)
        if points_deduction <= 0:
            points_used, points_deduction = 0, ZERO
        else:
            # Only the part that pays for goods is spread over the lines (refund shares).
            stage = {}
            _allocate(min(points_deduction, goods_left), lines, left, stage)
            for sku, share in stage.items():
                left[sku] -= share
                shares[sku] = shares.get(sku, ZERO) + share

    paid = payable - points_deduction
    return PricingResult(
        goods_total=goods_total, campaign_discount=campaign_discount,
        coupon_discount=coupon_discount, level_discount=level_discount,
        points_used=points_used, points_deduction=points_deduction, freight=freight,
        paid_amount=round_money(paid), campaign_ids=campaign_ids,
        gift_batch_ids=gift_batch_ids, free_shipping=free_shipping,
        line_discounts={line.sku_id: shares.get(line.sku_id, ZERO) for line in lines},
        coupon_problem=coupon_problem)
