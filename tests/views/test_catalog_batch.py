"""批量设置, 上架/下架 and 商品置顶 by 分类/品牌 as set-based statements: refusals still
reported per row, stock through the ledger, ONE audit entry per batch, tenant held."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import merchant_id


def _db():
    from app.extensions import db

    return db


@pytest.fixture()
def mid_a(app):
    return merchant_id(app, "鲜果时光")


def make_products(app, merchant, specs, category_ids=(), brand_id=None):
    """specs: {name: [sku stock, ...]} (a "-" prefix: that SKU is retired). Returns ids."""
    from app.models.catalog import Product, ProductCategory, Sku
    from app.tenancy import tenant_scope

    ids = {}
    with app.app_context(), tenant_scope(merchant):
        session = _db().session
        categories = session.execute(select(ProductCategory).where(
            ProductCategory.id.in_(list(category_ids)))).scalars().all()
        for name, stocks in specs.items():
            skus = [Sku(merchant_id=merchant, spec_key=f"v{n}", spec_text=f"规格{n}",
                        price=Decimal("10"), stock=0 if str(s).startswith("-") else int(s),
                        retired=str(s).startswith("-")) for n, s in enumerate(stocks)]
            product = Product(merchant_id=merchant, name=name, price=Decimal("10"),
                              stock=sum(s.stock for s in skus), status="off_shelf",
                              categories=list(categories), brand_id=brand_id, skus=skus)
            session.add(product)
            session.flush()
            ids[name] = product.id
        session.commit()
    return ids


def product_state(app, merchant, pid):
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        p = _db().session.get(Product, pid)
        return dict(stock=p.stock, price=p.price, status=p.status, brand_id=p.brand_id,
                    pin_rank=p.pin_rank, categories=sorted(c.id for c in p.categories),
                    skus=sorted((s.id, s.stock, s.price) for s in p.skus))


def audit_rows(app, merchant, action):
    from app.models.audit import AuditLog
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        return _db().session.execute(select(AuditLog).where(
            AuditLog.action == action).order_by(AuditLog.id)).scalars().all()


def ledger(app, merchant, pid):
    from app.models.catalog import StockLedger
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant):
        return _db().session.execute(select(
            StockLedger.sku_id, StockLedger.delta, StockLedger.balance_after,
            StockLedger.reason).where(StockLedger.product_id == pid)
            .order_by(StockLedger.id)).all()


def post_batch(client, ids, **data):
    token = client.csrf("/productview/batch/")
    return client.post("/productview/batch/", data=dict(
        ids=",".join(str(i) for i in ids), csrf_token=token, **data)).get_data(as_text=True)


def test_batch_stock_decrease_refuses_whole_products_and_writes_the_ledger(app, login_as,
                                                                         mid_a):
    ids = make_products(app, mid_a, {"批量库存甲": [10, 3], "批量库存乙": [10, 12],
                                     "批量库存丙": ["-0"]})
    before = {name: product_state(app, mid_a, pid) for name, pid in ids.items()}
    audits = len(audit_rows(app, mid_a, "批量设置"))
    text = post_batch(login_as("owner_a"), ids.values(), operation="stock",
                      mode="decrease", amount="5")
    assert "已修改 1 个商品" in text
    assert "批量库存甲" in text and "库存不足，减少后将小于 0" in text
    assert "批量库存丙" in text and "商品没有可售规格" in text
    # refused: untouched, no ledger rows
    assert product_state(app, mid_a, ids["批量库存甲"]) == before["批量库存甲"]
    assert ledger(app, mid_a, ids["批量库存甲"]) == []
    # accepted: every active SKU moved, product stock is the SKUs' sum, one ledger row each
    after = product_state(app, mid_a, ids["批量库存乙"])
    assert [s[1] for s in after["skus"]] == [5, 7] and after["stock"] == 12
    rows = ledger(app, mid_a, ids["批量库存乙"])
    assert [(r.delta, r.balance_after) for r in rows] == [(-5, 5), (-5, 7)]
    assert {r.sku_id for r in rows} == {s[0] for s in after["skus"]}
    # ONE audit entry for the batch, listing counts and ids
    entries = audit_rows(app, mid_a, "批量设置")
    assert len(entries) == audits + 1
    detail = json.loads(entries[-1].changes)
    assert detail["已修改数量"] == 1 and detail["被拒绝数量"] == 2
    assert detail["已修改"] == str(ids["批量库存乙"])


def test_batch_stock_set_records_each_skus_own_delta(app, login_as, mid_a):
    ids = make_products(app, mid_a, {"批量重置库存": [4, 9, "-0"]})
    pid = ids["批量重置库存"]
    post_batch(login_as("owner_a"), [pid], operation="stock", mode="set", amount="6")
    state = product_state(app, mid_a, pid)
    assert [s[1] for s in state["skus"]] == [6, 6, 0] and state["stock"] == 12
    assert [(r.delta, r.balance_after) for r in ledger(app, mid_a, pid)] == [(2, 6), (-3, 6)]


def test_batch_price_moves_products_and_active_skus_in_one_go(app, login_as, mid_a):
    ids = make_products(app, mid_a, {f"批量价格{n}": [1, 2] for n in range(30)})
    audits = len(audit_rows(app, mid_a, "批量设置"))
    text = post_batch(login_as("owner_a"), ids.values(), operation="price", mode="increase",
                      amount="1.50")
    assert "已修改 30 个商品" in text
    for pid in ids.values():
        state = product_state(app, mid_a, pid)
        assert state["price"] == Decimal("11.50")
        assert {s[2] for s in state["skus"]} == {Decimal("11.50")}
    entries = audit_rows(app, mid_a, "批量设置")
    assert len(entries) == audits + 1  # not one per product
    low, high = min(ids.values()), max(ids.values())
    assert json.loads(entries[-1].changes)["已修改"] == f"{low}-{high}"


def test_set_based_statements_carry_the_tenant(app):
    """The Core UPDATEs skip the ORM guard, so the service puts merchant_id in every
    statement: merchant A acting on merchant B's ids changes nothing."""
    from app.services import catalog_batch
    from app.tenancy import tenant_scope

    mid_a, mid_b = merchant_id(app, "鲜果时光"), merchant_id(app, "茶语小铺")
    ids = make_products(app, mid_b, {"别家批量商品": [5]})
    pid = ids["别家批量商品"]
    before = product_state(app, mid_b, pid)
    with app.app_context(), tenant_scope(mid_a):
        session = _db().session
        for target, mode in (("price", "set"), ("stock", "set"), ("points_earned", "increase")):
            result = catalog_batch.batch_adjust(session, mid_a, [pid], target, mode, 0)
            assert result.changed == 0
        assert catalog_batch.batch_status(session, mid_a, [pid], "on_shelf").changed == 0
        session.commit()
    assert product_state(app, mid_b, pid) == before


