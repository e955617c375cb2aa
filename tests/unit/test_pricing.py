"""The discount engine (app/services/pricing.py): the guide's worked example and edge cases."""
from decimal import Decimal as D

from app.services.pricing import (CampaignRule, CouponRule, PricingInput, PricingLine, price,
                                  round_money)


def line(sku, product, price_, qty=1, categories=()):
    return PricingLine(sku_id=sku, product_id=product, category_ids=frozenset(categories),
                       unit_price=D(price_), quantity=qty)


def reduction(id_, tiers, products=None, per=False, name="满减"):
    return CampaignRule(id=id_, name=name, kind="full_reduction",
                        tiers=[(D(t), D(v)) for t, v in tiers], per_threshold=per,
                        product_ids=frozenset(products) if products is not None else None)


def discount(id_, tiers, products=None, by_count=False):
    return CampaignRule(id=id_, name="满折", kind="full_discount",
                        tiers=[(D(t), D(v)) for t, v in tiers], by_count=by_count,
                        product_ids=frozenset(products) if products is not None else None)


def test_the_guides_worked_example_101_85_83_74_7_64_7():
    lines = [line(1, 11, "60.00"), line(2, 12, "40.00")]
    campaigns = [
        discount(1, [("100", "0.9")]),                               # 全场满100打9折
        reduction(2, [("100", "15")], products={11, 12}),            # 部分商品满100减15
        CampaignRule(id=3, name="满100赠券", kind="gift_coupon", tiers=[(D(100), D(0))],
                     gift_batch_ids=(70,)),                           # 全场满100赠券
        CampaignRule(id=4, name="满100包邮", kind="free_shipping", tiers=[(D(100), D(0))]),
    ]
    data = PricingInput(lines=lines, freight=D("1.00"), campaigns=campaigns)
    assert price(data).paid_amount == D("85.00")                     # 101 -> 85
    data.coupon = CouponRule(id=5, kind="cash", value=D("2"))
    assert price(data).paid_amount == D("83.00")                     # -> 83
    data.level_discount = D("0.9")
    assert price(data).paid_amount == D("74.70")                     # -> 74.7
    data.points_balance, data.points_per_yuan, data.points_max_percent = 10, 1, 100
    data.use_points = True
    result = price(data)
    assert result.paid_amount == D("64.70")                          # -> 64.7
    assert result.goods_total == D("100.00")
    assert result.campaign_discount == D("15.00")
    assert result.coupon_discount == D("2.00")
    assert result.level_discount == D("8.30")
    assert (result.points_used, result.points_deduction) == (10, D("10.00"))
    assert result.freight == D("0.00") and result.free_shipping
    assert result.campaign_ids == [2, 3, 4]
    assert result.gift_batch_ids == [70]
    # every goods discount is allocated to a line, exactly
    assert sum(result.line_discounts.values()) == D("35.30")


def test_partial_product_scope_counts_only_its_lines():
    lines = [line(1, 11, "80"), line(2, 12, "50")]
    result = price(PricingInput(lines=lines, campaigns=[reduction(1, [("100", "20")],
                                                                  products={11})]))
    assert result.campaign_discount == D("0.00")  # 80 of its products < 100
    result = price(PricingInput(lines=[line(1, 11, "80"), line(3, 11, "30")],
                                campaigns=[reduction(1, [("100", "20")], products={11})]))
    assert result.campaign_discount == D("20.00")
    assert result.line_discounts == {1: D("14.55"), 3: D("5.45")}


def test_threshold_exactly_met_applies():
    result = price(PricingInput(lines=[line(1, 1, "50.00", 2)],
                                campaigns=[reduction(1, [("100", "10")])]))
    assert result.campaign_discount == D("10.00")
    assert result.paid_amount == D("90.00")
    below = price(PricingInput(lines=[line(1, 1, "49.99", 2)],
                               campaigns=[reduction(1, [("100", "10")])]))
    assert below.campaign_discount == D("0.00")


def test_highest_tier_applies_and_tiers_do_not_stack():
    tiers = [("100", "10"), ("200", "30"), ("300", "50")]
    result = price(PricingInput(lines=[line(1, 1, "250")], campaigns=[reduction(1, tiers)]))
    assert result.campaign_discount == D("30.00")  # not 10 + 30
    result = price(PricingInput(lines=[line(1, 1, "300")], campaigns=[reduction(1, tiers)]))
    assert result.campaign_discount == D("50.00")


def test_per_threshold_reduction_每满减():
    rule = reduction(1, [("100", "10")], per=True)
    assert price(PricingInput(lines=[line(1, 1, "350")], campaigns=[rule])
                 ).campaign_discount == D("30.00")
    assert price(PricingInput(lines=[line(1, 1, "99.99")], campaigns=[rule])
                 ).campaign_discount == D("0.00")


