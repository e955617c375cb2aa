"""Coupons and campaigns on a real database: the operations matrix, issuing and claiming
through the conditional UPDATE + ledger, codes, verification, stats, gifts, quote/redeem/
restore, and campaign exclusivity and customer scopes."""
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id

NOW = datetime(2026, 11, 28, 12, 0)


@pytest.fixture()
def scope(app):
    from app.extensions import db
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        yield db.session
        db.session.rollback()


def _member(session, nickname, phone):
    from app.services import member as members

    return members.create_member(session, nickname=nickname, phone=phone)


def _batch(session, **over):
    from app.services import coupon

    values = dict(name="满50减10", kind="normal", discount_type="cash", value=D("10"),
                  threshold=D("50"), code_prefix="XG", quantity=5, validity_type="range",
                  valid_from=NOW - timedelta(days=1), valid_to=NOW + timedelta(days=30),
                  scope="all", per_member_limit=1)
    values.update(over)
    return coupon.save_batch(session, values)


def test_matrix_by_kind_and_state(scope):
    from app.services import coupon

    normal = _batch(scope)
    reusable = _batch(scope, name="复用码", kind="reusable", code="SUMMER26", quantity=3)
    assert coupon.allowed(normal, "edit") and coupon.allowed(normal, "publish")
    assert not coupon.allowed(normal, "issue")  # a draft cannot be issued
    coupon.publish(scope, normal, NOW)
    coupon.publish(scope, reusable, NOW)
    assert [op for op in ("stats", "publish", "issue", "claim", "void", "delete", "verify")
            if coupon.allowed(normal, op)] == ["stats", "issue", "claim", "void", "delete",
                                               "verify"]
    assert [op for op in ("stats", "publish", "issue", "claim", "void", "delete", "verify")
            if coupon.allowed(reusable, op)] == ["stats", "void", "delete"]
    with pytest.raises(coupon.CouponError, match="已发布"):
        coupon.save_batch(scope, {"name": "改名"}, batch=normal)
    member = _member(scope, "矩阵", "13800001001")
    with pytest.raises(coupon.CouponError, match="复用券无法派发"):
        coupon.issue(scope, reusable, [(member, 1)])


def test_batch_form_errors_are_per_field(scope):
    from app.services import coupon

    errors = coupon.check_batch({"name": "", "kind": "normal", "discount_type": "discount",
                                 "value": D("1.5"), "threshold": D("-1"), "quantity": 0,
                                 "validity_type": "range", "valid_from": NOW,
                                 "valid_to": NOW - timedelta(days=1), "scope": "products",
                                 "per_member_limit": 1, "code_prefix": "有中文"})
    assert set(errors) == {"name", "value", "threshold", "quantity", "valid_to", "products",
                           "code_prefix"}
    _batch(scope, name="唯一码", kind="reusable", code="ONLYONE", quantity=1)
    with pytest.raises(coupon.CouponError) as exc:
        _batch(scope, name="重复码", kind="reusable", code="onlyone", quantity=1)
    assert exc.value.field == "code"


def test_issue_takes_codes_in_order_and_refuses_too_many(scope):
    from app.models.marketing import CouponCode, MemberCoupon
    from app.services import coupon

    batch = _batch(scope, quantity=5)
    coupon.publish(scope, batch, NOW)
    assert scope.execute(select(func.count()).select_from(CouponCode).where(
        CouponCode.batch_id == batch.id)).scalar() == 5
    a, b = _member(scope, "甲", "13800001002"), _member(scope, "乙", "13800001003")
    rows = coupon.issue(scope, batch, [(a, 2), (b, 1)], now=NOW)
    assert [r.member_id for r in rows] == [a.id, a.id, b.id]
    assert len({r.code for r in rows}) == 3 and all(r.code.startswith("XG") for r in rows)
    assert batch.remaining == 2
    with pytest.raises(coupon.CouponError, match="优惠券不足以派发"):
        coupon.issue(scope, batch, [(a, 2), (b, 1)], now=NOW)
    assert batch.remaining == 2  # nothing taken by the refused issue
    assert batch.quantity + coupon.ledger_sum(scope, batch.id) == batch.remaining
    held = scope.execute(select(func.count()).select_from(MemberCoupon).where(
        MemberCoupon.batch_id == batch.id)).scalar()
    assert held == 3
    assert coupon.stats(scope, batch) == {"quantity": 5, "remaining": 2, "issued": 3,
                                          "claimed": 0, "used": 0}


