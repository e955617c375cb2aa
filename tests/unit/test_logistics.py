"""compute_freight from worked examples: by piece, by weight, province overrides, free
shipping by amount and by count, self pick-up."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.services.logistics import (CartItem, FreightError, compute_freight, split_provinces,
                                    template_problems)


def template(**kw):
    base = dict(charge_by="piece", first_unit=Decimal("1"), first_fee=Decimal("8"),
                additional_unit=Decimal("1"), additional_fee=Decimal("2"),
                free_over_amount=None, free_over_count=None, self_pickup=False, regions=[])
    base.update(kw)
    return SimpleNamespace(**base)


def region(provinces, first_fee, additional_fee, first_unit="1", additional_unit="1"):
    return SimpleNamespace(provinces=provinces, first_unit=Decimal(first_unit),
                           first_fee=Decimal(first_fee), additional_unit=Decimal(additional_unit),
                           additional_fee=Decimal(additional_fee))


def test_by_piece_first_and_additional():
    # 3 pieces: 8 for the first, 2 each for the other two = 12.00
    assert compute_freight(template(), [CartItem(3, Decimal("10"))], "浙江") == Decimal("12.00")


def test_by_piece_one_piece_pays_the_first_fee_only():
    assert compute_freight(template(), [CartItem(1, Decimal("10"))], "浙江") == Decimal("8.00")


def test_by_piece_additional_blocks_round_up():
    # first 2 pieces 10 元, then 5 元 per started block of 3: 7 pieces -> 10 + 2 blocks = 20
    t = template(first_unit=Decimal("2"), first_fee=Decimal("10"),
                 additional_unit=Decimal("3"), additional_fee=Decimal("5"))
    assert compute_freight(t, [CartItem(4), CartItem(3)], "江苏") == Decimal("20.00")


def test_by_weight():
    # 2 x 1.3 kg = 2.6 kg; first 1 kg 10 元, then 5 元 per started kg: 10 + 2 x 5 = 20
    t = template(charge_by="weight", first_fee=Decimal("10"), additional_fee=Decimal("5"))
    items = [CartItem(2, Decimal("30"), Decimal("1.3"))]
    assert compute_freight(t, items, "广东") == Decimal("20.00")


def test_province_override():
    t = template(regions=[region("新疆、西藏", "20", "10")])
    assert compute_freight(t, [CartItem(2)], "新疆") == Decimal("30.00")
    assert compute_freight(t, [CartItem(2)], "西藏") == Decimal("30.00")
    assert compute_freight(t, [CartItem(2)], "上海") == Decimal("10.00")


def test_free_over_amount():
    t = template(free_over_amount=Decimal("99"))
    assert compute_freight(t, [CartItem(3, Decimal("33"))], "北京") == Decimal("0.00")
    assert compute_freight(t, [CartItem(3, Decimal("32.99"))], "北京") == Decimal("12.00")


def test_free_over_count_applies_in_overridden_provinces_too():
    t = template(free_over_count=5, regions=[region("新疆", "20", "10")])
    assert compute_freight(t, [CartItem(5)], "新疆") == Decimal("0.00")
    assert compute_freight(t, [CartItem(4)], "新疆") == Decimal("50.00")


def test_self_pickup():
    assert compute_freight(template(self_pickup=True), [CartItem(3)], "浙江",
                           pickup=True) == Decimal("0.00")
    with pytest.raises(FreightError):
        compute_freight(template(), [CartItem(3)], "浙江", pickup=True)


def test_empty_cart_costs_nothing():
    assert compute_freight(template(), [], "浙江") == Decimal("0.00")


def test_split_provinces():
    assert split_provinces("新疆、西藏, 青海，宁夏") == ["新疆", "西藏", "青海", "宁夏"]


def test_template_problems():
    problems = template_problems({"charge_by": "piece", "first_unit": Decimal("1.5"),
                                  "additional_unit": Decimal("0"), "first_fee": Decimal("-1"),
                                  "free_over_count": 0})
    assert set(problems) == {"first_unit", "additional_unit", "first_fee", "free_over_count"}
    assert template_problems({"charge_by": "weight", "first_unit": Decimal("1.5"),
                              "additional_unit": Decimal("0.5")}) == {}
