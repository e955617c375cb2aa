"""商品管理 through the test client: categories, brands, the three-step product form with
SKUs, row actions, batch operations, export and 仓库中的商品."""
import io
import re
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from tests.conftest import merchant_id


def _db():
    from app.extensions import db

    return db


def query(app, merchant, statement):
    """Run a select as merchant ``merchant`` (its tenant scope)."""
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        return _db().session.execute(statement).scalars().all()


@pytest.fixture()
def mid_a(app):
    return merchant_id(app, "鲜果时光")


def make_category(app, merchant, name, parent_id=None):
    from app.models.catalog import ProductCategory
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        category = ProductCategory(name=name, parent_id=parent_id, merchant_id=merchant)
        _db().session.add(category)
        _db().session.commit()
        return category.id


def spec_values(app, merchant):
    from app.models.catalog import SpecGroup
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        groups = _db().session.execute(select(SpecGroup).order_by(SpecGroup.sort)).scalars().all()
        return {g.name: {v.value: v.id for v in g.values} for g in groups}


def product_form(category_id, **kw):
    data = {"product_type": "normal", "goods_kind": "physical", "name": "测试苹果",
            "summary": "好吃", "price": "10.00", "original_price": "12", "cost_price": "5",
            "stock": "8", "delivery": "express", "free_shipping": "1",
            "stock_strategy": "on_payment", "categories": [str(category_id)],
            "description": '<p>好<script>alert(1)</script></p><img src="https://a.example/1.png">',
            "submit_action": "publish"}
    data.update(kw)
    return data


def load_product(app, merchant, name):
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        product = _db().session.execute(select(Product).where(Product.name == name)
                                        ).scalar_one_or_none()
        if product is None:
            return None
        skus = {s.spec_key: (s.id, s.price, s.stock, s.retired) for s in product.skus}
        return dict(id=product.id, status=product.status, stock=product.stock,
                    price=product.price, description=product.description,
                    categories=[c.id for c in product.categories], skus=skus)