def test_other_merchants_id_in_a_batch_is_404(app, login_as, mid_a):
    mid_b = merchant_id(app, "茶语小铺")
    mine = make_products(app, mid_a, {"本店混合批量": [1]})["本店混合批量"]
    other = make_products(app, mid_b, {"别店混合批量": [1]})["别店混合批量"]
    client = login_as("owner_a")
    token = client.csrf("/productview/batch/")
    response = client.post("/productview/batch/", data={
        "ids": f"{mine},{other}", "operation": "price", "mode": "set", "amount": "0",
        "csrf_token": token})
    assert response.status_code == 404
    assert product_state(app, mid_a, mine)["price"] == Decimal("10")


def test_on_shelf_action_refuses_products_without_skus_with_one_audit_entry(app, login_as,
                                                                          mid_a):
    ids = make_products(app, mid_a, {"批量上架甲": [1], "批量上架乙": ["-0"]})
    audits = len(audit_rows(app, mid_a, "上架"))
    client = login_as("owner_a")
    token = client.csrf("/productview/list/")
    response = client.post("/productview/action_post", data={
        "action": "on_shelf", "rowid": list(ids.values()), "csrf_token": token},
        follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已上架 1 个商品" in text and "批量上架乙" in text and "没有可售规格" in text
    assert product_state(app, mid_a, ids["批量上架甲"])["status"] == "on_shelf"
    assert product_state(app, mid_a, ids["批量上架乙"])["status"] == "off_shelf"
    assert len(audit_rows(app, mid_a, "上架")) == audits + 1


def test_batch_categories_over_ten_refused_and_brand_set(app, login_as, mid_a):
    from app.models.catalog import Brand, ProductCategory
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid_a):
        session = _db().session
        cats = [ProductCategory(name=f"批量十类{n}", merchant_id=mid_a) for n in range(11)]
        brand = Brand(name="批量品牌测", merchant_id=mid_a)
        session.add_all(cats + [brand])
        session.commit()
        cat_ids, brand_id = [c.id for c in cats], brand.id
    ids = make_products(app, mid_a, {"十类满的": [1], "十类空的": [1]},
                        category_ids=cat_ids[:10])
    # 十类空的 starts with the same 10: replace it with one, then add one to both
    client = login_as("owner_a")
    post_batch(client, [ids["十类空的"]], operation="categories", category_mode="replace",
               categories=[str(cat_ids[0])])
    text = post_batch(client, ids.values(), operation="categories", category_mode="add",
                      categories=[str(cat_ids[10])])
    assert "已修改 1 个商品" in text and "十类满的" in text and "最多可设置 10 个" in text
    assert product_state(app, mid_a, ids["十类满的"])["categories"] == sorted(cat_ids[:10])
    assert product_state(app, mid_a, ids["十类空的"])["categories"] == sorted(
        [cat_ids[0], cat_ids[10]])
    post_batch(client, ids.values(), operation="brand", brand=str(brand_id))
    assert {product_state(app, mid_a, i)["brand_id"] for i in ids.values()} == {brand_id}


