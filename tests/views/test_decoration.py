"""商城装修 through the test client: the shop list and its actions, the builder, drafts,
发布, 版本记录, 回滚, bad input (the last good draft survives) and the public page API."""
import json
import os
import re

import pytest
from sqlalchemy import select

from tests.conftest import merchant_id


def _db():
    from app.extensions import db

    return db


@pytest.fixture()
def ids(app):
    """Merchant A and B ids, A's first shop, A's on-shelf products, B's product."""
    from app.models.catalog import Product
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    a, b = merchant_id(app, "鲜果时光"), merchant_id(app, "茶语小铺")
    with app.app_context():
        session = _db().session
        with tenant_scope(a):
            shop = session.execute(select(Shop.id).order_by(Shop.id)).scalars().first()
            products = session.execute(select(Product.id).where(
                Product.status == "on_shelf").order_by(Product.id)).scalars().all()
            hidden = session.execute(select(Product.id).where(
                Product.status != "on_shelf")).scalars().first()
        with tenant_scope(b):
            other = session.execute(select(Product.id)).scalars().first()
        session.rollback()
    return {"a": a, "b": b, "shop": shop, "products": products, "hidden": hidden,
            "other": other}


def new_page(client, shop, title):
    response = client.post("/pageview/new", data={"shop_id": shop, "title": title,
                                                  "csrf_token": client.csrf()})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def save(client, pk, document, is_home=None):
    body = {"document": document}
    if is_home is not None:
        body["is_home"] = is_home
    return client.post(f"/pageview/save/{pk}", data=json.dumps(body),
                       content_type="application/json",
                       headers={"X-CSRFToken": client.csrf(), "Accept": "application/json"})


def publish(client, pk):
    return client.post(f"/pageview/publish/{pk}", data="{}", content_type="application/json",
                       headers={"X-CSRFToken": client.csrf(), "Accept": "application/json"})


def doc(*components, title="活动页"):
    return {"title": title, "bg_color": "#FFFFFF",
            "components": [{"id": f"c{i}", "type": t, "settings": s}
                           for i, (t, s) in enumerate(components)]}


def product_list(*product_ids):
    return ("products", {"source": "pick", "product_ids": list(product_ids), "columns": 2,
                         "show_price": True, "show_buy": True})


def draft_of(app, pk):
    from app.models.decoration import DecorationPage
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        page = _db().session.get(DecorationPage, pk)
        return json.loads(page.draft), page.published_version_id


def test_decoration_list_shows_every_shop_with_actions(login_as):
    client = login_as("owner_a")
    html = client.get("/decorationview/list/").get_data(as_text=True)
    for text in ("鲜果时光微商城", "鲜果时光小程序", "设置个性化", "设置模板样式", "查看二维码",
                 "页面设计"):
        assert text in html
    assert "茶语" not in html
    # 页面设计 of one shop lists that shop's pages (the demo home page)
    design = re.search(r'href="(/pageview/list/\?_flt_0_shop=\d+)"', html).group(1)
    pages = client.get(design.replace("&amp;", "&"))
    assert pages.status_code == 200 and "鲜果时光微商城首页" in pages.get_data(as_text=True)


def test_personalize_saves_colours_and_refuses_bad_ones(app, login_as, ids):
    from app.models.decoration import ShopStyle
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    url = f"/decorationview/personalize/{ids['shop']}"
    assert "主色" in client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"main_color": "red", "accent_color": "#00FF00",
                                 "csrf_token": client.csrf()})
    assert bad.status_code == 422 and "颜色格式应为 #RRGGBB" in bad.get_data(as_text=True)
    ok = client.post(url, data={"main_color": "#112233", "accent_color": "#00ff00",
                                "csrf_token": client.csrf()})
    assert ok.status_code == 302
    with app.app_context(), tenant_scope(ids["a"]):
        assert _db().session.get(Shop, ids["shop"]).theme_color == "#112233"
        style = _db().session.execute(select(ShopStyle).where(
            ShopStyle.shop_id == ids["shop"])).scalar()
        assert style.accent_color == "#00FF00"


