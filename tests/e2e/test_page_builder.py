"""页面设计 in a browser: drag a 商品列表 from the palette onto the phone canvas (SortableJS,
real pointer events), pick a product, save, publish; the public page API shows the product.
A second version with another product is published, then 回滚 to v1 shows the first
product again."""
import os

from playwright.sync_api import expect

from tests.conftest import requires_service
from tests.e2e.conftest import log_in_new_owner


def _products(live_server, merchant, names):
    from decimal import Decimal

    from app.extensions import db
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with live_server.app.app_context(), tenant_scope(merchant.id):
        rows = [Product(merchant_id=merchant.id, name=name, price=Decimal("12.50") + i,
                        stock=5, status="on_shelf") for i, name in enumerate(names)]
        db.session.add_all(rows)
        db.session.commit()
        ids = [p.id for p in rows]
        db.session.remove()
    return ids


def _drag(page, source, target):
    """A pointer drag with intermediate moves, as SortableJS needs."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(start["x"] + (end["x"] + 60 - start["x"]) * step / 10,
                        start["y"] + (end["y"] + 40 - start["y"]) * step / 10)
        page.wait_for_timeout(30)
    page.mouse.up()


def _pick(page, name):
    page.locator("#product-search").fill(name)
    page.locator(".md-add-product", has_text=name).click()


def _save_and_publish(page, version):
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#builder-ok")).to_contain_text("草稿已保存")
    page.get_by_role("button", name="发布").click()
    expect(page.locator("#builder-ok")).to_have_text(f"已发布为版本 v{version}")


def _public_names(page, url):
    response = page.request.get(url)
    assert response.status == 200, response.text()
    body = response.json()
    products = [c for c in body["components"] if c["type"] == "products"]
    return body["page"]["version"], [p["name"] for p in products[0]["settings"]["products"]]


def test_drag_pick_publish_and_roll_back(page, live_server, new_merchant, screenshot):
    vendor = os.path.join(live_server.app.static_folder, "vendor", "sortable", "Sortable.min.js")
    requires_service("SortableJS", os.path.isfile(vendor), "run `make vendor` (npm)")
    merchant = new_merchant(shops=[("装修测试百变店", "diy_mini")])
    shop_id = merchant.shop_ids["装修测试百变店"]
    _products(live_server, merchant, ["端到端红富士", "端到端砂糖橘"])
    log_in_new_owner(page, live_server, merchant)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(live_server("/pageview/list/"))
    page.get_by_placeholder("页面标题").fill("端到端首页")
    page.get_by_role("button", name="新建").click()
    expect(page.locator("#canvas")).to_be_visible()
    page_id = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator("#builder-no-vendor")).to_have_count(0)

    _drag(page, page.locator("#palette-products"), page.locator("#canvas"))
    expect(page.locator('#canvas .md-canvas-item[data-type="products"]')).to_have_count(1)
    _pick(page, "端到端红富士")
    expect(page.locator("#canvas .md-pv-name")).to_have_text(["端到端红富士"])
    screenshot("picked")
    _save_and_publish(page, 1)
    api = live_server(f"/api/v1/shops/{shop_id}/pages/{page_id}")
    assert _public_names(page, api) == (1, ["端到端红富士"])

    # v2: the other product; the draft is not public until published
    page.locator(".md-chosen button").click()
    _pick(page, "端到端砂糖橘")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#builder-ok")).to_contain_text("草稿已保存")
    assert _public_names(page, api) == (1, ["端到端红富士"])
    page.get_by_role("button", name="发布").click()
    expect(page.locator("#builder-ok")).to_have_text("已发布为版本 v2")
    assert _public_names(page, api) == (2, ["端到端砂糖橘"])

    # 版本记录 → 回滚 v1
    page.goto(live_server(f"/pageview/history/{page_id}"))
    row = page.locator('#version-table tr[data-version="1"]')
    row.get_by_role("button", name="回滚").click()
    expect(page.get_by_text("已回滚：版本 v1 重新发布为 v3")).to_be_visible()
    screenshot("history")
    assert _public_names(page, api) == (3, ["端到端红富士"])


def test_personalize_previews_live_and_template_styles_render(page, live_server, new_merchant,
                                                               screenshot):
    merchant = new_merchant(shops=[("样式测试小程序", "mini_mall")])
    shop_id = merchant.shop_ids["样式测试小程序"]
    log_in_new_owner(page, live_server, merchant)
    page.goto(live_server(f"/decorationview/personalize/{shop_id}"))
    page.locator("#accent_color").fill("#00aa00")
    assert page.locator("#style-preview").evaluate(
        "el => el.style.getPropertyValue('--md-accent')") == "#00aa00"
    assert page.locator("#style-preview .md-pv-buy").first.evaluate(
        "el => getComputedStyle(el).backgroundColor") == "rgb(0, 170, 0)"
    screenshot("personalize")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存个性化设置")).to_be_visible()
    page.goto(live_server(f"/decorationview/template/{shop_id}"))
    expect(page.locator(".md-template-choice .md-phone")).to_have_count(5)
    # the five previews differ in layout, not only in name
    columns = page.locator(".md-template-choice .md-pv-goods").evaluate_all(
        "els => els.map(e => getComputedStyle(e).gridTemplateColumns.split(' ').length)")
    assert len(set(columns)) >= 3, columns
    page.locator('input[value="magazine"]').check()
    screenshot("templates")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存模板样式")).to_be_visible()
