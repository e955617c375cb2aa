"""Orders for the fulfilment tests, written straight into the session database (the
pricing and checkout paths have their own tests): a member of the demo merchant, an order
in the wanted state with its items, and the payment it needs (stored-value card, points,
WeChat Pay config plus the fake's order)."""
import secrets
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import merchant_id

MERCHANT_A = "鲜果时光"
MERCHANT_B = "茶语小铺"


def _seq():
    return f"{secrets.randbelow(10 ** 12):012d}"


def make_order(app, merchant=MERCHANT_A, *, status="awaiting_shipment", payment="wechat",
               delivery="courier", items=(("苹果", 2, "10.00"), ("香蕉", 1, "5.00")),
               paid=None, points_paid=0, phone=None, shop_type="wx_mall", verification=True):
    """Returns (order id, [item ids], order_no, member id)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.models.member import Member
    from app.models.order import Order, OrderItem
    from app.models.shop import Shop
    from app.services import member as members
    from app.tenancy import tenant_scope

    mid = merchant_id(app, merchant)
    with app.app_context(), tenant_scope(mid):
        shop = db.session.execute(select(Shop).where(Shop.shop_type == shop_type)).scalar()
        phone = phone or "135" + f"{secrets.randbelow(10 ** 8):08d}"
        member = db.session.execute(select(Member).where(Member.phone == phone)).scalar() or \
            members.create_member(db.session, nickname="履约测试", phone=phone)
        goods = sum(Decimal(price) * qty for _n, qty, price in items)
        paid = Decimal(paid) if paid is not None else goods
        now = china_now()
        order = Order(merchant_id=mid, order_no="F" + _seq(), shop_id=shop.id,
                      member_id=member.id, status=status, payment_method=payment,
                      delivery_method=delivery, goods_total=goods, freight=Decimal("0"),
                      paid_amount=paid, points_paid=points_paid,
                      receiver_name="张三", receiver_phone="13812345678",
                      receiver_province="浙江", receiver_city="杭州", receiver_district="西湖区",
                      receiver_address="文三路 1 号",
                      verification_code=_seq() if delivery == "pickup" and verification
                      else None,
                      paid_at=None if status == "unpaid" else now,
                      payment_no=("4200" + _seq()) if payment == "wechat" and status != "unpaid"
                      else None,
                      logistics_status="shipped" if status in ("shipped", "completed")
                      else "not_shipped",
                      shipped_at=now if status in ("shipped", "completed") else None,
                      status_before_cancel="awaiting_shipment"
                      if status == "cancel_requested" else None,
                      cancel_reason="不想要了" if status == "cancel_requested" else None)
        for number, (name, qty, price) in enumerate(items, start=1):
            order.items.append(OrderItem(
                merchant_id=mid, product_id=900 + number, sku_id=900 + number,
                product_name=name, spec_text="", unit_price=Decimal(price), quantity=qty,
                line_total=Decimal(price) * qty, discount_share=Decimal("0"),
                shipped_quantity=qty if status in ("shipped", "completed") else 0))
        db.session.add(order)
        db.session.commit()
        return order.id, [i.id for i in order.items], order.order_no, member.id


def get(app, model, pk, merchant=MERCHANT_A):
    """A fresh copy of a row (expunged, attributes loaded)."""
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        row = db.session.get(model, pk)
        if row is not None:
            db.session.refresh(row)
            db.session.expunge(row)
        return row


def rows(app, statement, merchant=MERCHANT_A):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        result = db.session.execute(statement).scalars().all()
        for row in result:
            db.session.expunge(row)
        return result


def courier_id(app, name, merchant=MERCHANT_A):
    from app.models.logistics import Courier

    found = rows(app, select(Courier).where(Courier.name == name), merchant)
    return found[0].id


def wechat_pay(app, wechat, merchant=MERCHANT_A, balance_fen=1_000_000, cert_days=365):
    """A verified 微信支付 config for the merchant, known to the fake with a certificate."""
    from app.extensions import db
    from app.services import wechat as wechat_service
    from app.tenancy import tenant_scope
    from app.wechat import certs
    from tests.fakes.wechat import make_p12

    mid = merchant_id(app, merchant)
    mch_id, api_key, appid = "1900000109", "A" * 32, "wx" + "1" * 16
    p12, serial = make_p12(mch_id, days=cert_days)
    with app.app_context(), tenant_scope(mid):
        config = wechat_service.payment_config(db.session, mid, "wechat")
        config.mode, config.app_kind, config.appid = "own", "official", appid
        config.mch_id, config.api_key = mch_id, api_key
        certificate = certs.load_p12(p12, mch_id)
        config.cert_pem, config.key_pem = certificate.cert_pem, certificate.key_pem
        config.cert_serial, config.cert_expires_at = certificate.serial, certificate.expires_at
        config.verify_result, config.enabled, config.step = "ok", True, 5
        db.session.add(config)
        db.session.commit()
    return wechat.add_merchant(mch_id, api_key, [appid], balance_fen=balance_fen,
                               cert_serials=[serial])


def wechat_order(app, wechat, order_no, paid, merchant=MERCHANT_A):
    """The fake WeChat Pay's record of the order's payment (so it can be refunded)."""
    from app.models.order import Order

    order = rows(app, select(Order).where(Order.order_no == order_no), merchant)[0]
    wechat.add_order("1900000109", order_no, int(Decimal(paid) * 100),
                     transaction_id=order.payment_no)
