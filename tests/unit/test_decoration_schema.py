"""The page builder's schema and link checks (app/services/decoration_schema.py), against
the session database's demo merchants: A = 鲜果时光, B = 茶语小铺."""
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id


@pytest.fixture()
def ctx(app):
    """(session, merchant A, merchant B, A's product, B's product, A's category)."""
    from app.extensions import db
    from app.models.catalog import Product, ProductCategory
    from app.tenancy import tenant_scope

    a, b = merchant_id(app, "鲜果时光"), merchant_id(app, "茶语小铺")
    with app.app_context():
        with tenant_scope(a):
            pa = db.session.execute(select(Product.id).order_by(Product.id)).scalars().first()
            ca = db.session.execute(select(ProductCategory.id)).scalars().first()
        with tenant_scope(b):
            pb = db.session.execute(select(Product.id).order_by(Product.id)).scalars().first()
        yield db.session, a, b, pa, pb, ca
        db.session.rollback()


def media_of(app, merchant, kind="image"):
    """A real library file of ``merchant`` (stored like an upload)."""
    from app.extensions import db
    from app.services import media
    from app.tenancy import tenant_scope

    stream = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(stream, format="PNG")
    with tenant_scope(merchant):
        row = media.upload_media(db.session, merchant_id=merchant,
                                 storage=media.storage_for(app.config), filename="a.png",
                                 data=stream.getvalue())
        db.session.commit()
        return row.public_path


def page(*components, title="首页"):
    return {"title": title, "bg_color": "#FFFFFF",
            "components": [{"type": t, "settings": s} for t, s in components]}


def refused(ctx, doc):
    from app.services.decoration_schema import PageError, validate_page

    session, a = ctx[0], ctx[1]
    with pytest.raises(PageError) as info:
        validate_page(session, a, json.dumps(doc))
    return str(info.value)


def test_a_valid_page_is_cleaned(ctx):
    from app.services.decoration_schema import validate_page

    session, a, _b, pa, _pb, ca = ctx
    doc = validate_page(session, a, json.dumps(page(
        ("search", {"placeholder": "找水果"}),
        ("products", {"source": "pick", "product_ids": [pa, str(pa)], "columns": 3}),
        ("products", {"source": "category", "category_id": ca, "count": 4}),
        ("notice", {"text": "满99包邮", "link": {"kind": "product", "id": pa}}),
        ("spacer", {"height": 10}), ("divider", {"style": "dashed", "color": "#CCCCCC"}))))
    assert [c["type"] for c in doc["components"]] == ["search", "products", "products",
                                                      "notice", "spacer", "divider"]
    assert doc["components"][1]["settings"]["product_ids"] == [pa]  # duplicates dropped
    assert doc["components"][1]["settings"]["show_price"] is True
    assert doc["components"][3]["settings"]["link"] == {"kind": "product", "id": pa}


def test_unknown_component_is_named(ctx):
    message = refused(ctx, page(("search", {}), ("marquee", {"text": "x"})))
    assert message == "第 2 个组件「marquee」：未知的组件类型 marquee"


def test_missing_required_field_names_the_component(ctx):
    assert refused(ctx, page(("notice", {"text": ""}))) == "第 1 个组件「公告」：请填写公告内容"
    assert "请至少添加 1 个商品" in refused(ctx, page(("products", {"source": "pick"})))
    assert "请至少添加 1 个轮播图片" in refused(ctx, page(("banner", {"images": []})))


def test_column_count_and_tab_count_are_checked(ctx):
    _s, _a, _b, pa, _pb, _ca = ctx
    assert "每行列数须为 1 到 3" in refused(ctx, page(
        ("products", {"source": "pick", "product_ids": [pa], "columns": 4})))
    one_tab = [{"icon": "home", "label": "首页", "link": {"kind": "product", "id": pa}}]
    assert "请至少添加 2 个导航项" in refused(ctx, page(("tab_bar", {"tabs": one_tab})))
    assert "导航项最多 5 个" in refused(ctx, page(("tab_bar", {"tabs": one_tab * 6})))


