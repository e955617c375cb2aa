"""Helpers for the order tests: products with a chosen 库存策略, members with API tokens,
and the shop API calls."""
import itertools
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import merchant_id

_seq = itertools.count(1)


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def make_product(app, merchant="鲜果时光", *, price="20.00", stock=10, strategy="on_order",
                 product_type="normal", delivery="express", commission_rate=None,
                 points_price=None, points_cash=None):
    """An on-shelf, free-shipping product with one SKU; returns (product_id, sku_id)."""
    from app.extensions import db
    from app.models.catalog import Product, Sku
    from app.services.stock import change_stock
    from app.tenancy import tenant_scope

    n = next(_seq)
    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        product = Product(name=f"测试商品{n:03d}", code=f"T{n:05d}", price=Decimal(price),
                          original_price=Decimal(price), cost_price=Decimal("1"),
                          stock=0, status="on_shelf", stock_strategy=strategy,
                          product_type=product_type, delivery=delivery, free_shipping=True,
                          commission_rate=commission_rate, points_price=points_price,
                          points_cash=Decimal(points_cash) if points_cash is not None else None)
        db.session.add(product)
        db.session.flush()
        sku = Sku(product=product, spec_key="", spec_text="", price=Decimal(price), stock=0)
        db.session.add(sku)
        db.session.flush()
        change_stock(db.session, sku, stock, "测试库存", idempotency_key=f"test-stock-{sku.id}")
        db.session.commit()
        return product.id, sku.id


def new_member(app, merchant="鲜果时光", phone=None, **fields):
    from app.extensions import db
    from app.services import member as members
    from app.tenancy import tenant_scope

    phone = phone or f"1357{next(_seq):07d}"
    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        member = members.create_member(db.session, nickname=f"买家{phone[-4:]}", phone=phone,
                                       **fields)
        db.session.commit()
        return member.id, members.issue_member_token(member)


def shop_id(app, merchant="鲜果时光"):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        return db.session.execute(select(Shop.id).order_by(Shop.id)).scalars().first()


RECEIVER = {"name": "张三", "phone": "13912340000", "province": "浙江省", "city": "杭州市",
            "district": "西湖区", "address": "文三路 1 号"}


def place(client, app, token, lines, merchant="鲜果时光", **extra):
    body = {"shop_id": shop_id(app, merchant),
            "lines": [{"sku_id": s, "quantity": q} for s, q in lines],
            "delivery_method": "courier", "payment_method": "wechat", "receiver": RECEIVER}
    body.update(extra)
    return client.post("/api/v1/orders", json=body, headers=auth(token))


def sku_stock(app, sku_id, merchant="鲜果时光"):
    from app.extensions import db
    from app.models.catalog import Sku
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        return db.session.execute(select(Sku.stock).where(Sku.id == sku_id)).scalar()


def order_row(app, order_no, merchant="鲜果时光"):
    """(order, items, logs) read fresh, detached values."""
    from app.extensions import db
    from app.models.order import Order
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        order = db.session.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        data = {c.key: getattr(order, c.key) for c in Order.__table__.columns}
        data["items"] = [(i.sku_id, i.quantity, i.stock_taken) for i in order.items]
        data["logs"] = [(log.action, log.from_status, log.to_status, log.note)
                        for log in order.logs]
        return data
