"""``quote``: price a member's cart with everything that applies to them now (re-exported as
``app.services.coupon.quote``; orders call it there)."""
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models.base import china_now
from app.models.catalog import Product, Sku
from app.models.marketing import MemberCoupon
from app.services import campaign as campaign_service
from app.services.errors import N_
from app.services.pricing import CouponRule, PricingInput, PricingLine, price


def pricing_lines(session, lines):
    """[(sku_id, quantity)] -> PricingLine list at the SKUs' current prices (PricingLine
    items pass through unchanged)."""
    from app.services.coupon import CouponError

    wanted = [line for line in lines if not isinstance(line, PricingLine)]
    skus = {}
    if wanted:
        ids = [sku_id for sku_id, _quantity in wanted]
        skus = {sku.id: sku for sku in session.execute(
            select(Sku).where(Sku.id.in_(ids)).options(
                selectinload(Sku.product).selectinload(Product.categories))).scalars()}
    result = []
    for line in lines:
        if isinstance(line, PricingLine):
            result.append(line)
            continue
        sku_id, quantity = line
        sku = skus.get(sku_id)
        if sku is None:
            raise CouponError(N_("商品不存在"), code="no_sku", status=404)
        result.append(PricingLine(sku_id=sku.id, product_id=sku.product_id,
                                  category_ids=frozenset(c.id for c in sku.product.categories),
                                  unit_price=Decimal(sku.price), quantity=int(quantity)))
    return result


def coupon_rule(coupon):
    batch = coupon.batch
    return CouponRule(
        id=coupon.id, kind=batch.discount_type, value=Decimal(batch.value),
        threshold=Decimal(batch.threshold or 0),
        product_ids=(frozenset(p.id for p in batch.products)
                     if batch.scope == "products" else None),
        category_ids=(frozenset(c.id for c in batch.categories)
                      if batch.scope == "categories" else None))


def quote(session, *, member, lines, freight, coupon_id=None, use_points=False, now=None,
          province=None, delivery_method=None, shop=None):
    """The PricingResult of ``lines`` ([(sku_id, quantity)] or PricingLine items) for
    ``member``: their running campaigns, the chosen member coupon (refused with a Chinese
    reason when it is not theirs or not usable now; when it does not fit this cart the
    result says why in ``coupon_problem`` and the caller decides), their level discount and
    the points rules."""
    from app.services.coupon import CouponError, shop_refusal, usable
    from app.services.points import points_rule

    now = now or china_now()
    rules = [campaign_service.to_rule(c)
             for c in campaign_service.active_campaigns(session, member, now)]
    coupon = None
    if coupon_id:
        row = session.get(MemberCoupon, coupon_id)
        if row is None or row.member_id != member.id:
            raise CouponError(N_("优惠券不存在"), code="not_found", status=404)
        problem = usable(row, now)
        if problem:
            raise CouponError(problem, code="unusable", status=409)
        if row.batch.kind == "reusable" and row.batch.remaining < 1:
            raise CouponError(N_("优惠码使用次数已用完"), code="used_up", status=409)
        wrong_shop = shop_refusal(row.batch, shop)  # 适用商城: ``shop`` is the order's
        if wrong_shop is not None:
            raise wrong_shop
        coupon = coupon_rule(row)
    rule = points_rule(session, member.merchant_id)
    level = member.level
    data = PricingInput(
        lines=pricing_lines(session, lines), freight=Decimal(freight or 0), campaigns=rules,
        coupon=coupon,
        level_discount=Decimal(level.discount) if level is not None else Decimal("1"),
        points_balance=int(member.points or 0),
        points_per_yuan=int(rule.redeem_points_per_yuan or 0),
        points_max_percent=int(rule.redeem_max_percent or 0), use_points=bool(use_points),
        province=province, delivery_method=delivery_method)
    return price(data)
