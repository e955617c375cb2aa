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


def _library(live_server, merchant, files, group_name=None):
    """Files in the merchant's 素材库 ({name: bytes}), optionally in a new group; their URLs."""
    from app.extensions import db
    from app.models.media import MediaGroup
    from app.services import media
    from app.tenancy import tenant_scope

    app = live_server.app
    with app.app_context(), tenant_scope(merchant.id):
        group = None
        if group_name:
            group = MediaGroup(merchant_id=merchant.id, name=group_name, sort=0)
            db.session.add(group)
            db.session.flush()
        rows = {name: media.upload_media(db.session, merchant_id=merchant.id,
                                         storage=media.storage_for(app.config),
                                         filename=name, data=data, group=group)
                for name, data in files.items()}
        db.session.commit()
        urls = {name: row.public_path for name, row in rows.items()}
        db.session.remove()
    return urls


def _png(color):
    import io

    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(stream, format="PNG")
    return stream.getvalue()


def test_builder_images_and_video_come_from_the_shared_library_dialog(
        page, live_server, new_merchant, screenshot, tmp_path):
    """轮播图, a 底部导航 icon and the 视频 component use the same 素材库 dialog as every form
    (groups, upload, video mode); the published page carries the chosen library files."""
    merchant = new_merchant(shops=[("素材装修店", "wx_mall")])
    shop_id = merchant.shop_ids["素材装修店"]
    urls = _library(live_server, merchant, {"分组里的横幅.png": _png("red")}, "活动横幅")
    urls.update(_library(live_server, merchant, {
        "未分组的图.png": _png("green"),
        "门店视频.mp4": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64}))
    log_in_new_owner(page, live_server, merchant)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server("/pageview/list/"))
    page.get_by_placeholder("页面标题").fill("素材首页")
    page.get_by_role("button", name="新建").click()
    expect(page.locator("#canvas")).to_be_visible()
    page_id = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator("#media-modal")).to_have_count(0)  # no picker of its own any more

    # 轮播图 → 添加图片: the shared dialog, filtered by group
    page.locator("#palette-banner").click()
    page.locator(".md-add-image").click()
    picker = page.locator("#md-media-picker")
    expect(picker).to_be_visible()
    expect(picker.locator(".md-mp-title")).to_have_text("从素材库选择图片")
    expect(picker.locator(".md-mp-item")).to_have_count(2)
    group = picker.locator("select.md-mp-group")
    expect(group).to_be_visible()
    group.select_option(label="活动横幅")
    expect(picker.locator(".md-mp-item")).to_have_count(1)
    screenshot("banner-dialog")
    picker.locator('.md-mp-item[title="分组里的横幅.png"]').click()
    expect(picker).to_be_hidden()
    expect(page.locator("#canvas .md-pv-banner img")).to_have_attribute(
        "src", urls["分组里的横幅.png"])

    # 底部导航: an icon image uploaded from the dialog is used at once
    page.locator("#palette-tab_bar").click()
    page.locator('#settings .md-media-field[data-key="image"] .md-pick-media').first.click()
    expect(picker).to_be_visible()
    upload = tmp_path / "导航图标.png"
    upload.write_bytes(_png("blue"))
    picker.locator(".md-mp-upload").set_input_files(str(upload))
    expect(picker).to_be_hidden()
    expect(page.locator("#canvas .md-phone-tabs img.md-pv-icon")).to_have_count(1)

    # 视频: the dialog in video mode lists only MP4 files
    page.locator("#palette-video").click()
    page.locator('#settings .md-media-field[data-key="video"] .md-pick-media').click()
    expect(picker.locator(".md-mp-title")).to_have_text("从素材库选择视频")
    expect(picker.locator(".md-mp-item")).to_have_count(1)
    expect(picker.locator(".md-mp-upload")).to_have_attribute("accept", ".mp4")
    picker.locator('.md-mp-item[title="门店视频.mp4"]').click()
    expect(picker).to_be_hidden()
    screenshot("builder-with-media")

    _save_and_publish(page, 1)
    response = page.request.get(live_server(f"/api/v1/shops/{shop_id}/pages/{page_id}"))
    assert response.status == 200, response.text()
    components = {c["type"]: c["settings"] for c in response.json()["components"]}
    assert components["banner"]["images"][0]["image"] == urls["分组里的横幅.png"]
    assert components["video"]["video"] == urls["门店视频.mp4"]
    icon = components["tab_bar"]["tabs"][0]["image"]
    assert icon.startswith("/api/v1/media/") and icon not in urls.values()
    assert page.request.get(live_server(icon)).body() == upload.read_bytes()