def test_claim_limit_expiry_and_void(scope):
    from app.services import coupon

    batch = _batch(scope, quantity=3, per_member_limit=1)
    coupon.publish(scope, batch, NOW)
    member = _member(scope, "领券", "13800001004")
    got = coupon.claim(scope, batch.id, member, NOW)
    assert got.source == "claim" and got.valid_to == batch.valid_to
    with pytest.raises(coupon.CouponError, match="每人限领 1 张"):
        coupon.claim(scope, batch.id, member, NOW)
    with pytest.raises(coupon.CouponError, match="已过期"):
        coupon.claim(scope, batch.id, _member(scope, "迟到", "13800001005"),
                     NOW + timedelta(days=31))
    coupon.void(scope, batch)
    with pytest.raises(coupon.CouponError, match="已过期"):
        coupon.claim(scope, batch.id, _member(scope, "作废后", "13800001006"), NOW)
    # a coupon taken before 废弃 stays usable within its validity (the guide)
    assert coupon.usable(got, NOW) is None
    coupon.delete(scope, batch)
    scope.refresh(got)
    assert got.status == "voided" and coupon.usable(got, NOW) is not None


def test_days_validity_starts_at_claim(scope):
    from app.services import coupon

    batch = _batch(scope, validity_type="days", valid_days=7, valid_from=None, valid_to=None)
    coupon.publish(scope, batch, NOW)
    got = coupon.claim(scope, batch.id, _member(scope, "七天", "13800001007"), NOW)
    assert (got.valid_from, got.valid_to) == (NOW, NOW + timedelta(days=7))


def test_verify_a_normal_code_once(scope):
    from app.models.marketing import CouponCode
    from app.services import coupon

    batch = _batch(scope, quantity=2)
    coupon.publish(scope, batch, NOW)
    got = coupon.issue(scope, batch, [(_member(scope, "核销", "13800001008"), 1)], now=NOW)[0]
    done = coupon.verify(scope, got.code.lower(), NOW)
    assert done.status == "used" and done.used_at == NOW
    with pytest.raises(coupon.CouponError, match="已核销"):
        coupon.verify(scope, got.code, NOW)
    spare = scope.execute(select(CouponCode).where(CouponCode.batch_id == batch.id,
                                                   CouponCode.status == "available")).scalar()
    with pytest.raises(coupon.CouponError, match="尚未发放"):
        coupon.verify(scope, spare.code, NOW)
    with pytest.raises(coupon.CouponError, match="不存在"):
        coupon.verify(scope, "NOPE0000", NOW)
    reusable = _batch(scope, name="复用", kind="reusable", code="VERIFYME", quantity=5)
    coupon.publish(scope, reusable, NOW)
    with pytest.raises(coupon.CouponError, match="复用券无法核销"):
        coupon.verify(scope, "VERIFYME", NOW)
    assert coupon.stats(scope, batch)["used"] == 1


def test_reusable_code_uses_counted_on_redeem_and_restored(scope):
    from app.services import coupon

    batch = _batch(scope, name="渠道码", kind="reusable", code="WEIBO10", quantity=2,
                   per_member_limit=0, threshold=D("0"))
    coupon.publish(scope, batch, NOW)
    a, b, c = (_member(scope, n, p) for n, p in (("甲", "13800001009"), ("乙", "13800001010"),
                                                  ("丙", "13800001011")))
    ca, cb, cc = (coupon.bind_code(scope, m, "weibo10", NOW) for m in (a, b, c))
    coupon.redeem(scope, ca.id, "NO1", NOW)
    coupon.redeem(scope, cb.id, "NO2", NOW)
    scope.refresh(batch)
    assert batch.remaining == 0
    with pytest.raises(coupon.CouponError, match="使用次数已用完"):
        coupon.redeem(scope, cc.id, "NO3", NOW)
    scope.rollback()
    batch = _batch(scope, name="渠道码2", kind="reusable", code="WEIBO20", quantity=1,
                   per_member_limit=0, threshold=D("0"))
    coupon.publish(scope, batch, NOW)
    # The rollback above took the members with it (PostgreSQL and MariaDB enforce the FK).
    d = _member(scope, "丁", "13800001099")
    used = coupon.bind_code(scope, d, "WEIBO20", NOW)
    coupon.redeem(scope, used.id, "NO4", NOW)
    assert coupon.restore(scope, used.id, "NO4")
    scope.refresh(batch)
    assert batch.remaining == 1 == batch.quantity + coupon.ledger_sum(scope, batch.id)


