"""版本记录 → 载入草稿 in a browser: an old version is copied into the draft and opened in
the builder without being published; when the draft holds unpublished changes the page
warns, and the browser asks before overwriting them (cancel keeps the draft)."""
import json
from decimal import Decimal

from playwright.sync_api import expect

from tests.e2e.conftest import log_in_new_owner


def _published_page(live_server, merchant, shop_id):
    """A page with v1 (product 甲) and v2 (product 乙) published; the draft equals v2."""
    from app.extensions import db
    from app.models.catalog import Product
    from app.models.shop import Shop
    from app.services import decoration
    from app.tenancy import tenant_scope

    with live_server.app.app_context(), tenant_scope(merchant.id):
        session = db.session
        products = [Product(merchant_id=merchant.id, name=name, price=Decimal("9.90"),
                            stock=3, status="on_shelf") for name in ("载入甲", "载入乙")]
        session.add_all(products)
        session.flush()
        page = decoration.new_page(session, shop=session.get(Shop, shop_id), title="载入页")
        for product in products:
            doc = {"title": "载入页", "bg_color": "#FFFFFF", "components": [
                {"type": "products", "settings": {"source": "pick", "product_ids": [product.id],
                                                  "columns": 2, "show_price": True,
                                                  "show_buy": True}}]}
            decoration.save_draft(session, page=page, raw=json.dumps(doc), operator_name="测试")
            decoration.publish_page(session, page=page, operator="测试")
        session.commit()
        pk = page.id
        session.remove()
    return pk


def _draft_names(live_server, pk):
    from app.extensions import db
    from app.models.catalog import Product
    from app.models.decoration import DecorationPage
    from app.tenancy import platform_scope

    with live_server.app.app_context(), platform_scope():
        page = db.session.get(DecorationPage, pk)
        ids = json.loads(page.draft)["components"][0]["settings"]["product_ids"]
        names = [db.session.get(Product, i).name for i in ids]
        version = page.published_version_id
        db.session.remove()
    return names, version


def test_load_an_old_version_into_the_draft(page, live_server, new_merchant, screenshot):
    merchant = new_merchant(shops=[("载入草稿店", "diy_mini")])
    pk = _published_page(live_server, merchant, merchant.shop_ids["载入草稿店"])
    online = _draft_names(live_server, pk)[1]
    log_in_new_owner(page, live_server, merchant)
    dialogs = []

    page.goto(live_server(f"/pageview/history/{pk}"))
    expect(page.locator("#draft-differs")).to_have_count(0)
    page.locator('#version-table tr[data-version="1"]').get_by_role(
        "button", name="载入草稿").click()
    expect(page.get_by_text("已把版本 v1 载入草稿")).to_be_visible()
    expect(page.locator("#canvas .md-pv-name")).to_have_text(["载入甲"])
    assert _draft_names(live_server, pk) == (["载入甲"], online)  # not published

    # now the draft differs from v2: warned, and the browser asks before overwriting
    page.goto(live_server(f"/pageview/history/{pk}"))
    expect(page.locator("#draft-differs")).to_be_visible()
    screenshot("history-draft-differs")
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator('#version-table tr[data-version="2"]').get_by_role(
        "button", name="载入草稿").click()
    assert dialogs and "会被覆盖" in dialogs[0]
    assert _draft_names(live_server, pk) == (["载入甲"], online)  # cancelled: unchanged
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#version-table tr[data-version="2"]').get_by_role(
        "button", name="载入草稿").click()
    expect(page.get_by_text("已把版本 v2 载入草稿")).to_be_visible()
    assert _draft_names(live_server, pk) == (["载入乙"], online)
