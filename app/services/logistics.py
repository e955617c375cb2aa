"""Freight (运费) and couriers: pure rules, no Flask.

``compute_freight(template, items, province)`` charges a cart by piece or by weight:
the first unit(s) cost ``first_fee``; every started block of ``additional_unit`` beyond
them costs ``additional_fee``. A province listed in one of the template's regions uses that
region's charges instead. The cart ships free when it reaches 满 X 元 or 满 N 件, and a
self pick-up (自提) costs nothing when the template allows it.
"""
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from app.services.errors import N_, BusinessError

CENT = Decimal("0.01")
DEFAULT_COURIERS = [  # (name, code, phone): seeded for every merchant
    ("顺丰速运", "SF", "95338"), ("中通快递", "ZTO", "95311"), ("圆通速递", "YTO", "95554"),
    ("申通快递", "STO", "95543"), ("韵达快递", "YD", "95546"), ("邮政 EMS", "EMS", "11183"),
    ("京东物流", "JD", "950616"), ("极兔速递", "JTSD", "956025"),
]


class FreightError(BusinessError):
    pass


@dataclass
class CartItem:
    quantity: int
    unit_price: Decimal = Decimal("0")
    unit_weight: Decimal = Decimal("0")  # kg

    @property
    def amount(self):
        return Decimal(self.unit_price) * self.quantity


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split_provinces(text):
    """"新疆、西藏, 青海" -> ["新疆", "西藏", "青海"] (any of ,，、; and spaces)."""
    return [p for p in re.split(r"[\s,，、;；]+", text or "") if p]


def _charges(template, province):
    for region in getattr(template, "regions", None) or []:
        if province and province in split_provinces(region.provinces):
            return region
    return template


def _units(template, items):
    if template.charge_by == "weight":
        return sum((Decimal(i.unit_weight or 0) * i.quantity for i in items), Decimal("0"))
    return Decimal(sum(i.quantity for i in items))


def compute_freight(template, items, province=None, pickup=False):
    """The freight of ``items`` (CartItem) shipped to ``province`` under ``template``."""
    items = [i for i in items if i.quantity > 0]
    if not items:
        return money(0)
    if pickup:
        if not template.self_pickup:
            raise FreightError(N_("该运费模板不支持自提"), code="no_pickup")
        return money(0)
    count = sum(i.quantity for i in items)
    amount = sum((i.amount for i in items), Decimal("0"))
    if template.free_over_amount is not None and amount >= Decimal(template.free_over_amount):
        return money(0)
    if template.free_over_count and count >= template.free_over_count:
        return money(0)
    charges = _charges(template, province)
    units = _units(template, items)
    first_unit = Decimal(charges.first_unit)
    fee = Decimal(charges.first_fee)
    if units > first_unit:
        step = Decimal(charges.additional_unit)
        if step <= 0:
            raise FreightError(N_("续件/续重必须大于 0"), code="invalid")
        blocks = ((units - first_unit) / step).to_integral_value(rounding=ROUND_CEILING)
        fee += blocks * Decimal(charges.additional_fee)
    return money(fee)


def template_problems(values):
    """{field: Chinese message} for a freight template's values (dict)."""
    problems = {}
    by_piece = values.get("charge_by") == "piece"
    for field in ("first_unit", "additional_unit"):
        unit = values.get(field)
        if unit is None:
            continue
        unit = Decimal(str(unit))
        if unit <= 0:
            problems[field] = N_("必须大于 0")
        elif by_piece and unit != unit.to_integral_value():
            problems[field] = N_("按件数计价时必须是整数")
    for field in ("first_fee", "additional_fee", "free_over_amount"):
        value = values.get(field)
        if value is not None and value < 0:
            problems[field] = N_("金额不能小于 0")
    count = values.get("free_over_count")
    if count is not None and count < 1:
        problems["free_over_count"] = N_("满件包邮的件数至少为 1")
    return problems


def province_problems(text, known):
    """The province names in ``text`` that are not in ``known``, or that are empty."""
    names = split_provinces(text)
    if not names:
        return N_("请至少填写一个省份")
    unknown = [n for n in names if n not in known]
    if unknown:
        return "、".join(unknown)
    return None