def test_template_style_renders_five_previews_for_mini_mall(app, login_as, ids):
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(ids["a"]):
        mini = _db().session.execute(select(Shop.id).where(Shop.shop_type == "mini_mall")).scalar()
    client = login_as("owner_a")
    html = client.get(f"/decorationview/template/{mini}").get_data(as_text=True)
    assert html.count('class="md-phone md-style-') == 5
    for label in ("经典商城", "九宫格", "杂志大图", "瀑布流", "极简列表"):
        assert label in html
    response = client.post(f"/decorationview/template/{mini}",
                           data={"template_style": "grid", "csrf_token": client.csrf()})
    assert response.status_code == 302
    assert 'value="grid" checked' in client.get(
        f"/decorationview/template/{mini}").get_data(as_text=True)
    # a 微商城 has no template styles: it goes to 页面设计
    wx = client.get(f"/decorationview/template/{ids['shop']}")
    assert wx.status_code == 302 and "/pageview/list" in wx.location


def test_draft_publish_history_and_rollback(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "夏季活动")
    first, second = ids["products"][0], ids["products"][1]
    assert save(client, pk, doc(product_list(first))).get_json()["ok"] is True
    # a draft is not public
    api = f"/api/v1/shops/{ids['shop']}/pages/{pk}"
    assert client.get(api).status_code == 404
    response = publish(client, pk)
    assert response.get_json() == {"ok": True, "message": "已发布为版本 v1", "error": None,
                                   "version": 1}
    cards = client.get(api).get_json()["components"][0]["settings"]["products"]
    assert [c["id"] for c in cards] == [first]
    # a new draft changes nothing public until it is published
    assert save(client, pk, doc(product_list(second))).get_json()["ok"] is True
    assert client.get(api).get_json()["page"]["version"] == 1
    assert publish(client, pk).get_json()["version"] == 2
    assert [c["id"] for c in client.get(api).get_json()["components"][0]["settings"]
            ["products"]] == [second]
    history = client.get(f"/pageview/history/{pk}").get_data(as_text=True)
    assert "v1" in history and "v2" in history and "鲜果时光" in history  # who published
    # preview of an old version
    from app.models.decoration import PageVersion
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(ids["a"]):
        v1 = _db().session.execute(select(PageVersion).where(
            PageVersion.page_id == pk, PageVersion.number == 1)).scalar()
        v1_id = v1.id
    preview = client.get(f"/pageview/preview/{pk}?version={v1_id}").get_data(as_text=True)
    assert "版本 v1 预览" in preview
    # 回滚 publishes v1 again as v3
    response = client.post(f"/pageview/rollback/{pk}", data={
        "version_id": v1_id, "csrf_token": client.csrf()}, follow_redirects=True)
    assert "已回滚：版本 v1 重新发布为 v3" in response.get_data(as_text=True)
    body = client.get(api).get_json()
    assert body["page"]["version"] == 3
    assert [c["id"] for c in body["components"][0]["settings"]["products"]] == [first]
    # the draft was not touched by the rollback
    assert draft_of(app, pk)[0]["components"][0]["settings"]["product_ids"] == [second]


