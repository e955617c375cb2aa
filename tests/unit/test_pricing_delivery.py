"""满免邮 参加活动的配送方式 in the pricing engine (app/services/pricing.py): an order whose
delivery method the campaign does not cover gets no free shipping from it."""
from decimal import Decimal as D

from app.services.pricing import (CampaignRule, PricingInput, PricingLine, delivery_covered,
                                  price)


def _lines():
    return [PricingLine(sku_id=1, product_id=11, category_ids=frozenset(),
                        unit_price=D("120.00"), quantity=1)]


def _free(id_=1, methods=None, threshold="99", excluded=()):
    return CampaignRule(id=id_, name="满99包邮", kind="free_shipping",
                        tiers=[(D(threshold), D(0))], excluded_provinces=frozenset(excluded),
                        delivery_methods=frozenset(methods) if methods is not None else None)


def _price(campaigns, method, freight="12.00", province="浙江省"):
    return price(PricingInput(lines=_lines(), freight=D(freight), campaigns=campaigns,
                              province=province, delivery_method=method))


def test_only_the_covered_delivery_methods_ship_free():
    rule = _free(methods={"courier"})
    covered = _price([rule], "courier")
    assert covered.freight == D("0.00") and covered.free_shipping
    assert covered.campaign_ids == [1] and covered.paid_amount == D("120.00")
    other = _price([rule], "merchant_delivery")
    assert other.freight == D("12.00") and not other.free_shipping
    assert other.campaign_ids == [] and other.paid_amount == D("132.00")


def test_no_setting_covers_every_method_and_a_quote_without_a_method_is_not_checked():
    everything = _free(methods=None)
    for method in ("courier", "merchant_delivery", "pickup", None):
        assert _price([everything], method).freight == D("0.00"), method
    # A quote before the buyer chose a method (orders always pass one) is not checked.
    assert _price([_free(methods={"courier"})], None).freight == D("0.00")
    assert delivery_covered("courier", None) and delivery_covered(None, {"courier"})
    assert not delivery_covered("pickup", {"courier", "merchant_delivery"})


def test_another_campaign_covering_the_method_still_applies():
    courier_only = _free(id_=1, methods={"courier"})
    delivery_only = _free(id_=2, methods={"merchant_delivery"})
    result = _price([courier_only, delivery_only], "merchant_delivery")
    assert result.freight == D("0.00") and result.campaign_ids == [2]


def test_methods_and_excluded_regions_both_apply():
    rule = _free(methods={"courier"}, excluded={"新疆"})
    assert _price([rule], "courier", province="新疆维吾尔自治区").freight == D("12.00")
    assert _price([rule], "merchant_delivery", province="浙江省").freight == D("12.00")
    assert _price([rule], "courier", province="浙江省").freight == D("0.00")


def test_below_the_threshold_a_covered_method_still_pays():
    assert _price([_free(methods={"courier"}, threshold="200")], "courier").freight \
        == D("12.00")