def test_redeem_restore_and_quote(scope):
    from app.models.catalog import Sku
    from app.services import coupon

    sku = scope.execute(select(Sku).where(Sku.price > 20).order_by(Sku.id).limit(1)).scalar()
    batch = _batch(scope, name="满20减5", value=D("5"), threshold=D("20"), quantity=3)
    coupon.publish(scope, batch, NOW)
    member = _member(scope, "下单", "13800001012")
    got = coupon.issue(scope, batch, [(member, 1)], now=NOW)[0]
    result = coupon.quote(scope, member=member, lines=[(sku.id, 1)], freight=D("0"),
                          coupon_id=got.id, now=NOW)
    assert result.coupon_discount == D("5.00")
    assert result.goods_total == D(sku.price)
    other = _member(scope, "别人", "13800001013")
    with pytest.raises(coupon.CouponError, match="不存在"):
        coupon.quote(scope, member=other, lines=[(sku.id, 1)], freight=0, coupon_id=got.id,
                     now=NOW)
    coupon.redeem(scope, got.id, "ORDER1", NOW)
    with pytest.raises(coupon.CouponError, match="已使用"):
        coupon.redeem(scope, got.id, "ORDER2", NOW)
    assert coupon.restore(scope, got.id, "OTHER") is False
    assert coupon.restore(scope, got.id, "ORDER1") is True
    assert coupon.restore(scope, got.id, "ORDER1") is False  # idempotent
    scope.refresh(got)
    assert got.status == "unused" and got.order_no is None
    expired = NOW + timedelta(days=60)
    with pytest.raises(coupon.CouponError, match="已过期"):
        coupon.redeem(scope, got.id, "ORDER3", expired)


def test_gift_coupons_idempotent_and_skip_when_out(scope):
    from app.services import coupon

    batch = _batch(scope, name="满赠", quantity=1)
    coupon.publish(scope, batch, NOW)
    member = _member(scope, "满赠", "13800001014")
    assert len(coupon.grant_gift_coupons(scope, member, [batch.id], "G1", NOW)) == 1
    assert coupon.grant_gift_coupons(scope, member, [batch.id], "G1", NOW) == []
    assert coupon.grant_gift_coupons(scope, member, [batch.id], "G2", NOW) == []  # none left


def test_signup_gift_at_most_once_per_account(scope):
    from sqlalchemy.exc import IntegrityError

    from app.models.marketing import CouponGiftGrant
    from app.services import coupon

    batch = _batch(scope, name="注册礼", quantity=10, gift_kind="register")
    coupon.publish(scope, batch, NOW)
    member = _member(scope, "新人", "13800001015")
    first = coupon.grant_signup_gift(scope, member, "register", NOW)
    assert first is not None and first.source == "register"
    assert coupon.grant_signup_gift(scope, member, "register", NOW) is None
    scope.add(CouponGiftGrant(merchant_id=member.merchant_id, member_id=member.id,
                              kind="register"))
    with pytest.raises(IntegrityError):
        scope.flush()
    scope.rollback()


# -- campaigns -----------------------------------------------------------------------------
def _products(session, n=2):
    from app.models.catalog import Product

    return session.execute(select(Product).order_by(Product.id).limit(n)).scalars().all()