def test_bad_input_is_refused_and_the_last_good_draft_survives(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "坏输入")
    good = doc(("notice", {"text": "好公告"}))
    assert save(client, pk, good).get_json()["ok"] is True
    cases = [
        (doc(("notice", {"text": "<script>alert(1)</script>"})), "公告内容不能包含 < 或 >"),
        (doc(("notice", {"text": "x"}), ("iframe", {})), "第 2 个组件「iframe」：未知的组件类型"),
        (doc(product_list(ids["other"])), "第 1 个组件「商品列表」：商品（ID"),
        (doc(("notice", {"text": "x", "link": {"kind": "product", "id": ids["other"]}})),
         "不存在或不属于本商家"),
        (doc(("banner", {"images": [{"image": "https://cdn.example/a.png"}]})),
         "第 1 个组件「轮播图」：轮播图片：只能使用素材库中的文件"),
    ]
    for document, expected in cases:
        response = save(client, pk, document)
        assert response.status_code == 422, document
        assert expected in response.get_json()["error"], response.get_json()
    # 10 MB: over the request limit (MAX_CONTENT_LENGTH), refused before any view runs
    for size, expected in ((10 * 1024 * 1024, "上传的文件太大"), (1024 * 1024, "页面内容过大")):
        huge = client.post(f"/pageview/save/{pk}", data=b'{"document": {"title": "' +
                           b"x" * size + b'"}}', content_type="application/json",
                           headers={"X-CSRFToken": client.csrf(), "Accept": "application/json"})
        assert huge.status_code == 413 and expected in huge.get_json()["error"]
    # under the request limit but over the page limit once parsed: refused by the schema
    padded = doc(("rich_text", {"html": "<p>" + "好" * 15000 + "</p>"}),
                 *[("rich_text", {"html": "<p>" + "好" * 15000 + "</p>"})] * 12)
    response = save(client, pk, padded)
    assert response.status_code in (413, 422) and "页面内容过大" in response.get_json()["error"]
    malformed = client.post(f"/pageview/save/{pk}", data="{not json",
                            content_type="application/json",
                            headers={"X-CSRFToken": client.csrf()})
    assert malformed.status_code == 422 and malformed.get_json()["error"] == "页面数据格式无效"
    assert draft_of(app, pk)[0]["components"][0]["settings"]["text"] == "好公告"


def test_rich_text_is_stored_sanitized(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "图文页")
    response = save(client, pk, doc(("rich_text", {
        "html": '<p>介绍<img src="x" onerror="alert(1)"></p><script>alert(2)</script>'})))
    # the <img> is not a library file: refused, naming the component
    assert response.status_code == 422
    assert "第 1 个组件「图文」" in response.get_json()["error"]
    response = save(client, pk, doc(("rich_text", {
        "html": '<p onmouseover="x()">介绍</p><script>alert(2)</script>'})))
    stored = draft_of(app, pk)[0]["components"][0]["settings"]["html"]
    assert response.get_json()["ok"] and stored == "<p>介绍</p>"


def test_publishing_an_empty_page_is_refused(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "空页面")
    response = publish(client, pk)
    assert response.status_code == 422
    assert response.get_json()["error"] == "页面还没有任何组件，不能发布"
    assert draft_of(app, pk)[1] is None


def test_public_api_shows_only_on_shelf_products_and_home(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "上下架")
    assert save(client, pk, doc(product_list(ids["products"][0], ids["hidden"])),
                is_home=True).get_json()["ok"]
    assert publish(client, pk).get_json()["ok"]
    anonymous = app.test_client()
    body = anonymous.get(f"/api/v1/shops/{ids['shop']}/pages/home").get_json()
    assert body["page"]["id"] == pk and body["page"]["is_home"] is True
    cards = body["components"][0]["settings"]["products"]
    assert [c["id"] for c in cards] == [ids["products"][0]]
    assert set(cards[0]) >= {"name", "price", "image", "stock_status"}
    assert anonymous.get(f"/api/v1/shops/{ids['shop']}/pages/abc").status_code == 404
    assert anonymous.get("/api/v1/shops/999999/pages/home").get_json()["error"] == "商城不存在"


def test_public_api_is_cached_until_the_next_publish(app, login_as, ids):
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "缓存")
    target = ids["products"][2]
    assert save(client, pk, doc(product_list(target))).get_json()["ok"]
    assert publish(client, pk).get_json()["ok"]
    api = f"/api/v1/shops/{ids['shop']}/pages/{pk}"
    name = client.get(api).get_json()["components"][0]["settings"]["products"][0]["name"]
    with app.app_context(), tenant_scope(ids["a"]):
        product = _db().session.get(Product, target)
        product.name = name + "改"
        _db().session.commit()
    try:
        assert client.get(api).get_json()["components"][0]["settings"]["products"][0][
            "name"] == name  # cached by version id
        assert publish(client, pk).get_json()["ok"]
        assert client.get(api).get_json()["components"][0]["settings"]["products"][0][
            "name"] == name + "改"
    finally:
        with app.app_context(), tenant_scope(ids["a"]):
            _db().session.get(Product, target).name = name
            _db().session.commit()


