"""焦点图 survive a failed submit: stored at once as this session's pending uploads, shown
again in the re-rendered form, kept by the corrected submit; nobody else can claim them."""
import io
import re

from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id


def png(color="#e4393c"):
    stream = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(stream, format="PNG")
    return stream.getvalue()


def category_id(app, merchant):
    from app.extensions import db
    from app.models.catalog import ProductCategory
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        category = ProductCategory(name="焦点图分类", merchant_id=merchant)
        db.session.add(category)
        db.session.commit()
        return category.id


def form(category, token, **kw):
    data = {"product_type": "normal", "goods_kind": "physical", "name": "焦点图苹果",
            "price": "10.00", "stock": "3", "delivery": "express", "free_shipping": "1",
            "stock_strategy": "on_payment", "categories": [str(category)],
            "submit_action": "warehouse", "csrf_token": token}
    data.update(kw)
    return data


def product_images(app, merchant, name):
    from app.extensions import db
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        product = db.session.execute(select(Product).where(Product.name == name)
                                     ).scalar_one_or_none()
        return None if product is None else [i.file for i in product.images]


def test_failed_submit_keeps_the_uploaded_focus_images(app, login_as):
    mid = merchant_id(app, "鲜果时光")
    category = category_id(app, mid)
    client = login_as("owner_a")
    token = client.csrf("/productview/add")
    first = client.post("/productview/add", data=form(
        category, token, name="焦", images=[(io.BytesIO(png()), "a.png"),
                                           (io.BytesIO(png("#00a0e9")), "b.png")]),
        content_type="multipart/form-data").get_data(as_text=True)
    assert "商品名称须为 2-50 个字符" in first
    kept = re.findall(r'name="image_keep" value="([0-9a-f]{32}\.png)"', first)
    assert len(kept) == 2
    for name in kept:  # the re-rendered form can show them
        shown = client.get(f"/productview/download/{name}")
        assert shown.status_code == 200 and shown.data[:4] == b"\x89PNG"
    # the corrected submit sends no file again, only the kept names (second one first)
    response = client.post("/productview/add", data=form(
        category, token, image_keep=kept, **{f"image_sort_{kept[0]}": "2",
                                             f"image_sort_{kept[1]}": "1"}))
    assert response.status_code == 302
    assert product_images(app, mid, "焦点图苹果") == [kept[1], kept[0]]


def test_pending_images_belong_to_their_session_only(app, login_as):
    mid = merchant_id(app, "鲜果时光")
    category = category_id(app, mid)
    owner = login_as("owner_a")
    token = owner.csrf("/productview/add")
    page = owner.post("/productview/add", data=form(
        category, token, name="焦", images=[(io.BytesIO(png()), "c.png")]),
        content_type="multipart/form-data").get_data(as_text=True)
    [name] = re.findall(r'name="image_keep" value="([0-9a-f]{32}\.png)"', page)
    other = login_as("owner_b")
    assert other.get(f"/productview/download/{name}").status_code == 404
    other_token = other.csrf("/productview/add")
    mid_b = merchant_id(app, "茶语小铺")
    category_b = category_id(app, mid_b)
    response = other.post("/productview/add", data=form(
        category_b, other_token, name="偷图商品", image_keep=[name]))
    assert response.status_code == 302
    assert product_images(app, mid_b, "偷图商品") == []  # a name it never uploaded is ignored


def test_a_bad_file_is_reported_and_the_good_one_kept(app, login_as):
    mid = merchant_id(app, "鲜果时光")
    category = category_id(app, mid)
    client = login_as("owner_a")
    token = client.csrf("/productview/add")
    page = client.post("/productview/add", data=form(
        category, token, name="坏图商品", images=[(io.BytesIO(png()), "ok.png"),
                                                 (io.BytesIO(b"not an image"), "bad.png")]),
        content_type="multipart/form-data").get_data(as_text=True)
    assert "bad.png" in page and "文件内容不是有效的图片" in page
    kept = re.findall(r'name="image_keep" value="([0-9a-f]{32}\.png)"', page)
    assert len(kept) == 1
    assert product_images(app, mid, "坏图商品") is None
    assert client.post("/productview/add", data=form(category, token, name="坏图商品",
                                                     image_keep=kept)).status_code == 302
    assert product_images(app, mid, "坏图商品") == kept