def _campaign(session, name, kind="full_reduction", products=(), tiers=None, **over):
    from app.services import campaign

    values = dict(name=name, kind=kind, starts_at=NOW - timedelta(days=1), ends_at=None,
                  product_scope="products" if products else "all", customer_scope="all")
    values.update(over)
    tiers = tiers if tiers is not None else [(D("100"), D("10"), None)]
    return campaign.save_campaign(session, values, tiers, products=products,
                                  levels=over.pop("levels", ()), now=NOW)


def test_exclusivity_names_the_clashing_campaign(scope):
    from app.services import campaign

    p1, p2 = _products(scope)
    first = _campaign(scope, "双十二满减", products=[p1])
    with pytest.raises(campaign.CampaignError, match="双十二满减") as exc:
        _campaign(scope, "冲突满折", kind="full_discount", products=[p1, p2],
                  tiers=[(D("100"), D("0.9"), None)])
    assert exc.value.field == "products" and p1.name in str(exc.value)
    # free shipping never clashes; an ended campaign frees its products
    _campaign(scope, "包邮", kind="free_shipping", products=[p1], tiers=[])
    _campaign(scope, "全场满减", tiers=[(D("200"), D("30"), None)])
    with pytest.raises(campaign.CampaignError, match="全场满减"):
        _campaign(scope, "全场满折", kind="full_discount", tiers=[(D("100"), D("0.9"), None)])
    # a permanent campaign overlaps every later window, until it is ended
    with pytest.raises(campaign.CampaignError, match="双十二满减"):
        _campaign(scope, "明年", products=[p1], starts_at=NOW + timedelta(days=400))
    campaign.end_campaign(scope, first, NOW)
    _campaign(scope, "接力", products=[p1], ends_at=NOW + timedelta(days=10))
    _campaign(scope, "明年", products=[p1], starts_at=NOW + timedelta(days=400))
    with pytest.raises(campaign.CampaignError, match="已结束"):
        campaign.end_campaign(scope, first, NOW)
    scope.rollback()


def test_tier_rules(scope):
    from app.services import campaign

    assert campaign.check_tiers("full_reduction", [(D("100"), D("10"), None),
                                                   (D("100"), D("20"), None)])
    assert campaign.check_tiers("full_reduction", [(D("50"), D("60"), None)])
    assert campaign.check_tiers("full_reduction", [(D("50"), D("5"), None),
                                                   (D("100"), D("10"), None)], per_threshold=True)
    assert campaign.check_tiers("full_discount", [(D("2.5"), D("0.9"), None)], by_count=True)
    assert campaign.check_tiers("gift_coupon", [(D("100"), None, None)])
    assert campaign.check_tiers("full_discount", [(D("3"), D("0.8"), None)], by_count=True) is None


def test_customer_scopes_and_quote(scope):
    from app.models.catalog import Sku
    from app.services import campaign, coupon
    from app.services import member as members

    level = members.ensure_default_level(scope)
    sku = scope.execute(select(Sku).order_by(Sku.id).limit(1)).scalar()
    everyone = _campaign(scope, "全员", tiers=[(D("0.01"), D("0.01"), None)],
                         products=[sku.product], kind="full_reduction")
    newbie = _member(scope, "首单", "13800001016")
    regular = _member(scope, "老客", "13800001017")
    regular.order_count = 3
    first = _campaign(scope, "首单包邮", kind="free_shipping", customer_scope="first_order",
                      tiers=[])
    vip = _campaign(scope, "会员包邮", kind="free_shipping", customer_scope="levels",
                    levels=[level], tiers=[], starts_at=NOW - timedelta(hours=1))
    ids = lambda m: {c.id for c in campaign.active_campaigns(scope, m, NOW)}  # noqa: E731
    assert {everyone.id, first.id} <= ids(newbie)
    assert first.id not in ids(regular)
    assert (vip.id in ids(regular)) == (regular.level_id == level.id)
    result = coupon.quote(scope, member=regular, lines=[(sku.id, 1)], freight=D("6"), now=NOW)
    assert result.campaign_discount == D("0.01") and everyone.id in result.campaign_ids
    scope.rollback()
