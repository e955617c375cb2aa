"""The 新增商品 / 编辑商品 form: its fields (for the template), parsing of the posted values
and the SKU rows. Rules live in app/services/catalog.py; this only turns text into values
and keeps what the merchant typed for the re-rendered form."""
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _, lazy_gettext as _l

from app.models.catalog import (DELIVERY_MODES, GOODS_KINDS, PRODUCT_TYPES, STOCK_STRATEGIES)
from app.services.catalog import SkuInput


class FieldSpec:
    def __init__(self, name, label, kind="text", required=False, help=None, choices=None,
                 types=None, maxlength=None):
        self.name, self.label, self.kind, self.required = name, label, kind, required
        self.help, self.choices, self.types, self.maxlength = help, choices, types, maxlength


# Step 1, in the guide's order. ``types``: only shown for these product types.
BASIC_FIELDS = [
    FieldSpec("product_type", _l("商品类型"), "radio", True, choices=PRODUCT_TYPES),
    FieldSpec("goods_kind", _l("实物/虚拟"), "radio", True, choices=GOODS_KINDS,
              help=_l("实物商品需要物流发货；虚拟商品无需物流")),
    FieldSpec("name", _l("商品名称"), required=True, help=_l("请输入2-50个字符"), maxlength=50),
    FieldSpec("summary", _l("商品简介"), "textarea", help=_l("不超过200个字符"), maxlength=200),
    FieldSpec("code", _l("商品编号"), maxlength=40),
    FieldSpec("categories", _l("商品分类"), "categories", True,
              help=_l("必填，最多可设置10个")),
    FieldSpec("brand", _l("品牌"), "brand"),
    FieldSpec("images", _l("商品焦点图"), "images",
              help=_l("可上传多张，按排序数字从小到大展示；JPG、PNG、GIF、WEBP，单张不超过 2 MB")),
    FieldSpec("main_video", _l("主图视频"), help=_l("视频地址（选填），以 https:// 开头"),
              maxlength=255),
    FieldSpec("original_price", _l("商品原价"), "money", help=_l("单位：元")),
    FieldSpec("price", _l("售价"), "money", True, help=_l("单位：元；有多个规格时为默认价格")),
    FieldSpec("cost_price", _l("成本价"), "money", help=_l("单位：元")),
    FieldSpec("stock", _l("商品库存"), "int", True,
              help=_l("0 或正整数；设置了规格时以各规格库存为准")),
    FieldSpec("delivery", _l("物流方式"), "radio", True, choices=DELIVERY_MODES),
    FieldSpec("free_shipping", _l("是否包邮"), "bool"),
    FieldSpec("freight_template", _l("运费模板"), "freight_template",
              help=_l("不包邮时必选；在“物流管理 → 运费模板”中设置")),
    FieldSpec("weight", _l("商品重量(kg)"), "decimal", help=_l("按重量计费的运费模板使用")),
    # 拼团
    FieldSpec("group_size", _l("成团人数"), "int", True, types=("group_buy",)),
    FieldSpec("group_price", _l("拼团价"), "money", True, help=_l("必须低于售价"),
              types=("group_buy",)),
    FieldSpec("group_hours", _l("拼团时长(小时)"), "int", True, types=("group_buy",)),
    # 砍价
    FieldSpec("bargain_floor_price", _l("砍价商品底价"), "money", True,
              help=_l("必须大于成本价；(商品原价-底价)/砍价人数=整数"), types=("bargain",)),
    FieldSpec("bargain_helpers", _l("砍价成功所需人数"), "int", True, types=("bargain",)),
    FieldSpec("bargain_hours", _l("砍价活动持续时间(小时)"), "int", True,
              help=_l("建议：时间为十二小时的整数倍"), types=("bargain",)),
    FieldSpec("bargain_multiple", _l("允许购买多份"), "bool", help=_l("参加砍价活动可购买的份数"),
              types=("bargain",)),
    # 分销
    FieldSpec("commission_rate", _l("提成比例(%)"), "decimal", True,
              help=_l("覆盖默认提成比例"), types=("distribution",)),
    # 预约
    FieldSpec("reservation_city", _l("预约城市"), required=True, maxlength=30,
              types=("reservation",)),
    FieldSpec("reservation_slots", _l("预约时段"), required=True, maxlength=255,
              help=_l("例如 09:00-12:00, 14:00-18:00"), types=("reservation",)),
    # 积分
    FieldSpec("points_price", _l("积分价"), "int", True, types=("points",)),
    FieldSpec("points_cash", _l("积分+现金(元)"), "money", help=_l("选填：兑换时另付的现金"),
              types=("points",)),
    # 高级设置
    FieldSpec("timed_sale", _l("是否定时售卖"), "bool", help=_l("设定商品上架与下架时间")),
    FieldSpec("on_shelf_at", _l("上架时间"), "datetime"),
    FieldSpec("off_shelf_at", _l("下架时间"), "datetime"),
    FieldSpec("real_name_required", _l("是否需要实名制"), "bool",
              help=_l("选择是，用户购买时需填写身份证号")),
    FieldSpec("points_earned", _l("购买商品可获积分"), "int", help=_l("示例：10")),
    FieldSpec("initial_sales", _l("初始销量"), "int"),
    FieldSpec("stock_strategy", _l("库存策略"), "radio", True, choices=STOCK_STRATEGIES,
              help=_l("注意：1、创建订单减库存，存在恶拍风险。2、支付成功减库存，存在超卖风险。")),
    FieldSpec("extra_fields", _l("附加信息"), "extra", help=_l("字段名和内容，例如 产地：烟台")),
]
SCALAR_FIELDS = [f for f in BASIC_FIELDS if f.kind in (
    "text", "textarea", "radio", "money", "int", "decimal", "bool", "datetime")]