def test_full_discount_by_count_满件折():
    rule = discount(1, [("2", "0.9"), ("3", "0.8")], by_count=True)
    result = price(PricingInput(lines=[line(1, 1, "10", 2), line(2, 2, "5", 1)],
                                campaigns=[rule]))
    assert result.campaign_discount == D("5.00")  # 3 items: 8折 of 25
    result = price(PricingInput(lines=[line(1, 1, "10", 2)], campaigns=[rule]))
    assert result.campaign_discount == D("2.00")  # 2 items: 9折 of 20


def test_full_discount_by_amount_rounds_half_up():
    result = price(PricingInput(lines=[line(1, 1, "33.35")],
                                campaigns=[discount(1, [("10", "0.9")])]))
    assert result.campaign_discount == D("3.34")  # 3.335 -> 3.34
    assert result.paid_amount == D("30.01")


def test_named_campaign_takes_its_products_from_the_whole_shop_one():
    lines = [line(1, 11, "100"), line(2, 12, "100")]
    result = price(PricingInput(lines=lines, campaigns=[
        discount(1, [("100", "0.9")]), reduction(2, [("100", "15")], products={11})]))
    # product 11 gets only 满减 15; product 12 gets the 全场 9折 on its own 100
    assert result.campaign_discount == D("25.00")
    assert result.line_discounts == {1: D("15.00"), 2: D("10.00")}


def test_coupon_only_on_its_scope_and_after_campaigns():
    lines = [line(1, 11, "60", categories={5}), line(2, 12, "40")]
    coupon = CouponRule(id=1, kind="discount", value=D("0.8"), threshold=D("50"),
                        category_ids=frozenset({5}))
    result = price(PricingInput(lines=lines, coupon=coupon))
    assert result.coupon_discount == D("12.00")  # 20% of the 60 in scope
    assert result.line_discounts == {1: D("12.00"), 2: D("0.00")}
    # after a campaign the scope holds 54 (60 - 6): still over the 50 threshold
    result = price(PricingInput(lines=lines, coupon=coupon,
                                campaigns=[reduction(1, [("100", "10")])]))
    assert result.coupon_discount == D("10.80")
    # a 满减 that leaves the scope under the threshold: the coupon gives nothing
    result = price(PricingInput(lines=lines, coupon=coupon,
                                campaigns=[reduction(1, [("100", "20")])]))
    assert result.coupon_discount == D("0.00") and result.coupon_problem == "threshold"
    outside = CouponRule(id=2, kind="cash", value=D("5"), product_ids=frozenset({99}))
    assert price(PricingInput(lines=lines, coupon=outside)).coupon_problem == "out_of_scope"


def test_cash_coupon_never_exceeds_the_amount():
    result = price(PricingInput(lines=[line(1, 1, "3.50")], freight=D("6"),
                                coupon=CouponRule(id=1, kind="cash", value=D("10"))))
    assert result.coupon_discount == D("3.50")
    assert result.paid_amount == D("6.00")  # the freight is still paid


def test_points_capped_by_the_order_amount():
    result = price(PricingInput(lines=[line(1, 1, "20")], points_balance=10_000,
                                points_per_yuan=10, points_max_percent=100, use_points=True))
    assert (result.points_used, result.points_deduction) == (200, D("20.00"))
    assert result.paid_amount == D("0.00")


def test_points_capped_by_percent_and_floored():
    result = price(PricingInput(lines=[line(1, 1, "99.99")], points_balance=10_000,
                                points_per_yuan=3, points_max_percent=10, use_points=True))
    # cap 10.00 (10% of 99.99, half up): 30 points, worth exactly 10.00
    assert (result.points_used, result.points_deduction) == (30, D("10.00"))
    few = price(PricingInput(lines=[line(1, 1, "99.99")], points_balance=10,
                             points_per_yuan=3, points_max_percent=100, use_points=True))
    assert (few.points_used, few.points_deduction) == (10, D("3.33"))
    off = price(PricingInput(lines=[line(1, 1, "99.99")], points_balance=10,
                             points_per_yuan=3, points_max_percent=100, use_points=False))
    assert off.points_used == 0 and off.paid_amount == D("99.99")


def test_points_pay_the_freight():
    result = price(PricingInput(lines=[line(1, 1, "10")], freight=D("8"),
                                points_balance=1000, points_per_yuan=1,
                                points_max_percent=100, use_points=True))
    assert result.points_deduction == D("18.00") and result.paid_amount == D("0.00")
    assert result.line_discounts == {1: D("10.00")}  # the freight part is not a goods share


