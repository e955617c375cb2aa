"""商品导入: the template, a 淘宝助理 GBK CSV, per-row errors and refused files."""
import io

from sqlalchemy import func, select

from tests.conftest import merchant_id


def upload(client, name, data):
    token = client.csrf("/productview/import/")
    return client.post("/productview/import/", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data", follow_redirects=True)


def products(app, **where):
    from app.extensions import db
    from app.models.catalog import Product, StockLedger
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), tenant_scope(mid):
        query = select(Product)
        for key, value in where.items():
            query = query.where(getattr(Product, key) == value)
        rows = db.session.execute(query).scalars().all()
        return [dict(name=p.name, status=p.status, stock=p.stock, price=p.price,
                     image_urls=p.image_urls, description=p.description,
                     skus=[(s.stock, s.price) for s in p.skus],
                     ledger=db.session.execute(select(StockLedger.delta).where(
                         StockLedger.product_id == p.id)).scalars().all()) for p in rows]


def count(app):
    from app.extensions import db
    from app.models.catalog import Product
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        return db.session.execute(select(func.count(Product.id))).scalar()


def test_template_csv_imports_off_shelf_with_stock_through_the_ledger(app, login_as):
    client = login_as("owner_a")
    data = "商品名称,售价,库存,商品编号\n导入苹果,9.90,12,IMP-1\n导入梨子,5,0,IMP-2\n".encode()
    text = upload(client, "商品.csv", data).get_data(as_text=True)
    assert "导入成功，共新增 2 条商品" in text
    [apple] = products(app, name="导入苹果")
    assert apple["status"] == "off_shelf" and apple["stock"] == 12
    assert apple["skus"] == [(12, apple["price"])] and apple["ledger"] == [12]


def test_taobao_gbk_csv(app, login_as):
    client = login_as("owner_a")
    lines = ["version 1.00",
             "title,cid,price,num,description,outer_id,picture",
             "宝贝名称,宝贝类目,宝贝价格,宝贝数量,宝贝描述,商家编码,新图片",
             '淘宝龙眼,50008075,23.50,30,"<p>甜<script>x()</script></p>",TB-1,'
             '"a1b2c3:1:0:|;d4e5f6:1:1:|;"']
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    text = upload(client, "taobao.csv", data).get_data(as_text=True)
    assert "导入成功，共新增 1 条商品" in text
    [item] = products(app, name="淘宝龙眼")
    assert item["status"] == "off_shelf" and item["stock"] == 30
    assert str(item["price"]) == "23.50"
    assert item["image_urls"] == "a1b2c3:1:0:|;d4e5f6:1:1:|;"
    assert "<script>" not in item["description"]


def test_row_errors_are_reported_and_nothing_is_written(app, login_as):
    client = login_as("owner_a")
    before = count(app)
    data = "商品名称,售价,库存\n好名字,1,1\n坏,1,2\n负价格,-1,-2\n另一个,abc,3\n".encode()
    text = upload(client, "bad.csv", data).get_data(as_text=True)
    assert "第 3 行，商品名称：商品名称须为 2-50 个字符" in text
    assert "第 4 行，售价：不能小于 0" in text and "第 4 行，库存：必须是 0 或正整数" in text
    assert "第 5 行，售价：应为数字" in text
    assert count(app) == before


def test_wrong_header_empty_file_and_too_many_rows_are_refused(app, login_as):
    client = login_as("owner_a")
    before = count(app)
    text = upload(client, "nohead.csv", "商品名称,库存\n苹果,1\n".encode()).get_data(as_text=True)
    assert "缺少必填列：售价" in text
    assert "文件是空的" in upload(client, "empty.csv", b"").get_data(as_text=True)
    big = "商品名称,售价\n" + "批量商品,1\n" * 100_001  # over IMPORT_JOB_MAX_ROWS
    assert "数据行数过多" in upload(client, "big.csv", big.encode()).get_data(as_text=True)
    assert count(app) == before


def test_a_large_file_runs_as_a_task_center_job(app, login_as):
    from app.extensions import db
    from app.models.task import Task
    from app.tenancy import tenant_scope

    client = login_as("owner_a")
    before = count(app)
    rows = app.config.get("IMPORT_JOB_ROWS", 2000) + 1
    data = "商品名称,售价,库存\n" + "".join(f"任务导入{n:05d},1,2\n" for n in range(rows))
    upload(client, "job.csv", data.encode())
    assert count(app) == before + rows
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        task = db.session.execute(select(Task).where(Task.kind == "import")
                                  .order_by(Task.id.desc())).scalars().first()
        assert task.status == "done" and "job.csv" in task.title
    assert products(app, name="任务导入00007")[0]["stock"] == 2


def audit_entries(app, **where):
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        query = select(AuditLog)
        for key, value in where.items():
            query = query.where(getattr(AuditLog, key) == value)
        return db.session.execute(query.order_by(AuditLog.id)).scalars().all()


def test_import_is_bulk_with_one_audit_entry_and_a_ledger_row_per_opening_stock(app, login_as):
    import json

    client = login_as("owner_a")
    before_audit = len(audit_entries(app))
    data = "商品名称,售价,库存,商品编号\n" + "".join(
        f"审计导入{n:03d},{n}.5,{n % 3},AU-{n}\n" for n in range(40))
    assert "导入成功，共新增 40 条商品" in upload(client, "audit.csv", data.encode()
                                           ).get_data(as_text=True)
    new = audit_entries(app)[before_audit:]
    assert [(e.entity, e.action) for e in new] == [("Product", "导入")]  # not 80 rows
    detail = json.loads(new[0].changes)
    assert detail["新增数量"] == 40 and detail["文件"] == "audit.csv"
    rows = sorted((p for p in products(app) if p["name"].startswith("审计导入")),
                  key=lambda p: p["name"])
    assert len(rows) == 40
    for n, row in enumerate(rows):  # ids came back in row order: each SKU its own product's
        assert row["price"] == row["skus"][0][1] and str(row["price"]) == f"{n}.50"
        assert row["skus"] == [(n % 3, row["price"])] and row["stock"] == n % 3
        assert row["ledger"] == ([n % 3] if n % 3 else [])


def test_import_without_returning_in_order_writes_the_same_rows(app, login_as, monkeypatch):
    """A database with neither batched RETURNING in order nor SQLite's consecutive rowids
    (MySQL/MariaDB) takes the one-INSERT-per-row path: same products, SKUs, ledger rows."""
    from app.services import catalog_import

    monkeypatch.setattr(catalog_import, "_returning_in_order", lambda session: False)
    monkeypatch.setattr(catalog_import, "_contiguous_rowids", lambda session: False)
    client = login_as("owner_a")
    data = "商品名称,售价,库存\n逐行导入甲,3,4\n逐行导入乙,5,0\n".encode()
    assert "导入成功，共新增 2 条商品" in upload(client, "rows.csv", data).get_data(as_text=True)
    [first] = products(app, name="逐行导入甲")
    [second] = products(app, name="逐行导入乙")
    assert first["skus"] == [(4, first["price"])] and first["ledger"] == [4]
    assert second["skus"] == [(0, second["price"])] and second["ledger"] == []
