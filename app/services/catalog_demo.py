"""Demo data of 商品管理, 物流管理 and 广告管理: categories, brands, specs, a dozen products
with SKUs and focus images, freight templates, the common couriers, banners."""
import io
import os
import uuid
from decimal import Decimal

from app.extensions import db
from app.models.ads import AD_SLOT_SHOP_TYPES, Banner
from app.models.catalog import (Brand, Product, ProductCategory, ProductImage, Sku, SpecGroup,
                                SpecValue)
from app.models.logistics import Courier, FreightRegion, FreightTemplate, ShopCourier
from app.services.catalog import spec_key
from app.services.logistics import DEFAULT_COURIERS
from app.services.stock import change_stock

FRUIT = {
    "categories": [("新鲜水果", "fa-apple", ["国产水果", "进口水果"]),
                   ("果切果汁", "fa-coffee", ["鲜榨果汁"]), ("礼盒", "fa-gift", [])],
    "brands": ["佳沛", "都乐", "褚橙", "鲜果时光自营"],
    "specs": [("规格", ["500克", "1千克", "2.5千克"]), ("包装", ["简装", "礼盒装"])],
    "products": [
        ("烟台红富士苹果", "国产水果", "鲜果时光自营", "12.80", 2, "normal"),
        ("佳沛阳光金果", "进口水果", "佳沛", "39.90", 2, "group_buy"),
        ("都乐香蕉", "进口水果", "都乐", "9.90", 1, "normal"),
        ("褚橙", "国产水果", "褚橙", "58.00", 1, "bargain"),
        ("海南贵妃芒", "国产水果", "鲜果时光自营", "29.90", 2, "normal"),
        ("智利车厘子", "进口水果", "鲜果时光自营", "99.00", 2, "distribution"),
        ("鲜榨橙汁", "鲜榨果汁", "鲜果时光自营", "15.00", 0, "normal"),
        ("西瓜果切盒", "果切果汁", "鲜果时光自营", "18.80", 0, "reservation"),
        ("水果礼盒(中秋款)", "礼盒", "鲜果时光自营", "168.00", 0, "normal"),
        ("阳光玫瑰葡萄", "国产水果", "鲜果时光自营", "36.00", 2, "points"),
        ("泰国山竹", "进口水果", "鲜果时光自营", "45.00", 1, "normal"),
        ("赣南脐橙", "国产水果", "鲜果时光自营", "26.00", 2, "normal"),
    ],
}
TEA = {
    "categories": [("茶叶", "fa-leaf", ["绿茶", "红茶", "乌龙茶"]), ("茶具", "fa-coffee", []),
                   ("茶点", "fa-birthday-cake", [])],
    "brands": ["茶语自营", "竹叶青", "正山堂", "八马"],
    "specs": [("规格", ["50克", "100克", "250克"]), ("包装", ["罐装", "礼盒装"])],
    "products": [
        ("明前西湖龙井", "绿茶", "茶语自营", "128.00", 2, "normal"),
        ("峨眉竹叶青", "绿茶", "竹叶青", "98.00", 1, "group_buy"),
        ("正山小种", "红茶", "正山堂", "88.00", 2, "normal"),
        ("金骏眉", "红茶", "正山堂", "198.00", 1, "bargain"),
        ("安溪铁观音", "乌龙茶", "八马", "76.00", 2, "normal"),
        ("大红袍", "乌龙茶", "茶语自营", "158.00", 2, "distribution"),
        ("白瓷盖碗", "茶具", "茶语自营", "39.00", 0, "normal"),
        ("紫砂壶", "茶具", "茶语自营", "268.00", 0, "normal"),
        ("茶艺体验课", "茶点", "茶语自营", "99.00", 0, "reservation"),
        ("绿豆糕", "茶点", "茶语自营", "19.90", 0, "points"),
        ("凤凰单丛", "乌龙茶", "茶语自营", "68.00", 1, "normal"),
        ("滇红", "红茶", "茶语自营", "58.00", 2, "normal"),
    ],
}
COLORS = [(228, 57, 60), (255, 153, 0), (76, 175, 80), (33, 150, 243), (156, 39, 176),
          (0, 150, 136)]


def _demo_image(upload_folder, color):
    from PIL import Image

    os.makedirs(upload_folder, exist_ok=True)
    name = f"{uuid.uuid4().hex}.png"
    stream = io.BytesIO()
    Image.new("RGB", (320, 320), color).save(stream, format="PNG")
    with open(os.path.join(upload_folder, name), "wb") as fh:
        fh.write(stream.getvalue())
    return name


def _type_fields(kind, price):
    if kind == "group_buy":
        return dict(group_size=3, group_price=(price * Decimal("0.8")).quantize(Decimal("0.01")),
                    group_hours=24)
    if kind == "bargain":
        # (原价 - 底价) / 人数 is whole: 原价 = 售价 + 10, 底价 = 原价 - 20, 10 人.
        original = price + 10
        return dict(original_price=original, cost_price=original - 40,
                    bargain_floor_price=original - 20, bargain_helpers=10, bargain_hours=24)
    if kind == "distribution":
        return dict(commission_rate=Decimal("10.00"))
    if kind == "reservation":
        return dict(reservation_city="上海", reservation_slots="10:00-12:00, 14:00-17:00",
                    goods_kind="virtual", delivery="store")
    if kind == "points":
        return dict(points_price=500, points_cash=Decimal("9.90"))
    return {}


