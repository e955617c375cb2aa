"""商品管理 at scale: list pages, a batch price update and an import, each as a ratio to a
baseline measured in the same run.

Seeds ``--products`` products (default 200,000) with 3 SKUs each for merchant A on a
throwaway SQLite database (built by the migrations, plus the demo data), logged in as its
owner, then measures (best of ``--repeat`` runs):

* 全部商品列表 (ProductView): the default page, filtered by category and status, and searched
  by name prefix; baseline: a stock Flask-AppBuilder ModelView over the same table with
  the same columns and a merchant base filter;
* 批量设置售价 +1 on 10,000 products through the service (set-based: per chunk of 500 ids
  one SELECT for the ids, UPDATEs of products and SKUs); baseline: the same change as
  two hand-written SQL UPDATEs over an id range;
* 商品导入 of a 10,000-row xlsx through the view (parse, validate every row, insert
  products, SKUs and stock ledger rows in one transaction); baseline: reading the same file
  with python-calamine alone.

    .venv/bin/python bench/catalog.py [--products 200000] [--repeat 3]

Shared parts (app, baseline view, timing) are in bench/common.py.
"""
import argparse
import io
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (TOKEN_RE, add_stock_view, best, build_app, close,  # noqa: E402
                          get_ok, log_in, merchant_id, sqlite_url, workdir)

WORKDIR = workdir("catalog")
BATCH = 10_000
IMPORT_ROWS = 10_000


def build():
    from app.models.catalog import Product

    app = build_app(sqlite_url(WORKDIR), IMPORT_MAX_ROWS=IMPORT_ROWS, IMPORT_MAX_MB=20)
    add_stock_view(app, "StockProductView", Product, list_columns=[
        "id", "name", "product_type", "price", "stock", "points_earned", "status",
        "created_at"], search_columns=["name", "categories", "status"])
    return app


def seed_products(count):
    """``count`` products of merchant A with 3 SKUs each and one category, by Core inserts."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.base import china_now
    from app.models.catalog import Product, ProductCategory, Sku, product_category_link
    from app.tenancy import platform_scope

    mid = merchant_id()
    with platform_scope():
        categories = db.session.execute(select(ProductCategory.id).where(
            ProductCategory.merchant_id == mid)).scalars().all()
        start = (db.session.execute(select(Product.id).order_by(Product.id.desc()).limit(1)
                                    ).scalar() or 0) + 1
        now = china_now()
        statuses = ("on_shelf", "off_shelf", "warehouse")
        chunk = 20_000
        for base in range(0, count, chunk):
            ids = range(start + base, start + min(base + chunk, count))
            db.session.execute(insert(Product.__table__), [dict(
                id=i, merchant_id=mid, name=f"压测商品{i:07d}", product_type="normal",
                goods_kind="physical", price=10 + i % 90, original_price=100, cost_price=5,
                stock=30, delivery="express", free_shipping=True, weight=0, timed_sale=False,
                real_name_required=False, points_earned=i % 50, initial_sales=0,
                stock_strategy="on_payment", status=statuses[i % 3], bargain_multiple=False,
                created_at=now - timedelta(seconds=i)) for i in ids])
            db.session.execute(insert(Sku.__table__), [dict(
                merchant_id=mid, product_id=i, spec_key=f"v{k}", spec_text=f"规格{k}",
                price=10 + i % 90, stock=10, retired=False) for i in ids for k in range(3)])
            db.session.execute(insert(product_category_link), [dict(
                product_id=i, category_id=categories[i % len(categories)]) for i in ids])
        db.session.commit()
        return categories[0]


def bench_lists(client, category, repeat):
    queries = {
        "默认列表": "",
        "分类+上架状态": f"?_flt_0_categories={category}&_flt_3_status=on_shelf",
        "商品名前缀": "?_flt_0_name=压测商品00123",
    }
    rows = []
    for label, query in queries.items():
        ours = f"/productview/list/{query}"
        stock = f"/stockproductview/list/{query}"
        for url in (ours, stock):
            get_ok(client, url)()  # warm-up
        rows.append((f"商品列表：{label}", best(get_ok(client, ours), repeat),
                     best(get_ok(client, stock), repeat), "stock FAB ModelView"))
    return rows


def bench_batch(app, repeat):
    from sqlalchemy import select, text

    from app.extensions import db
    from app.models.catalog import Product
    from app.services.catalog_batch import batch_adjust
    from app.tenancy import tenant_scope

    with app.app_context():
        mid = merchant_id()
    with app.app_context(), tenant_scope(mid):
        ids = db.session.execute(select(Product.id).order_by(Product.id).limit(BATCH)
                                 ).scalars().all()
        low, high = ids[0], ids[-1]

        def ours():
            result = batch_adjust(db.session, mid, ids, "price", "increase", 1)
            db.session.commit()
            assert result.changed == len(ids)

        def baseline():
            params = {"mid": mid, "low": low, "high": high}
            db.session.execute(text("UPDATE product SET price = price + 1 WHERE merchant_id = "
                                     ":mid AND id BETWEEN :low AND :high"), params)
            db.session.execute(text("UPDATE sku SET price = price + 1 WHERE merchant_id = :mid "
                                     "AND retired = :no AND product_id BETWEEN :low AND :high"),
                               dict(params, no=False))
            db.session.commit()

        return [(f"批量设置售价 {len(ids):,} 个商品", best(ours, repeat), best(baseline, repeat),
                 "hand-written SQL UPDATE")]


def bench_import(client, repeat):
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["商品名称", "售价", "库存", "商品编号"])
    for n in range(1, IMPORT_ROWS + 1):
        sheet.write_row(n, 0, [f"导入商品{n:05d}", 9.9, 5, f"IMP{n:05d}"])
    book.close()
    data = stream.getvalue()
    token_page = client.get("/productview/import/").get_data(as_text=True)
    token = TOKEN_RE.search(token_page).group(1)

    def ours():
        response = client.post("/productview/import/", data={
            "csrf_token": token, "file": (io.BytesIO(data), "import.xlsx")},
            content_type="multipart/form-data")
        if response.status_code != 302:
            raise SystemExit("bench: import failed")

    def baseline():
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        assert len(rows) == IMPORT_ROWS + 1

    return [(f"商品导入 {IMPORT_ROWS:,} 行 xlsx", best(ours, 1), best(baseline, repeat),
             "python-calamine read only")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", default="lists,batch,import",
                        help="comma-separated: lists, batch, import")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if args.products < BATCH:
        raise SystemExit(f"bench: --products must be at least {BATCH}")
    app = build()
    try:
        began = time.perf_counter()
        with app.app_context():
            category = seed_products(args.products)
        seeded = time.perf_counter() - began
        client = app.test_client()
        log_in(client)
        results = bench_lists(client, category, args.repeat) if "lists" in parts else []
        if "batch" in parts:
            results += bench_batch(app, args.repeat)
        if "import" in parts:
            results += bench_import(client, args.repeat)
        print(f"商品管理 benchmark: SQLite, {args.products:,} products x 3 SKUs "
              f"(seeded in {seeded:.1f} s), best of {args.repeat}")
        print(f"{'measure':<28} {'ours':>9} {'baseline':>9} {'ratio':>7}  baseline")
        for label, ours, base, baseline in results:
            print(f"{label:<28} {ours * 1000:>7.1f}ms {base * 1000:>7.1f}ms "
                  f"{ours / base:>7.2f}  {baseline}")
    finally:
        close(app, WORKDIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
