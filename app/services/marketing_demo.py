"""Demo data of 营销设置管理: two coupon batches (a published 普通券 and a 复用券 draft), a
满减 campaign on one product per merchant, and a 大转盘 (插件管理 → 抽奖游戏) whose prizes are
points, the 普通券, a gift to collect in store and 谢谢参与, so the H5 preview has something
to draw. The campaign names a single product with a high
threshold, so it changes no other demo or test order."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.base import china_now
from app.models.catalog import Product
from app.services import campaign as campaign_service
from app.services import coupon as coupon_service
from app.tenancy import tenant_scope


def seed_demo(merchant, shops):
    session = db.session
    now = china_now().replace(second=0, microsecond=0)
    with tenant_scope(merchant.id):
        normal = coupon_service.save_batch(session, dict(
            name="新客满50减10", kind="normal", discount_type="cash", value=Decimal("10"),
            threshold=Decimal("50"), code_prefix="NEW", quantity=200, validity_type="days",
            valid_days=30, scope="all", per_member_limit=1))
        coupon_service.publish(session, normal, now)
        coupon_service.save_batch(session, dict(
            name="公众号专享9折码", kind="reusable", discount_type="discount",
            value=Decimal("0.90"), threshold=Decimal("0"), code=f"WX{merchant.id:02d}VIP",
            quantity=500, validity_type="range", valid_from=now,
            valid_to=now + timedelta(days=90), scope="all", per_member_limit=1))
        product = session.execute(select(Product).order_by(Product.id.desc()).limit(1)).scalar()
        if product is not None:
            campaign_service.save_campaign(session, dict(
                name=f"{product.name}满300减30", kind="full_reduction", starts_at=now,
                ends_at=None, product_scope="products", customer_scope="all"),
                [(Decimal("300"), Decimal("30"), None)], products=[product], now=now)
        session.flush()
        _seed_wheel(session, now, normal)


def _seed_wheel(session, now, coupon_batch):
    from app.services import lottery_game

    game = lottery_game.save_game(session, dict(
        name="幸运大转盘", game_type="wheel", starts_at=now, ends_at=now + timedelta(days=30),
        per_day=3, total=0, points_cost=0, status="active",
        rules="每人每天可抽 3 次；实物奖品凭核销码到店领取。"))
    for sort, values in enumerate([
            dict(name="10 积分", kind="points", points=10, stock=200, probability="30"),
            dict(name=coupon_batch.name, kind="coupon", coupon_batch_id=coupon_batch.id,
                 stock=20, probability="10"),
            dict(name="鲜榨果汁一杯", kind="gift", amount=Decimal("15"), stock=10,
                 probability="5"),
            dict(name="谢谢参与", kind="thanks", probability="55")]):
        lottery_game.save_prize(session, game, dict(values, sort=sort))