def seed_demo(merchant, shops):
    from flask import current_app

    data = FRUIT if "鲜果" in merchant.name else TEA
    mid = merchant.id
    session = db.session
    folder = current_app.config["UPLOAD_FOLDER"]
    categories = {}
    for rank, (name, icon, children) in enumerate(data["categories"], start=1):
        top = ProductCategory(merchant_id=mid, name=name, icon=icon, sort=rank)
        categories[name] = top
        for child_rank, child in enumerate(children, start=1):
            categories[child] = ProductCategory(merchant_id=mid, name=child, icon=icon,
                                                parent=top, sort=child_rank)
    session.add_all(categories.values())
    brands = {n: Brand(merchant_id=mid, name=n, sort=i) for i, n in enumerate(data["brands"])}
    session.add_all(brands.values())
    groups = []
    for rank, (name, values) in enumerate(data["specs"], start=1):
        group = SpecGroup(merchant_id=mid, name=name, sort=rank, values=[
            SpecValue(merchant_id=mid, value=v, sort=i) for i, v in enumerate(values, start=1)])
        groups.append(group)
    session.add_all(groups)
    template = FreightTemplate(merchant_id=mid, name="全国包邮满99", charge_by="piece",
                               first_unit=1, first_fee=Decimal("8"), additional_unit=1,
                               additional_fee=Decimal("2"), free_over_amount=Decimal("99"),
                               self_pickup=True)
    template.regions = [FreightRegion(merchant_id=mid, provinces="新疆、西藏、青海",
                                      first_unit=1, first_fee=Decimal("20"), additional_unit=1,
                                      additional_fee=Decimal("10"))]
    by_weight = FreightTemplate(merchant_id=mid, name="按重量计费", charge_by="weight",
                                first_unit=1, first_fee=Decimal("10"), additional_unit=1,
                                additional_fee=Decimal("5"), free_over_count=10)
    session.add_all([template, by_weight])
    couriers = [Courier(merchant_id=mid, name=n, code=c, phone=p, sort=i)
                for i, (n, c, p) in enumerate(DEFAULT_COURIERS, start=1)]
    session.add_all(couriers)
    session.flush()
    session.add_all([ShopCourier(merchant_id=mid, shop_id=shop.id, courier_id=c.id,
                                 enabled=i < 5) for shop in shops
                     for i, c in enumerate(couriers)])
    products = []
    for index, (name, category, brand, price, spec_count, kind) in enumerate(data["products"]):
        price = Decimal(price)
        fields = dict(original_price=price + 10,
                      cost_price=(price * Decimal("0.6")).quantize(Decimal("0.01")))
        fields.update(_type_fields(kind, price))
        product = Product(merchant_id=mid, name=name, product_type=kind, price=price,
                          summary=f"{name}，产地直发，品质保证", code=f"P{mid:02d}{index + 1:04d}",
                          brand=brands[brand], status="on_shelf" if index < 10 else "warehouse",
                          points_earned=int(price // 10), initial_sales=index * 7,
                          weight=Decimal("0.5"), free_shipping=index % 3 != 0,
                          freight_template=None if index % 3 != 0 else template,
                          description=f"<p><strong>{name}</strong></p><p>精选好货，新鲜到家。</p>",
                          **fields)
        product.categories = [categories[category]]
        product.images = [ProductImage(merchant_id=mid, file=_demo_image(
            folder, COLORS[(index + k) % len(COLORS)]), sort=k + 1) for k in range(2)]
        session.add(product)
        session.flush()
        combos = [("", "")]
        if spec_count:
            first = groups[0].values
            second = groups[1].values if spec_count > 1 else [None]
            combos = [(spec_key(v.id for v in (a, b) if v),
                       "/".join(v.value for v in (a, b) if v)) for a in first for b in second]
        for n, (key, text) in enumerate(combos):
            sku = Sku(merchant_id=mid, product=product, spec_key=key, spec_text=text,
                      price=price + n * 5, stock=0, code=f"{product.code}-{n + 1}")
            session.add(sku)
            session.flush()
            change_stock(session, sku, 20 + 10 * (n % 3), "初始库存",
                         idempotency_key=f"demo-{sku.id}")
        products.append(product)
    for rank, shop in enumerate(shops):
        session.add(Banner(merchant_id=mid, shop_id=shop.id, product_id=products[rank].id,
                           image=_demo_image(folder, COLORS[rank]), position="home_focus",
                           sort=1))
        if shop.shop_type in AD_SLOT_SHOP_TYPES:
            session.add(Banner(merchant_id=mid, shop_id=shop.id, product_id=products[2].id,
                               image=_demo_image(folder, COLORS[3]), position="home_ad",
                               sort=2))
    session.flush()
