"""派发 (优惠券管理) in a browser: customers are found by phone through the 派发 picker
(tenant-scoped), shown as chips, and each chosen customer gets the quantity."""
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.conftest import log_in_new_owner


def _seed(app, merchant_id):
    """A published 普通券 of 5 and two members; returns (batch id, phones)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.services import coupon
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id):
        now = china_now()
        batch = coupon.save_batch(db.session, dict(
            name="派发选择器券", kind="normal", discount_type="cash", value=Decimal("5"),
            threshold=Decimal("0"), code_prefix="PKE", quantity=5, validity_type="range",
            valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=10),
            scope="all", per_member_limit=0))
        coupon.publish(db.session, batch)
        phones = []
        for n, phone in enumerate(("13744000041", "13744000042")):
            phones.append(members.create_member(db.session, nickname=f"派发顾客{n}",
                                                phone=phone).phone)
        db.session.commit()
        pk = batch.id
        db.session.remove()
    return pk, phones


def test_issue_picks_customers_as_chips_and_issues(page, live_server, new_merchant,
                                                   screenshot):
    from app.extensions import db
    from app.models.marketing import CouponBatch, MemberCoupon
    from app.tenancy import platform_scope

    merchant = new_merchant(shops=[("派发测试商城", "wx_mall")])
    pk, (phone_a, phone_b) = _seed(live_server.app, merchant.id)
    log_in_new_owner(page, live_server, merchant)
    page.goto(live_server(f"/couponbatchview/issue/{pk}"))
    picker = page.locator('.md-picker:has(textarea[name="member_phones"])')
    expect(picker.locator('textarea[name="member_phones"]')).to_be_hidden()  # JS took over
    picker.locator(".md-picker-search").fill("137440000")
    expect(picker.locator(".md-picker-option")).to_have_count(2)
    picker.locator(".md-picker-option").filter(has_text=phone_a).click()
    picker.locator(".md-picker-search").fill(phone_b)
    picker.locator(".md-picker-search").press("Enter")
    expect(picker.locator(".md-chip")).to_have_count(2)
    expect(picker.locator('textarea[name="member_phones"]')).to_have_value(
        f"{phone_a}\n{phone_b}")
    page.locator("#quantity").fill("2")
    screenshot("chosen")
    page.get_by_role("button", name="确定派发").click()
    expect(page.get_by_text("已派发 4 张优惠券给 2 位顾客")).to_be_visible()
    with live_server.app.app_context(), platform_scope():
        assert db.session.get(CouponBatch, pk).remaining == 1
        assert db.session.execute(select(func.count(MemberCoupon.id)).where(
            MemberCoupon.batch_id == pk)).scalar() == 4
