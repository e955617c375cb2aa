"""Product rules without the app: the guide's limits, the bargain rule, the SKU matrix and
the rich-text allow-list."""
from datetime import datetime
from decimal import Decimal

from app.services.catalog import (batch_brand_names, parse_slots, sanitize_description,
                                  sku_matrix, spec_key, validate_product)


def values(**kw):
    base = dict(product_type="normal", goods_kind="physical", name="烟台苹果",
                price=Decimal("10"), original_price=Decimal("12"), cost_price=Decimal("5"),
                stock=5, delivery="express", free_shipping=True)
    base.update(kw)
    return base


def errors_of(category_count=1, **kw):
    return validate_product(values(**kw), category_count)[0]


def test_a_valid_standard_product_has_no_errors():
    assert errors_of() == {}


def test_name_length_2_to_50():
    assert "name" in errors_of(name="苹")
    assert "name" in errors_of(name="苹" * 51)
    assert "name" not in errors_of(name="苹" * 50)


def test_summary_at_most_200():
    assert "summary" in errors_of(summary="好" * 201)
    assert "summary" not in errors_of(summary="好" * 200)


def test_categories_required_and_at_most_10():
    assert errors_of(category_count=0)["categories"] == "请选择商品分类"
    assert "categories" in errors_of(category_count=11)
    assert "categories" not in errors_of(category_count=10)


def test_stock_whole_and_not_negative():
    assert "stock" in errors_of(stock=-1)
    assert "stock" in errors_of(stock=1.5)
    assert "stock" not in errors_of(stock=0)


def test_off_shelf_after_on_shelf():
    on = datetime(2026, 1, 1, 8)
    assert errors_of(timed_sale=True, on_shelf_at=on, off_shelf_at=on)["off_shelf_at"] == \
        "下架时间必须晚于上架时间"
    assert "off_shelf_at" not in errors_of(timed_sale=True, on_shelf_at=on,
                                           off_shelf_at=datetime(2026, 1, 2))


def test_group_price_below_sale_price():
    group = dict(product_type="group_buy", group_size=3, group_hours=24)
    assert errors_of(**group, group_price=Decimal("10"))["group_price"] == "拼团价必须低于售价"
    assert "group_price" not in errors_of(**group, group_price=Decimal("9.99"))


def bargain(**kw):
    base = dict(product_type="bargain", original_price=Decimal("100"), cost_price=Decimal("50"),
                bargain_floor_price=Decimal("60"), bargain_helpers=10, bargain_hours=24)
    base.update(kw)
    return base


def test_bargain_rule_whole_number():
    assert validate_product(values(**bargain()), 1) == ({}, [])
    # (100 - 60) / 3 is not whole
    assert "original_price" in errors_of(**bargain(bargain_helpers=3))


def test_bargain_floor_above_cost():
    assert errors_of(**bargain(bargain_floor_price=Decimal("50")))["bargain_floor_price"] == \
        "砍价底价必须大于成本价"


def test_bargain_duration_multiple_of_12_is_advice():
    errors, warnings = validate_product(values(**bargain(bargain_hours=13)), 1)
    assert errors == {}
    assert warnings == ["建议砍价持续时间为 12 小时的整数倍"]


def test_reservation_slots():
    assert parse_slots("09:00-12:00, 14:00-18:00") == ["09:00-12:00", "14:00-18:00"]
    assert parse_slots("12:00-09:00") is None
    assert "reservation_slots" in errors_of(product_type="reservation", reservation_city="上海",
                                            reservation_slots="9点")


def test_points_and_distribution():
    assert "points_price" in errors_of(product_type="points", points_price=0)
    assert "commission_rate" in errors_of(product_type="distribution",
                                          commission_rate=Decimal("101"))


def test_freight_template_required_when_not_free():
    assert "freight_template" in errors_of(free_shipping=False)
    assert "freight_template" not in errors_of(free_shipping=False, freight_template_id=3)


def test_sku_matrix():
    assert sku_matrix([]) == [("", "")]
    rows = sku_matrix([[(3, "红"), (1, "蓝")], [(7, "S"), (8, "M")]])
    assert rows == [("v3_v7", "红/S"), ("v3_v8", "红/M"), ("v1_v7", "蓝/S"), ("v1_v8", "蓝/M")]
    assert spec_key([10, 2]) == "v2_v10"


def test_description_allow_list():
    html = ('<p onclick="x()">好<script>alert(1)</script><b>货</b></p>'
            '<img src="https://a.example/1.png" onerror="x()">'
            '<video src="https://a.example/v.mp4" controls></video>'
            '<a href="javascript:alert(1)">x</a><iframe src="https://evil"></iframe>')
    clean = sanitize_description(html)
    assert "script" not in clean and "onclick" not in clean and "onerror" not in clean
    assert "iframe" not in clean and "javascript" not in clean
    assert '<img src="https://a.example/1.png">' in clean
    assert "<video" in clean and "<b>货</b>" in clean


def test_batch_brand_names():
    assert batch_brand_names(" 佳沛 \n\n都乐\n佳沛\n") == ["佳沛", "都乐"]