# -- categories and brands -------------------------------------------------------------------
def test_category_in_use_cannot_be_deleted_and_names_its_products(app, login_as, mid_a):
    client = login_as("owner_a")
    from app.models.catalog import ProductCategory

    gift = query(app, mid_a, select(ProductCategory).where(ProductCategory.name == "礼盒"))[0]
    token = client.csrf("/categoryview/list/")
    page = client.post(f"/categoryview/delete/{gift.id}", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "该分类正在被商品使用，不能删除：水果礼盒(中秋款)" in page
    assert query(app, mid_a, select(ProductCategory).where(ProductCategory.id == gift.id))
    top = query(app, mid_a, select(ProductCategory).where(ProductCategory.name == "新鲜水果"))[0]
    page = client.post(f"/categoryview/delete/{top.id}", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "该分类下还有子分类" in page
    child = query(app, mid_a, select(ProductCategory).where(ProductCategory.name == "国产水果"))[0]
    usage = client.get(f"/categoryview/usage/{child.id}").get_data(as_text=True)
    assert "烟台红富士苹果" in usage


def test_category_tree_has_two_levels(app, login_as, mid_a):
    client = login_as("owner_a")
    from app.models.catalog import ProductCategory

    child = query(app, mid_a, select(ProductCategory).where(ProductCategory.name == "国产水果"))[0]
    token = client.csrf("/categoryview/add")
    page = client.post("/categoryview/add", data={"name": "三级分类", "parent": str(child.id),
                                                  "sort": "1", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert "分类最多两级" in text and 'value="三级分类"' in text
    assert not query(app, mid_a, select(ProductCategory).where(ProductCategory.name == "三级分类"))
    unused = make_category(app, mid_a, "待删分类")
    client.post(f"/categoryview/delete/{unused}", data={"csrf_token": token})
    assert not query(app, mid_a, select(ProductCategory).where(ProductCategory.id == unused))


def test_brand_batch_add_one_per_line(app, login_as, mid_a):
    from app.models.catalog import Brand

    client = login_as("owner_a")
    token = client.csrf("/brandview/batch_add/")
    response = client.post("/brandview/batch_add/", data={
        "names": "新品牌甲\n\n新品牌乙\n佳沛\n新品牌甲", "csrf_token": token}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已新增 2 个品牌" in text and "佳沛" in text
    names = query(app, mid_a, select(Brand.name))
    assert names.count("新品牌甲") == 1 and "新品牌乙" in names
    bad = client.post("/brandview/batch_add/", data={"names": "长" * 51, "csrf_token": token})
    assert "不能超过 50 个字符" in bad.get_data(as_text=True)


# -- the product form --------------------------------------------------------------------------
def test_invalid_product_shows_chinese_errors_keeps_input_writes_nothing(app, login_as, mid_a):
    from app.models.catalog import Product

    category = make_category(app, mid_a, "校验分类")
    client = login_as("owner_a")
    token = client.csrf("/productview/add")
    before = query(app, mid_a, select(func.count(Product.id)))[0]
    data = product_form(category, name="苹", stock="-1", summary="长" * 201,
                        product_type="group_buy", group_size="3", group_price="10",
                        group_hours="24", timed_sale="1", on_shelf_at="2026-01-02T08:00",
                        off_shelf_at="2026-01-01T08:00", csrf_token=token)
    text = client.post("/productview/add", data=data).get_data(as_text=True)
    for message in ("商品名称须为 2-50 个字符", "库存必须是 0 或正整数", "商品简介不能超过 200 个字符",
                    "拼团价必须低于售价", "下架时间必须晚于上架时间"):
        assert message in text, message
    assert 'value="苹"' in text
    assert query(app, mid_a, select(func.count(Product.id)))[0] == before
    too_many = [str(make_category(app, mid_a, f"多分类{i}")) for i in range(11)]
    text = client.post("/productview/add", data=product_form(
        category, categories=too_many, csrf_token=token)).get_data(as_text=True)
    assert "商品分类最多可设置 10 个" in text


def test_bargain_rule_at_its_field(app, login_as, mid_a):
    category = make_category(app, mid_a, "砍价分类")
    client = login_as("owner_a")
    token = client.csrf("/productview/add")
    data = product_form(category, name="砍价测试", product_type="bargain", original_price="100",
                        cost_price="50", bargain_floor_price="60", bargain_helpers="3",
                        bargain_hours="13", csrf_token=token)
    text = client.post("/productview/add", data=data).get_data(as_text=True)
    assert "(商品原价 - 砍价底价) ÷ 砍价人数必须是整数" in text
    data.update(bargain_floor_price="40")
    assert "砍价底价必须大于成本价" in client.post("/productview/add", data=data).get_data(
        as_text=True)
    data.update(bargain_floor_price="70")  # (100 - 70) / 3 = 10
    response = client.post("/productview/add", data=data, follow_redirects=True)
    assert "建议砍价持续时间为 12 小时的整数倍" in response.get_data(as_text=True)
    assert load_product(app, mid_a, "砍价测试")["status"] == "on_shelf"


def test_product_with_specs_keeps_sku_ids_and_retires_removed(app, login_as, mid_a):
    category = make_category(app, mid_a, "规格分类")
    specs = spec_values(app, mid_a)
    small, large = specs["规格"]["500克"], specs["规格"]["1千克"]
    key = {small: f"v{small}", large: f"v{large}"}
    client = login_as("owner_a")
    token = client.csrf("/productview/add")
    data = product_form(category, name="规格苹果", spec_value=[str(small), str(large)],
                        csrf_token=token, submit_action="warehouse")
    data.update({f"sku_price_v{small}": "10", f"sku_stock_v{small}": "5",
                 f"sku_price_v{large}": "18", f"sku_stock_v{large}": "7"})
    response = client.post("/productview/add", data=data)
    assert response.status_code == 302 and "warehouseproductview" in response.location
    product = load_product(app, mid_a, "规格苹果")
    assert product["status"] == "warehouse"
    assert product["stock"] == 12
    assert "<script>" not in product["description"] and "<img" in product["description"]
    assert {k: v[1:] for k, v in product["skus"].items()} == {
        key[small]: (Decimal("10.00"), 5, False), key[large]: (Decimal("18.00"), 7, False)}
    assert "规格苹果" in client.get("/warehouseproductview/list/").get_data(as_text=True)
    kept_id = product["skus"][key[small]][0]
    # Edit: drop 1kg, add 2.5kg; 500g keeps its id.
    extra = specs["规格"]["2.5千克"]
    token = client.csrf(f"/productview/edit/{product['id']}")
    data = product_form(category, name="规格苹果", spec_value=[str(small), str(extra)],
                        csrf_token=token, submit_action="save")
    data.update({f"sku_price_v{small}": "11", f"sku_stock_v{small}": "6",
                 f"sku_price_v{extra}": "30", f"sku_stock_v{extra}": "2"})
    assert client.post(f"/productview/edit/{product['id']}", data=data).status_code == 302
    product = load_product(app, mid_a, "规格苹果")
    assert product["skus"][key[small]] == (kept_id, Decimal("11.00"), 6, False)
    assert product["skus"][key[large]][3] is True and product["skus"][key[large]][2] == 0
    assert product["skus"][f"v{extra}"][1:] == (Decimal("30.00"), 2, False)
    assert product["stock"] == 8


# -- lists, row actions, batch operations -------------------------------------------------------
def test_list_shows_ids_and_row_actions_and_export_follows_filters(app, login_as, mid_a):
    client = login_as("owner_a")
    text = client.get("/productview/list/").get_data(as_text=True)
    for label in ("查看", "编辑", "下架", "复制", "商品ID"):
        assert label in text
    response = client.get("/productview/export/?_flt_0_name=褚橙")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.data))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "商品ID" and len(rows) == 2 and rows[1][1] == "褚橙"


def test_off_shelf_and_copy_row_actions(app, login_as, mid_a):
    client = login_as("owner_a")
    product = load_product(app, mid_a, "都乐香蕉")
    token = client.csrf("/productview/list/")
    client.post(f"/productview/action/off_shelf/{product['id']}", data={"csrf_token": token})
    assert load_product(app, mid_a, "都乐香蕉")["status"] == "off_shelf"
    client.post(f"/productview/action/copy/{product['id']}", data={"csrf_token": token})
    copy = load_product(app, mid_a, "都乐香蕉-副本")
    assert copy["status"] == "warehouse" and copy["stock"] == 0
    assert len(copy["skus"]) == len(product["skus"]) == 3


def test_batch_decrease_below_zero_is_refused_and_reported(app, login_as, mid_a):
    client = login_as("owner_a")
    juice = load_product(app, mid_a, "鲜榨橙汁")       # one SKU
    mangosteen = load_product(app, mid_a, "泰国山竹")  # three SKUs: 20, 30, 40
    assert sorted(v[2] for v in mangosteen["skus"].values()) == [20, 30, 40]
    token = client.csrf("/productview/batch/")

    def batch(ids, **data):
        return client.post("/productview/batch/", data=dict(
            ids=",".join(str(p["id"]) for p in ids), csrf_token=token, **data)
        ).get_data(as_text=True)

    assert "已修改 1 个商品" in batch([juice], operation="stock", mode="set", amount="50")
    assert load_product(app, mid_a, "鲜榨橙汁")["stock"] == 50
    text = batch([juice, mangosteen], operation="stock", mode="decrease", amount="30")
    assert "已修改 1 个商品" in text and "泰国山竹" in text and "库存不足" in text
    assert load_product(app, mid_a, "鲜榨橙汁")["stock"] == 20
    after = load_product(app, mid_a, "泰国山竹")
    assert after["stock"] == 90 and after["skus"] == mangosteen["skus"]  # nothing half-done
    text = batch([juice, mangosteen], operation="price", mode="decrease", amount="20")
    assert "调整后将小于 0" in text and "鲜榨橙汁" in text
    assert load_product(app, mid_a, "泰国山竹")["price"] == Decimal("25.00")
    assert load_product(app, mid_a, "鲜榨橙汁")["price"] == juice["price"]
    assert "已修改 2 个商品" in batch([juice, mangosteen], operation="points_earned",
                                   mode="increase", amount="7")
    assert "请输入数值" in batch([juice], operation="price", mode="set", amount="abc")


def test_batch_categories_add_and_replace(app, login_as, mid_a):
    client = login_as("owner_a")
    product = load_product(app, mid_a, "赣南脐橙")
    new = make_category(app, mid_a, "批量分类")
    token = client.csrf("/productview/batch/")
    client.post("/productview/batch/", data={"ids": str(product["id"]), "operation": "categories",
                                             "category_mode": "add", "categories": [str(new)],
                                             "csrf_token": token})
    assert set(load_product(app, mid_a, "赣南脐橙")["categories"]) == set(
        product["categories"]) | {new}
    client.post("/productview/batch/", data={"ids": str(product["id"]), "operation": "categories",
                                             "category_mode": "replace", "categories": [str(new)],
                                             "csrf_token": token})
    assert load_product(app, mid_a, "赣南脐橙")["categories"] == [new]


def test_pin_order(app, login_as, mid_a):
    from app.models.catalog import Product

    client = login_as("owner_a")
    a, b = load_product(app, mid_a, "烟台红富士苹果"), load_product(app, mid_a, "褚橙")
    token = client.csrf("/productview/list/")
    client.post("/productview/action_post", data={"action": "pin", "rowid": [a["id"], b["id"]],
                                                  "csrf_token": token})
    client.post("/productview/pin/", data={"pk": [str(b["id"]), str(a["id"])],
                                           "csrf_token": token})
    pinned = query(app, mid_a, select(Product.id).where(Product.pin_rank.is_not(None))
                   .order_by(Product.pin_rank))
    assert pinned == [b["id"], a["id"]]


def test_other_merchants_product_in_batch_is_404(app, login_as):
    mid_b = merchant_id(app, "茶语小铺")
    other = load_product(app, mid_b, "金骏眉")
    client = login_as("owner_a")
    token = client.csrf("/productview/batch/")
    response = client.post("/productview/batch/", data={
        "ids": str(other["id"]), "operation": "price", "mode": "set", "amount": "0",
        "csrf_token": token})
    assert response.status_code == 404
    assert load_product(app, mid_b, "金骏眉")["price"] == other["price"]


def test_manager_can_open_product_pages_and_home_link(login_as):
    client = login_as("manager_a")
    assert client.get("/productview/list/").status_code == 200
    assert client.get("/productview/add").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/productview/add"', home)
