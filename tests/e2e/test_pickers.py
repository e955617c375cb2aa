"""Searchable pickers in a browser: the 营销活动 form finds products by name and customers by
phone through the tenant-scoped endpoint, shows them as removable chips, and posts the
same text fields the form took before (product ids, phones one per line)."""
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import log_in_new_owner


def _seed(app, merchant_id):
    """Two products and two members of the merchant; returns their ids and phones."""
    from app.extensions import db
    from app.models.catalog import Product
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id):
        products = []
        for name in ("端到端红富士苹果", "端到端砂糖橘"):
            product = Product(name=name, code=None, price=Decimal("10"),
                              original_price=Decimal("10"), cost_price=Decimal("1"), stock=0,
                              status="on_shelf")
            db.session.add(product)
            db.session.flush()
            products.append(product.id)
        people = []
        for n, phone in enumerate(("13612340001", "13612340002")):
            member = members.create_member(db.session, nickname=f"选择器顾客{n}", phone=phone)
            people.append(member.phone)
        db.session.commit()
        db.session.remove()
    return products, people


def test_campaign_form_pickers_search_chip_and_post(page, live_server, new_merchant,
                                                    screenshot):
    from app.extensions import db
    from app.models.catalog import Product
    from app.models.marketing import Campaign
    from app.tenancy import platform_scope

    merchant = new_merchant(shops=[("选择器测试商城", "wx_mall")])
    other = new_merchant(shops=[("别家商城", "wx_mall")])
    (apple, orange), (phone_a, phone_b) = _seed(live_server.app, merchant.id)
    (foreign_apple, _o), _people = _seed(live_server.app, other.id)
    log_in_new_owner(page, live_server, merchant)
    page.goto(live_server("/campaignview/new"))
    page.locator("#kind").select_option("full_reduction")
    page.locator("#name").fill("选择器满减")
    page.locator("#starts_at").fill("2026-01-01T00:00")
    page.locator('input[name="threshold_0"]').fill("100")
    page.locator('input[name="value_0"]').fill("10")
    page.locator("#product_scope").select_option("products")

    products = page.locator('.md-picker:has(input[name="product_ids"])')
    expect(products.locator('input[name="product_ids"]')).to_be_hidden()  # the JS took over
    search = products.locator(".md-picker-search")
    search.fill("端到端")
    options = products.locator(".md-picker-option")
    expect(options).to_have_count(2)  # the other merchant's namesakes never show
    expect(products.get_by_text(f"端到端红富士苹果（ID {foreign_apple}）")).to_have_count(0)
    options.filter(has_text="红富士").click()
    options.filter(has_text="砂糖橘").click()
    chips = products.locator(".md-chip")
    expect(chips).to_have_count(2)
    expect(products.locator('input[name="product_ids"]')).to_have_value(f"{apple},{orange}")
    chips.filter(has_text="砂糖橘").locator(".md-chip-remove").click()
    expect(chips).to_have_count(1)
    expect(products.locator('input[name="product_ids"]')).to_have_value(str(apple))

    page.locator("#customer_scope").select_option("members")
    customers = page.locator('.md-picker:has(textarea[name="member_phones"])')
    customers.locator(".md-picker-search").fill("1361234000")
    expect(customers.locator(".md-picker-option")).to_have_count(2)
    customers.locator(".md-picker-option").filter(has_text=phone_a).click()
    customers.locator(".md-picker-search").fill(phone_b)
    customers.locator(".md-picker-search").press("Enter")  # picks the first match
    expect(customers.locator(".md-chip")).to_have_count(2)
    expect(customers.locator('textarea[name="member_phones"]')).to_have_value(
        f"{phone_a}\n{phone_b}")
    screenshot("chosen")
    page.get_by_role("button", name="保存").click()
    # The saved campaign's row, not the flash: a picker search still in flight can answer
    # after the save and its refreshed session cookie then replaces the one carrying the
    # flash (seen once in a full run).
    expect(page.get_by_role("cell", name="选择器满减", exact=True)).to_be_visible()
    with live_server.app.app_context(), platform_scope():
        campaign = db.session.execute(select(Campaign).where(
            Campaign.merchant_id == merchant.id, Campaign.name == "选择器满减")).scalar_one()
        assert [p.id for p in campaign.products] == [apple]
        assert sorted(m.phone for m in campaign.members) == [phone_a, phone_b]
        pk = campaign.id
        assert db.session.get(Product, foreign_apple).merchant_id == other.id

    # Editing shows the saved choices as chips.
    page.goto(live_server(f"/campaignview/edit-campaign/{pk}"))
    expect(page.locator('.md-picker:has(input[name="product_ids"]) .md-chip')).to_have_text(
        [f"端到端红富士苹果（ID {apple}） ×"])
    expect(page.locator('.md-picker:has(textarea[name="member_phones"]) .md-chip')).to_have_count(2)
    screenshot("edit")


def test_picker_falls_back_to_the_text_field_without_javascript(browser, live_server,
                                                                new_merchant):
    from tests.e2e.conftest import VIEWPORT

    merchant = new_merchant(shops=[("无脚本商城", "wx_mall")])
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False,
                                  locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server("/login/"))
        # The forced password change needs no script either.
        log_in_new_owner(page, live_server, merchant)
        page.goto(live_server("/campaignview/new"))
        expect(page.locator('input[name="product_ids"]')).to_be_visible()
        expect(page.locator(".md-picker-search").first).to_be_hidden()
        expect(page.locator('textarea[name="member_phones"]')).to_be_visible()
    finally:
        context.close()