def test_pin_all_of_a_category_or_brand_in_or_out(app, login_as, mid_a):
    from app.models.catalog import Brand, Product, ProductCategory
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid_a):
        session = _db().session
        top = ProductCategory(name="置顶大类", merchant_id=mid_a)
        session.add(top)
        session.flush()
        child = ProductCategory(name="置顶小类", parent_id=top.id, merchant_id=mid_a)
        brand = Brand(name="置顶品牌", merchant_id=mid_a)
        session.add_all([child, brand])
        session.commit()
        top_id, child_id, brand_id = top.id, child.id, brand.id
    in_top = make_products(app, mid_a, {"置顶甲": [1], "置顶乙": [1]}, category_ids=[top_id])
    in_child = make_products(app, mid_a, {"置顶丙": [1]}, category_ids=[child_id],
                             brand_id=brand_id)
    client = login_as("owner_a")
    token = client.csrf("/productview/pin/")
    page = client.get("/productview/pin/").get_data(as_text=True)
    assert "全部参与" in page and "全部不参与" in page and "置顶大类" in page

    def group(**data):
        return client.post("/productview/pin/group/", data=dict(csrf_token=token, **data),
                           follow_redirects=True).get_data(as_text=True)

    assert "3 个商品已加入置顶" in group(category=str(top_id), join="1")
    assert "0 个商品已加入置顶" in group(category=str(top_id), join="1")  # already pinned
    with app.app_context(), tenant_scope(mid_a):
        pinned = _db().session.execute(select(Product.id).where(
            Product.pin_rank.is_not(None)).order_by(Product.pin_rank)).scalars().all()
    group_ids = sorted(list(in_top.values()) + list(in_child.values()))
    assert pinned[-3:] == group_ids  # after the ones pinned before, in id order
    assert "1 个商品已取消置顶" in group(brand=str(brand_id), join="0")
    assert product_state(app, mid_a, in_child["置顶丙"])["pin_rank"] is None
    assert product_state(app, mid_a, in_top["置顶甲"])["pin_rank"] is not None
    assert "2 个商品已取消置顶" in group(category=str(top_id), join="0")
    assert "请选择分类或品牌" in group(join="1")
    # another merchant's category is not found
    mid_b = merchant_id(app, "茶语小铺")
    with app.app_context(), tenant_scope(mid_b):
        other = _db().session.execute(select(func.min(ProductCategory.id))).scalar()
    if other is not None:
        assert "所选项不存在" in group(category=str(other), join="1")
