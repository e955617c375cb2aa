"""Demo orders: three dozen per merchant, in every state, placed and moved through the same
services as real ones (pricing, stock, ledgers, log), spread over the last two months.
到店自提 orders (the 到店 products) carry verification codes; some are paid and wait for 核销."""
import random
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.base import china_now
from app.models.catalog import Product, Sku
from app.models.member import Distributor, Member
from app.services.errors import BusinessError
from app.tenancy import tenant_scope

ORDERS_PER_MERCHANT = 36
# The state each demo order ends in, cycled.
PLAN = ["unpaid", "awaiting_shipment", "shipped", "completed", "closed", "awaiting_shipment",
        "completed", "shipped_partly", "cancel_requested", "completed", "unpaid", "pickup"]
PROVINCES = [("浙江省", "杭州市", "西湖区"), ("上海市", "上海市", "浦东新区"),
             ("广东省", "深圳市", "南山区"), ("四川省", "成都市", "武侯区")]


def seed_demo(merchant, shops):
    with tenant_scope(merchant.id):
        _seed(db.session, merchant, shops)


def _seed(session, merchant, shops):
    from app.services import order as orders

    rng = random.Random(merchant.id * 7919)
    members = session.execute(select(Member).where(Member.status == "normal")
                              .order_by(Member.id).limit(20)).scalars().all()
    skus = session.execute(select(Sku).join(Product).where(
        Product.status == "on_shelf", Sku.retired.is_(False),
        Product.product_type.in_(("normal", "distribution", "group_buy", "bargain")),
        Product.delivery != "store").order_by(Sku.id)).scalars().all()
    pickup_skus = session.execute(select(Sku).join(Product).where(
        Product.status == "on_shelf", Sku.retired.is_(False), Product.delivery != "express",
        Product.product_type != "points").order_by(Sku.id)).scalars().all()
    distributor = session.execute(select(Distributor).where(
        Distributor.status == "approved").limit(1)).scalar()
    if not members or not skus or not shops:
        return
    now = china_now()
    for index in range(ORDERS_PER_MERCHANT):
        plan = PLAN[index % len(PLAN)]
        member = members[index % len(members)]
        at = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23),
                             minutes=rng.randint(0, 59))
        if index < 3:  # a few from yesterday for the home cards
            at = now.replace(hour=10, minute=index * 7) - timedelta(days=1)
        pickup = plan == "pickup" and pickup_skus
        pool = pickup_skus if pickup else skus
        chosen = rng.sample(pool, k=min(len(pool), 1 + index % 3))
        lines = [(sku.id, 1 + rng.randint(0, 1)) for sku in chosen]
        province, city, district = PROVINCES[index % len(PROVINCES)]
        receiver = {"name": member.real_name or member.nickname[:10] or "顾客",
                    "phone": member.phone or "13800138000", "province": province,
                    "city": city, "district": district, "address": f"文三路 {100 + index} 号"}
        payment = "cod" if index % 17 == 5 else "wechat"
        uses_distributor = distributor is not None and any(
            s.product.product_type == "distribution" for s in chosen)
        try:
            with session.begin_nested():
                order = orders.place_order(
                    session, member=member, shop=shops[index % len(shops)], lines=lines,
                    delivery_method="pickup" if pickup else "courier",
                    payment_method=payment, receiver=receiver,
                    buyer_note="请尽快发货" if index % 5 == 0 else "",
                    distributor_id=distributor.id if uses_distributor else None, at=at)
                _advance(session, order, "awaiting_shipment" if plan == "pickup" and index % 2
                         else ("unpaid" if plan == "pickup" else plan), at)
                if index % 7 == 0:
                    order.star_color = ["red", "orange", "green", "blue"][index % 4]
                    order.merchant_note = "老顾客，优先处理"
        except BusinessError:
            continue  # e.g. a SKU ran out of demo stock: that order is simply left out
    session.flush()


def _advance(session, order, plan, at):
    from app.services import order as orders

    step = timedelta(minutes=5)
    if plan == "unpaid":
        return
    if plan == "closed":
        orders.close(session, order, reason="超时未付款，系统自动关闭")
        return
    if order.payment_method != "cod":
        orders.mark_paid(session, order, payment_no=f"4200{order.order_no[-12:]}", at=at + step)
    if plan in ("awaiting_shipment", "pickup"):
        return
    if plan == "cancel_requested":
        orders.request_cancel(session, order, "拍错了，不想要了")
        return
    if plan == "shipped_partly":
        orders.mark_shipped(session, order, partial=True, at=at + timedelta(hours=20))
        return
    orders.mark_shipped(session, order, partial=False, at=at + timedelta(hours=20))
    if plan == "completed":
        orders.complete(session, order, at=at + timedelta(days=3))