def test_markup_in_plain_text_is_refused(ctx):
    message = refused(ctx, page(("notice", {"text": "<script>alert(1)</script>"})))
    assert message == "第 1 个组件「公告」：公告内容不能包含 < 或 > 等标记字符"
    assert "页面标题不能包含" in refused(ctx, page(title="<b>首页</b>"))


def test_rich_text_is_sanitized(ctx):
    from app.services.decoration_schema import validate_page

    session, a = ctx[0], ctx[1]
    doc = validate_page(session, a, json.dumps(page(("rich_text", {
        "html": '<p onclick="x()">好<script>alert(1)</script><a href="javascript:x">链</a></p>'}))))
    html = doc["components"][0]["settings"]["html"]
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert "好" in html
    assert "清理后为空" in refused(ctx, page(("rich_text", {"html": "<script>alert(1)</script>"})))


def test_links_to_another_merchants_objects_are_refused(ctx):
    from app.services.decoration_schema import PageError, check_link

    session, a, _b, pa, pb, _ca = ctx
    assert check_link(session, a, {"kind": "product", "id": pa}) == {"kind": "product", "id": pa}
    with pytest.raises(PageError) as info:
        check_link(session, a, {"kind": "product", "id": pb})
    assert str(info.value) == f"链接的商品（ID {pb}）不存在或不属于本商家"
    message = refused(ctx, page(("products", {"source": "pick", "product_ids": [pa, pb]})))
    assert message == f"第 1 个组件「商品列表」：商品（ID {pb}）不存在或不属于本商家"


def test_link_kinds(ctx):
    from app.services.decoration_schema import PageError, check_link

    session, a = ctx[0], ctx[1]
    assert check_link(session, a, {"kind": "url", "url": "https://example.com/a"})["url"] == \
        "https://example.com/a"
    for bad in ({"kind": "url", "url": "javascript:alert(1)"}, {"kind": "teleport", "id": 1},
                {"kind": "category", "id": "abc"}, {"kind": "page", "id": 10 ** 9}, "x"):
        with pytest.raises(PageError):
            check_link(session, a, bad)


def test_images_must_come_from_the_merchants_library(app, ctx):
    from app.services.decoration_schema import validate_page

    session, a, b = ctx[0], ctx[1], ctx[2]
    own, other = media_of(app, a), media_of(app, b)
    doc = validate_page(session, a, json.dumps(page(("banner", {"images": [{"image": own}]}))))
    assert doc["components"][0]["settings"]["images"][0]["image"] == own
    assert "只能使用素材库中的文件" in refused(ctx, page(
        ("banner", {"images": [{"image": "https://evil.example/x.png"}]})))
    assert "素材不存在或不属于本商家" in refused(ctx, page(("banner", {"images": [{"image": other}]})))
    assert "素材不存在或不属于本商家" in refused(ctx, page(
        ("rich_text", {"html": f'<p>x<img src="{other}"></p>'})))
    assert "这里需要视频" in refused(ctx, page(("video", {"video": own})))


def test_payload_size_and_shape(ctx):
    from app.services.decoration_schema import PageError, parse_page

    with pytest.raises(PageError) as info:
        parse_page("x" * (600 * 1024))
    assert "页面内容过大" in str(info.value)
    for raw in ("not json", "[1, 2]", '"text"'):
        with pytest.raises(PageError):
            parse_page(raw)
    assert "最多 60 个组件" in refused(ctx, page(*[("spacer", {"height": 10})] * 61))


def test_one_tab_bar_per_page(ctx):
    _s, _a, _b, pa, _pb, _ca = ctx
    tabs = [{"icon": "home", "label": "首页", "link": {"kind": "product", "id": pa}}] * 2
    assert "只能有一个底部导航" in refused(ctx, page(("tab_bar", {"tabs": tabs}),
                                             ("tab_bar", {"tabs": tabs})))