EXTRA_ROWS = 5


class Parsed:
    """Values parsed from the posted form, the raw text for re-rendering, and errors."""

    def __init__(self):
        self.values, self.raw, self.errors = {}, {}, {}


def _decimal(text, places):
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation
    if -value.as_tuple().exponent > places:
        raise ValueError
    return value


def parse_scalars(form):
    parsed = Parsed()
    for spec in SCALAR_FIELDS:
        text = (form.get(spec.name) or "").strip()
        parsed.raw[spec.name] = text
        if spec.kind == "bool":
            parsed.values[spec.name] = text in ("1", "y", "on", "true")
            continue
        if text == "":
            parsed.values[spec.name] = None
            continue
        try:
            if spec.kind == "money":
                parsed.values[spec.name] = _decimal(text, 2)
                if abs(parsed.values[spec.name]) >= Decimal("10000000000"):
                    raise ValueError
            elif spec.kind == "decimal":
                parsed.values[spec.name] = _decimal(text, 3)
                if abs(parsed.values[spec.name]) >= Decimal("1000000"):
                    raise ValueError
            elif spec.kind == "int":
                if not text.lstrip("-").isdigit() or len(text) > 9:
                    raise ValueError
                parsed.values[spec.name] = int(text)
            elif spec.kind == "datetime":
                parsed.values[spec.name] = datetime.fromisoformat(text.replace(" ", "T"))
            elif spec.kind == "radio":
                if text not in {c for c, _t in spec.choices}:
                    raise ValueError
                parsed.values[spec.name] = text
            else:
                parsed.values[spec.name] = text
        except (ValueError, InvalidOperation):
            parsed.values[spec.name] = None
            parsed.errors[spec.name] = {
                "money": _("请输入金额，最多两位小数"), "decimal": _("请输入数字，最多三位小数"),
                "int": _("请输入整数"), "datetime": _("时间格式应为 2026-01-01 08:00"),
            }.get(spec.kind, _("请选择有效的选项"))
    for spec in SCALAR_FIELDS:
        if (spec.required and spec.kind in ("radio",) and parsed.values.get(spec.name) is None
                and spec.name not in parsed.errors):
            parsed.errors[spec.name] = _("请选择%(label)s", label=spec.label)
    if parsed.values.get("stock") is None and "stock" not in parsed.errors:
        parsed.values["stock"] = 0
        parsed.raw["stock"] = "0"
    elif isinstance(parsed.values.get("stock"), int) and parsed.values["stock"] < 0:
        parsed.errors.setdefault("stock", _("库存必须是 0 或正整数"))
    for name in ("points_earned", "initial_sales"):
        if parsed.values.get(name) is None and name not in parsed.errors:
            parsed.values[name] = 0
    if parsed.values.get("weight") is None and "weight" not in parsed.errors:
        parsed.values["weight"] = Decimal("0")
    for name in ("original_price", "cost_price"):
        if parsed.values.get(name) is None and name not in parsed.errors:
            parsed.values[name] = Decimal("0")
    return parsed


def extra_rows(form):
    keys, values = form.getlist("extra_key"), form.getlist("extra_value")
    return list(zip(keys, values + [""] * (len(keys) - len(values))))


def parse_sku_rows(form, matrix, default_price):
    """SkuInput rows for the matrix [(spec_key, spec_text)], and {spec_key: error}."""
    rows, errors = [], {}
    for key, text in matrix:
        price_text = (form.get(f"sku_price_{key}") or "").strip()
        stock_text = (form.get(f"sku_stock_{key}") or "").strip()
        code = (form.get(f"sku_code_{key}") or "").strip()[:40] or None
        try:
            price = _decimal(price_text, 2) if price_text else default_price
        except (ValueError, InvalidOperation):
            errors[key] = _("请输入金额，最多两位小数")
            price = None
        if stock_text and not stock_text.isdigit():
            errors.setdefault(key, _("规格库存必须是 0 或正整数"))
            stock = None
        else:
            stock = int(stock_text) if stock_text else 0
        rows.append(SkuInput(key, text, price, stock, code))
    return rows, errors


# -- focus images kept across a failed submit ------------------------------------------------
# Files uploaded with a form that then fails validation are stored at once (type, size and
# content checked) and remembered in the signed session as this user's pending uploads, so
# the re-rendered form shows them and the corrected submit keeps them. Only names in this
# list (or already on the product) are accepted back from the form.
PENDING_KEY = "catalog_pending_images"
MAX_PENDING = 30


def pending_images():
    from flask import session

    return list(session.get(PENDING_KEY, []))


def remember_pending(names):
    from flask import session

    if names:
        session[PENDING_KEY] = (pending_images() + list(names))[-MAX_PENDING:]


def forget_pending(names):
    from flask import session

    gone = set(names)
    if gone & set(pending_images()):
        session[PENDING_KEY] = [n for n in pending_images() if n not in gone]