def test_other_merchant_cannot_open_or_save_the_page(app, login_as, ids):
    owner_a = login_as("owner_a")
    pk = new_page(owner_a, ids["shop"], "隔离")
    owner_b = login_as("owner_b")
    assert owner_b.get(f"/pageview/builder/{pk}").status_code == 404
    assert save(owner_b, pk, doc(("notice", {"text": "B"}))).status_code == 404
    assert publish(owner_b, pk).status_code == 404
    response = owner_b.post("/pageview/new", data={"shop_id": ids["shop"], "title": "x",
                                                   "csrf_token": owner_b.csrf()})
    assert response.status_code == 404


def test_builder_renders_and_says_when_vendor_libs_are_missing(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "无拖拽库")
    vendor = os.path.join(app.static_folder, "vendor", "sortable", "Sortable.min.js")
    hidden = vendor + ".test-hidden"
    present = os.path.isfile(vendor)
    if present:
        os.rename(vendor, hidden)
    try:
        html = client.get(f"/pageview/builder/{pk}").get_data(as_text=True)
    finally:
        if present:
            os.rename(hidden, vendor)
    assert "拖拽组件（SortableJS）未安装，请运行 make install" in html
    assert 'id="palette-products"' in html and 'id="canvas"' in html
    if present:
        html = client.get(f"/pageview/builder/{pk}").get_data(as_text=True)
        assert "builder-no-vendor" not in html


def test_demo_shops_have_a_published_home_page(app):
    anonymous = app.test_client()
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        shops = _db().session.execute(select(Shop.id).where(
            Shop.name.in_(["鲜果时光小程序", "茶语百变小程序"]))).scalars().all()
    assert len(shops) == 2  # (the first shop of A gets another home page in a test above)
    for shop in shops:
        body = anonymous.get(f"/api/v1/shops/{shop}/pages/home").get_json()
        assert body["page"]["is_home"] is True
        types = [c["type"] for c in body["components"]]
        assert "products" in types and "tab_bar" in types


def test_manager_can_design_pages(login_as, ids):
    client = login_as("manager_a")
    assert client.get("/decorationview/list/").status_code == 200
    pk = new_page(client, ids["shop"], "店长页")
    assert client.get(f"/pageview/builder/{pk}").status_code == 200


# -- 载入草稿 (load an old version into the draft) ---------------------------------------------
def _version_id(app, ids, pk, number):
    from app.models.decoration import PageVersion
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(ids["a"]):
        return _db().session.execute(select(PageVersion.id).where(
            PageVersion.page_id == pk, PageVersion.number == number)).scalar()


def load_draft(client, pk, version_id, **extra):
    data = {"version_id": version_id, "csrf_token": client.csrf()}
    data.update(extra)
    return client.post(f"/pageview/load_draft/{pk}", data=data,
                       headers={"Accept": "application/json"})