def test_free_shipping_threshold_and_without_amount():
    rule = CampaignRule(id=1, name="满99包邮", kind="free_shipping", tiers=[(D(99), D(0))])
    assert price(PricingInput(lines=[line(1, 1, "98")], freight=D("10"), campaigns=[rule])
                 ).freight == D("10.00")
    result = price(PricingInput(lines=[line(1, 1, "99")], freight=D("10"), campaigns=[rule]))
    assert result.freight == D("0.00") and result.paid_amount == D("99.00")
    anyway = CampaignRule(id=2, name="包邮", kind="free_shipping", tiers=[],
                          product_ids=frozenset({1}))
    assert price(PricingInput(lines=[line(1, 1, "1")], freight=D("10"), campaigns=[anyway])
                 ).free_shipping


def test_gift_coupon_highest_tier_only():
    rule = CampaignRule(id=1, name="满赠", kind="gift_coupon",
                        tiers=[(D(50), D(0)), (D(100), D(0))], gift_batch_ids=(7, 8))
    result = price(PricingInput(lines=[line(1, 1, "120")], campaigns=[rule]))
    assert result.gift_batch_ids == [8] and result.campaign_discount == D("0.00")
    assert price(PricingInput(lines=[line(1, 1, "49")], campaigns=[rule])).gift_batch_ids == []


def test_rounding_edges():
    assert round_money(D("0.005")) == D("0.01")
    assert round_money(D("0.0049")) == D("0.00")
    assert round_money(D("2.675")) == D("2.68")  # Decimal, not float: no 2.67
    # an activity price below 0.005 is 0.00: a 0.01 item at 1折 costs nothing
    result = price(PricingInput(lines=[line(1, 1, "0.04")],
                                campaigns=[discount(1, [("0", "0.1")])]))
    assert result.paid_amount == D("0.00")
    # a level discount on 0.05 at 9折: 0.005 off rounds to 0.01
    result = price(PricingInput(lines=[line(1, 1, "0.05")], level_discount=D("0.9")))
    assert result.level_discount == D("0.01") and result.paid_amount == D("0.04")


def test_allocation_adds_up_on_uneven_splits():
    lines = [line(1, 1, "10"), line(2, 2, "10"), line(3, 3, "10")]
    result = price(PricingInput(lines=lines, campaigns=[reduction(1, [("30", "10")])]))
    assert sum(result.line_discounts.values()) == D("10.00")
    assert result.line_discounts[1] == D("3.33") and result.line_discounts[3] == D("3.34")


def _free(excluded=(), tiers=((D(99), D(0)),), products=None):
    return CampaignRule(id=9, name="满99包邮", kind="free_shipping", tiers=list(tiers),
                        product_ids=frozenset(products) if products is not None else None,
                        excluded_provinces=frozenset(excluded))


def test_free_shipping_excluded_provinces_pay_the_freight():
    rule = _free(excluded={"新疆", "西藏", "内蒙古"})
    for province in ("新疆维吾尔自治区", "新疆", "西藏自治区", "内蒙古自治区"):
        result = price(PricingInput(lines=[line(1, 1, "120")], freight=D("15"),
                                    campaigns=[rule], province=province))
        assert result.freight == D("15.00") and not result.free_shipping, province
        assert result.paid_amount == D("135.00") and result.campaign_ids == []
    for province in ("浙江省", "广东", "上海市"):
        result = price(PricingInput(lines=[line(1, 1, "120")], freight=D("15"),
                                    campaigns=[rule], province=province))
        assert result.freight == D("0.00") and result.free_shipping, province
        assert result.campaign_ids == [9]


def test_free_shipping_exclusions_with_no_province_and_below_threshold():
    rule = _free(excluded={"新疆"})
    # An order with no receiver province cannot be shown to be outside 新疆: no free shipping.
    for province in (None, "", "  "):
        assert price(PricingInput(lines=[line(1, 1, "120")], freight=D("8"),
                                  campaigns=[rule], province=province)).freight == D("8.00")
    # Without exclusions the province does not matter.
    assert price(PricingInput(lines=[line(1, 1, "120")], freight=D("8"), campaigns=[_free()],
                              province=None)).freight == D("0.00")
    # Below the threshold an allowed province still pays.
    assert price(PricingInput(lines=[line(1, 1, "98.99")], freight=D("8"), campaigns=[rule],
                              province="浙江省")).freight == D("8.00")


def test_an_excluded_region_falls_back_to_another_free_shipping_campaign():
    """满免邮 campaigns may overlap (满免邮除外): one that covers the province still applies."""
    far = _free(excluded={"新疆"})
    everywhere = CampaignRule(id=10, name="满300全国包邮", kind="free_shipping",
                              tiers=[(D(300), D(0))])
    small = PricingInput(lines=[line(1, 1, "120")], freight=D("20"), campaigns=[far, everywhere],
                         province="新疆")
    assert price(small).freight == D("20.00")
    big = PricingInput(lines=[line(1, 1, "300")], freight=D("20"), campaigns=[far, everywhere],
                       province="新疆")
    result = price(big)
    assert result.freight == D("0.00") and result.campaign_ids == [10]
    assert result.paid_amount == D("300.00")