def test_load_a_version_into_the_draft_without_publishing(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "载入草稿页")
    first, second = ids["products"][0], ids["products"][1]
    api = f"/api/v1/shops/{ids['shop']}/pages/{pk}"
    assert save(client, pk, doc(product_list(first), title="载入草稿页")).get_json()["ok"]
    assert publish(client, pk).get_json()["version"] == 1
    assert save(client, pk, doc(product_list(second), title="载入草稿页")).get_json()["ok"]
    assert publish(client, pk).get_json()["version"] == 2
    v1 = _version_id(app, ids, pk, 1)
    # the draft equals the online version: no warning, no confirmation needed
    history = client.get(f"/pageview/history/{pk}").get_data(as_text=True)
    assert history.count("载入草稿</button>") == 2 and 'id="draft-differs"' not in history
    response = load_draft(client, pk, v1)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ok"] and "已把版本 v1 载入草稿" in response.get_json()["message"]
    draft, published = draft_of(app, pk)
    assert draft["components"][0]["settings"]["product_ids"] == [first]
    # nothing was published: shoppers still see v2, and no version was added
    body = client.get(api).get_json()
    assert body["page"]["version"] == 2
    assert [c["id"] for c in body["components"][0]["settings"]["products"]] == [second]
    assert _version_id(app, ids, pk, 3) is None
    # the draft now differs from v2: loading v2 needs a confirmation on the draft seen
    history = client.get(f"/pageview/history/{pk}").get_data(as_text=True)
    assert 'id="draft-differs"' in history and "会被覆盖" in history
    v2 = _version_id(app, ids, pk, 2)
    refused = load_draft(client, pk, v2)
    assert refused.status_code == 409
    assert "草稿中有未发布的修改，载入后会被覆盖" in refused.get_json()["error"]
    assert draft_of(app, pk)[0]["components"][0]["settings"]["product_ids"] == [first]
    stamp = re.search(r'name="draft_stamp" value="([^"]*)"', history).group(1)
    # a save after the history page was shown makes that confirmation stale
    assert save(client, pk, doc(product_list(first, second), title="载入草稿页")).get_json()["ok"]
    stale = load_draft(client, pk, v2, confirm="1", draft_stamp=stamp)
    assert stale.status_code == 409 and "草稿刚刚被修改过" in stale.get_json()["error"]
    assert draft_of(app, pk)[0]["components"][0]["settings"]["product_ids"] == [first, second]
    history = client.get(f"/pageview/history/{pk}").get_data(as_text=True)
    stamp = re.search(r'name="draft_stamp" value="([^"]*)"', history).group(1)
    done = load_draft(client, pk, v2, confirm="1", draft_stamp=stamp)
    assert done.status_code == 200 and done.get_json()["ok"]
    assert draft_of(app, pk)[0]["components"][0]["settings"]["product_ids"] == [second]
    # the plain form (no JSON) flashes and opens the builder
    response = client.post(f"/pageview/load_draft/{pk}", data={
        "version_id": v1, "confirm": "0", "csrf_token": client.csrf()})
    assert response.status_code == 302 and response.location.endswith(f"/pageview/builder/{pk}")


def test_load_draft_refuses_a_version_that_no_longer_checks_and_keeps_the_draft(
        app, login_as, ids):
    from app.models.catalog import Product
    from app.models.decoration import PageVersion
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "失效版本页")
    first = ids["products"][0]
    assert save(client, pk, doc(product_list(first), title="失效版本页")).get_json()["ok"]
    assert publish(client, pk).get_json()["version"] == 1
    v1 = _version_id(app, ids, pk, 1)
    # the stored version now links another merchant's product (as if data went bad)
    with app.app_context(), tenant_scope(ids["a"]):
        version = _db().session.get(PageVersion, v1)
        content = json.loads(version.content)
        content["components"][0]["settings"]["product_ids"] = [ids["other"]]
        version.content = json.dumps(content)
        _db().session.commit()
    before = draft_of(app, pk)[0]
    refused = load_draft(client, pk, v1, confirm="1")
    assert refused.status_code == 422 and refused.get_json()["ok"] is False
    assert "商品列表" in refused.get_json()["error"]
    assert draft_of(app, pk)[0] == before
    with app.app_context(), tenant_scope(ids["b"]):
        assert _db().session.get(Product, ids["other"]) is not None


def test_load_draft_is_isolated_and_checks_the_version_belongs_to_the_page(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "隔离页")
    other_pk = new_page(client, ids["shop"], "另一页")
    assert save(client, pk, doc(product_list(ids["products"][0]), title="隔离页")).get_json()["ok"]
    assert publish(client, pk).get_json()["ok"]
    v1 = _version_id(app, ids, pk, 1)
    before = draft_of(app, other_pk)[0]
    assert load_draft(client, other_pk, v1).status_code == 404
    assert load_draft(client, pk, "abc").status_code == 404
    assert draft_of(app, other_pk)[0] == before
    owner_b = login_as("owner_b")
    assert load_draft(owner_b, pk, v1).status_code == 404
    verifier = login_as("verifier_a")
    assert load_draft(verifier, pk, v1).status_code in (302, 403)


# -- the builder uses the shared 素材库 dialog; icons from the library (issue #7) -------------
def _library_image(client, name):
    import io

    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", (16, 16), "purple").save(stream, format="PNG")
    response = client.post("/mediaview/upload?format=json&kind=image", data={
        "file": (io.BytesIO(stream.getvalue()), name)},
        content_type="multipart/form-data", headers={"X-CSRFToken": client.csrf()})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["files"][0]


def test_builder_uses_the_shared_media_dialog(app, login_as, ids):
    client = login_as("owner_a")
    pk = new_page(client, ids["shop"], "共用素材库")
    html = client.get(f"/pageview/builder/{pk}").get_data(as_text=True)
    assert "js/media_picker.js" in html and "js/page_builder.js" in html
    assert html.index("js/media_picker.js") < html.index("js/page_builder.js")
    assert 'id="media-modal"' not in html and 'id="media-upload"' not in html
    config = json.loads(re.search(r'id="builder-config">(.*?)</script>', html, re.S).group(1))
    assert config["media"]["list"] == "/mediaview/picker"
    assert config["media"]["upload"].startswith("/mediaview/upload")
    assert config["media"]["texts"]["titleImage"] == "从素材库选择图片"
    with open(os.path.join(app.static_folder, "js", "page_builder.js"), encoding="utf-8") as fh:
        script = fh.read()
    assert "MDMediaPicker.open" in script and "media-modal" not in script


def test_category_and_tab_icons_come_from_the_library(app, login_as, ids):
    from app.models.catalog import ProductCategory
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    with app.app_context(), tenant_scope(ids["a"]):
        category = _db().session.execute(select(ProductCategory.id).order_by(
            ProductCategory.id)).scalars().first()
    ours = _library_image(client, "分类图标.png")
    theirs = _library_image(login_as("owner_b"), "别家图标.png")
    pk = new_page(client, ids["shop"], "图标页")
    link = {"kind": "page", "id": pk}

    def nav(icon):
        return ("category_nav", {"category_ids": [category], "columns": 4,
                                 "icons": {str(category): icon}})

    def tabs(image):
        return ("tab_bar", {"tabs": [{"icon": "home", "label": "首页", "link": link,
                                      "image": image},
                                     {"icon": "user", "label": "我的", "link": link}]})

    for document, expected in (
            (doc(nav(theirs["url"])), "第 1 个组件「分类导航」：分类图标：素材不存在或不属于本商家"),
            (doc(nav("https://cdn.example/i.png")), "「分类导航」：分类图标：只能使用素材库中的文件"),
            (doc(("notice", {"text": "x"}), tabs("https://cdn.example/t.png")),
             "第 2 个组件「底部导航」：导航图标：只能使用素材库中的文件"),
            (doc(tabs(theirs["url"])), "「底部导航」：导航图标：素材不存在或不属于本商家")):
        response = save(client, pk, document)
        assert response.status_code == 422, document
        assert expected in response.get_json()["error"], response.get_json()
    response = save(client, pk, doc(nav(ours["url"]), tabs(ours["url"]), title="图标页"),
                    is_home=False)
    assert response.get_json()["ok"], response.get_json()
    stored = draft_of(app, pk)[0]["components"]
    assert stored[0]["settings"]["icons"] == {str(category): ours["url"]}
    assert stored[1]["settings"]["tabs"][0]["image"] == ours["url"]
    assert "image" not in stored[1]["settings"]["tabs"][1]
    assert publish(client, pk).get_json()["ok"]
    body = app.test_client().get(f"/api/v1/shops/{ids['shop']}/pages/{pk}").get_json()
    categories = body["components"][0]["settings"]["categories"]
    assert categories[0]["id"] == category and categories[0]["icon_image"] == ours["url"]
    assert body["components"][1]["settings"]["tabs"][0]["image"] == ours["url"]
    # the icon is in use: the library refuses to delete it and names the page
    html = client.post(f"/mediaview/delete/{ours['id']}", data={"csrf_token": client.csrf()},
                       follow_redirects=True).get_data(as_text=True)
    assert "正在使用中，不能删除" in html and "装修页面《图标页》" in html
