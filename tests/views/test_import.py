"""Excel / CSV import (app/admin/importer.py), first used by the shop list."""
import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from tests.conftest import merchant_id

PREFIX = "导入测试"
IMPORT_URL = "/shopview/import/"
HEADER = ["商城名称", "商城类型", "状态", "主题色"]


@pytest.fixture(autouse=True)
def _remove_imported_shops(app):
    """Leave no imported shop (nor its audit rows) behind for the other tests."""
    yield
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        ours = db.session.query(Shop).filter(Shop.name.startswith(PREFIX))
        ids = [str(pk) for (pk,) in ours.with_entities(Shop.id)]
        ours.delete(synchronize_session=False)
        # SQLite reuses freed ids: drop our audit rows so no later test meets them.
        if ids:
            db.session.query(AuditLog).filter(AuditLog.entity == "Shop",
                                              AuditLog.entity_id.in_(ids)).delete(
                synchronize_session=False)
        db.session.commit()


def _csv(rows, encoding="utf-8"):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def _xlsx(rows):
    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return stream.getvalue()


def _upload(client, filename, data):
    token = client.csrf(IMPORT_URL)
    return client.post(IMPORT_URL, data={"csrf_token": token,
                                         "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _shops(app, merchant_name):
    """{name: (shop_type, status, theme_color)} of a merchant's shops."""
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    mid = merchant_id(app, merchant_name)
    with app.app_context(), platform_scope():
        return {s.name: (s.shop_type, s.status, s.theme_color)
                for s in db.session.query(Shop).filter_by(merchant_id=mid)}


def _shop_count(app):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        return db.session.query(Shop).count()


def _text(response):
    return response.get_data(as_text=True)


# -- page and template -----------------------------------------------------------------
def test_list_shows_import_button_only_with_permission(login_as):
    assert "md-import" in _text(login_as("owner_a").get("/shopview/list/"))
    assert "md-import" not in _text(login_as("verifier_a").get("/shopview/list/"))


def test_import_page_explains_columns_limits_and_has_csrf_form(app, login_as):
    page = _text(login_as("owner_a").get(IMPORT_URL))
    assert "导入商城" in page
    for label in HEADER:
        assert label in page
    assert "微商城、小程序商城、百变小程序" in page  # the allowed 商城类型
    assert f"一次最多导入 {app.config['IMPORT_MAX_ROWS']} 行数据" in page
    assert f"单个文件不超过 {app.config['IMPORT_MAX_MB']} MB" in page
    assert "/shopview/import/template" in page
    assert 'name="csrf_token"' in page and 'enctype="multipart/form-data"' in page


def test_template_download_has_chinese_headers_and_notes(login_as):
    response = login_as("owner_a").get("/shopview/import/template")
    assert response.status_code == 200
    assert "spreadsheetml" in response.mimetype
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.data))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == HEADER
    assert book.sheet_names[1] == "填写说明"
    guide = book.get_sheet_by_index(1).to_python()
    notes = {row[0]: row for row in guide[1:5]}
    assert notes["商城名称"][1] == "必填"
    assert "微商城、小程序商城、百变小程序" in notes["商城类型"][2]
    assert "营业中" in notes["状态"][2]
    assert "#E4393C" in notes["主题色"][2]


def test_csrf_is_required(login_as):
    client = login_as("owner_a")
    response = client.post(IMPORT_URL, data={"file": (io.BytesIO(b"x"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


# -- successful imports ----------------------------------------------------------------
def _good_rows(tag):
    return [
        HEADER,
        [f"{PREFIX}{tag}一号店", "微商城", "营业中", "#112233"],
        [f"{PREFIX}{tag}二号店", "小程序商城", "closed", "#AABBCC"],  # code, not label
        [f"{PREFIX}{tag}三号店", "diy_mini", "", ""],  # blanks take the defaults
    ]


def _assert_imported(app, before_b, tag):
    shops_a = _shops(app, "鲜果时光")
    assert shops_a[f"{PREFIX}{tag}一号店"] == ("wx_mall", "open", "#112233")
    assert shops_a[f"{PREFIX}{tag}二号店"] == ("mini_mall", "closed", "#AABBCC")
    assert shops_a[f"{PREFIX}{tag}三号店"] == ("diy_mini", "open", "#E4393C")
    assert _shops(app, "茶语小铺") == before_b  # merchant B untouched


def test_import_utf8_csv_creates_shops_for_own_merchant_with_audit(app, login_as):
    from app.extensions import db
    from app.models.audit import AuditLog
    from app.tenancy import platform_scope

    before_b = _shops(app, "茶语小铺")
    with app.app_context(), platform_scope():
        audits = db.session.query(AuditLog).filter_by(entity="Shop", action="导入").count()
    client = login_as("owner_a")
    response = _upload(client, "shops_utf8.csv", _csv(_good_rows("U"), "utf-8-sig"))
    assert response.status_code == 302 and response.location.endswith("/shopview/list/")
    _assert_imported(app, before_b, "U")
    assert "导入成功，共新增 3 条商城" in _text(client.get("/shopview/list/"))
    with app.app_context(), platform_scope():
        rows = db.session.query(AuditLog).filter_by(entity="Shop", action="导入").all()
        assert len(rows) == audits + 3
        assert {r.merchant_id for r in rows[-3:]} == {merchant_id(app, "鲜果时光")}


def test_import_gbk_csv(app, login_as):
    before_b = _shops(app, "茶语小铺")
    response = _upload(login_as("owner_a"), "shops_gbk.csv", _csv(_good_rows("G"), "gbk"))
    assert response.status_code == 302
    _assert_imported(app, before_b, "G")


def test_import_xlsx_with_columns_in_any_order_and_raw_names(app, login_as):
    before_b = _shops(app, "茶语小铺")
    rows = _good_rows("X")
    # Columns reordered, one header given as the raw column name, an unknown column.
    reordered = [[r[3], r[0], r[2], r[1], "备注"] for r in rows]
    reordered[0][0] = "theme_color"
    reordered[1][4] = "随便写"
    client = login_as("owner_a")
    response = _upload(client, "shops.xlsx", _xlsx(reordered))
    assert response.status_code == 302
    _assert_imported(app, before_b, "X")
    assert "已忽略：备注" in _text(client.get("/shopview/list/"))


# -- refusals: nothing is written ------------------------------------------------------
def test_bad_rows_are_reported_per_row_and_nothing_is_written(app, login_as):
    before = _shop_count(app)
    rows = [
        HEADER,
        [f"{PREFIX}好的一行", "微商城", "营业中", "#112233"],
        [PREFIX + "长" * 50, "微商城", "营业中", "#112233"],
        [f"{PREFIX}类型不对", "超市", "营业中", "#112233"],
        [f"{PREFIX}颜色不对", "微商城", "营业中", "red"],
        ["", "微商城", "歇业", "#112233"],
    ]
    response = _upload(login_as("owner_a"), "bad.csv", _csv(rows))
    page = _text(response)
    assert response.status_code == 200
    assert "导入失败" in page and "未写入任何数据" in page
    assert "第 3 行，商城名称：不能超过 50 个字符（当前 54 个）" in page
    assert "第 4 行，商城类型：“超市”不是有效的选项，可选：微商城、小程序商城、百变小程序" in page
    assert "第 5 行，主题色：主题色格式应为 #RRGGBB" in page
    assert "第 6 行，商城名称：不能为空" in page
    assert "第 6 行，状态：“歇业”不是有效的选项" in page
    assert "<li>第 2 行" not in page  # the good row has no error...
    assert _shop_count(app) == before  # ...and was not written either


def test_view_validators_apply_too(app, login_as):
    before = _shop_count(app)
    rows = [HEADER, ["A", "微商城", "营业中", "#112233"]]  # Length(min=2) of ShopView
    page = _text(_upload(login_as("owner_a"), "short.csv", _csv(rows)))
    assert "第 2 行，商城名称：商城名称须为 2-50 个字符" in page
    assert _shop_count(app) == before


def test_error_list_is_capped_with_a_count_of_the_rest(app, login_as):
    before = _shop_count(app)
    rows = [HEADER] + [[f"{PREFIX}{i}", "超市", "营业中", "#112233"] for i in range(230)]
    page = _text(_upload(login_as("owner_a"), "many_bad.csv", _csv(rows)))
    assert "共发现 230 处错误" in page
    assert page.count("<li>第 ") == 200
    assert "另有 30 处错误未显示" in page
    assert _shop_count(app) == before


def test_missing_required_column_is_named(app, login_as):
    before = _shop_count(app)
    rows = [["商城类型", "状态"], ["微商城", "营业中"]]
    page = _text(_upload(login_as("owner_a"), "no_name.csv", _csv(rows)))
    assert "缺少必填列：商城名称" in page
    assert _shop_count(app) == before


@pytest.mark.parametrize("filename, data, message", [
    ("shops.txt", _csv([HEADER, [PREFIX + "店", "微商城", "营业中", "#112233"]]),
     "文件类型不支持：只能上传 .xlsx 或 .csv 文件"),
    ("shops.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls 文件"),
    ("empty.csv", b"", "文件是空的"),
    ("header_only.csv", _csv([HEADER]), "文件中只有表头，没有数据行"),
    ("fake.xlsx", b"this is not a zip", "文件无法读取"),
])
def test_unusable_files_are_refused_in_chinese(app, login_as, filename, data, message):
    before = _shop_count(app)
    response = _upload(login_as("owner_a"), filename, data)
    assert response.status_code == 200
    page = _text(response)
    assert "导入失败，未写入任何数据" in page and message in page
    assert _shop_count(app) == before


def test_oversize_file_is_refused(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_MB", 1)
    before = _shop_count(app)
    rows = [HEADER] + [[f"{PREFIX}{i:06d}" + "店" * 30, "微商城", "营业中", "#112233"]
                       for i in range(12000)]
    data = _csv(rows)
    assert len(data) > 1024 * 1024
    page = _text(_upload(login_as("owner_a"), "big.csv", data))
    assert "文件太大：不能超过 1 MB" in page
    assert _shop_count(app) == before


def test_too_many_rows_are_refused(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    before = _shop_count(app)
    rows = [HEADER] + [[f"{PREFIX}{i}", "微商城", "营业中", "#112233"] for i in range(4)]
    page = _text(_upload(login_as("owner_a"), "four.csv", _csv(rows)))
    assert "本文件有 4 行，一次最多导入 3 行" in page
    assert _shop_count(app) == before
    # Exactly at the limit is fine.
    ok = _upload(login_as("owner_a"), "three.csv", _csv(rows[:4]))
    assert ok.status_code == 302
    assert _shop_count(app) == before + 3


# -- permissions and the task center ---------------------------------------------------
def test_staff_without_can_import_gets_403(app, login_as):
    client = login_as("verifier_a")
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get("/shopview/import/template").status_code == 403
    before = _shop_count(app)
    token = client.csrf("/account/password")
    response = client.post(IMPORT_URL, data={
        "csrf_token": token, "file": (io.BytesIO(_csv(_good_rows("V"))), "v.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert _shop_count(app) == before


def test_sync_grants_can_import_to_the_owner_role_only(app):
    from app.cli import sync_permissions
    from app.extensions import db
    from app.security import OWNER_ROLE

    sm = app.appbuilder.sm

    def holders():
        return {r.name for r in db.session.query(sm.role_model)
                if any(p.permission.name == "can_import" and p.view_menu.name == "ShopView"
                       for p in r.permissions)}

    with app.app_context():
        owner = sm.find_role(OWNER_ROLE)
        pvm = sm.find_permission_view_menu("can_import", "ShopView")
        assert pvm is not None and pvm in owner.permissions
        owner.permissions = [p for p in owner.permissions if p is not pvm]
        db.session.commit()
        assert OWNER_ROLE not in holders()
        sync_permissions()  # what `flask md sync` runs
        assert OWNER_ROLE in holders()
        assert not any(name.endswith(":核销员") for name in holders())


def test_import_tasks_show_in_the_task_center_of_that_user(app, login_as):
    owner = login_as("owner_a")
    assert _upload(owner, "task_ok.csv", _csv(_good_rows("T"))).status_code == 302
    bad = [HEADER, [f"{PREFIX}任务失败", "超市", "营业中", "#112233"]]
    assert "导入失败" in _text(_upload(owner, "task_bad.csv", _csv(bad)))

    page = _text(owner.get("/taskview/list/"))
    assert "导入商城（task_ok.csv）" in page and "导入商城（task_bad.csv）" in page
    assert "已完成" in page and "失败" in page

    from app.extensions import db
    from app.models.task import Task
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        failed = db.session.query(Task).filter_by(title="导入商城（task_bad.csv）").one()
        done = db.session.query(Task).filter_by(title="导入商城（task_ok.csv）").one()
        assert (failed.kind, failed.status, done.status) == ("import", "failed", "done")
        assert failed.merchant_id == merchant_id(app, "鲜果时光")
        failed_id = failed.id
    show = _text(owner.get(f"/taskview/show/{failed_id}"))
    assert "第 2 行，商城类型：“超市”不是有效的选项" in show
    # Another user of the merchant, and the other merchant, do not see it.
    assert "task_ok.csv" not in _text(login_as("manager_a").get("/taskview/list/"))
    assert "task_ok.csv" not in _text(login_as("owner_b").get("/taskview/list/"))


# -- cell rules for the column types the shop has not (money, dates, booleans...) -----
def _spec(app, **kwargs):
    from app.admin.import_cells import ImportField

    values = dict(name="x", label="测试", kind="string", required=False, has_default=False,
                  nullable=True)
    values.update(kwargs)
    return ImportField(**values)


def _parse(app, spec, raw):
    from app.admin.import_cells import CellError, parse_cell

    with app.test_request_context():
        try:
            return parse_cell(spec, raw)
        except CellError as exc:
            return "ERR:" + str(exc)


def test_cell_rules_money_dates_booleans_integers(app):
    money = _spec(app, kind="decimal", precision=12, scale=2)
    value = _parse(app, money, "12.5")
    assert value == Decimal("12.50") and isinstance(value, Decimal)
    assert _parse(app, money, "¥1,234.56") == Decimal("1234.56")
    assert _parse(app, money, "19.990000000000002") == Decimal("19.99")  # float noise
    assert _parse(app, money, "12.345") == "ERR:最多 2 位小数"
    assert _parse(app, money, "abc") == "ERR:应为数字"
    assert _parse(app, money, "NaN") == "ERR:应为数字"
    assert _parse(app, money, "10000000000") == "ERR:数值过大"

    day = _spec(app, kind="date")
    assert _parse(app, day, "2026-01-31") == date(2026, 1, 31)
    assert _parse(app, day, "2026-01-31 00:00:00") == date(2026, 1, 31)  # Excel date cell
    assert _parse(app, day, "2026/1/31") == date(2026, 1, 31)
    assert _parse(app, day, "31/01/2026") == "ERR:日期格式应为 YYYY-MM-DD"
    assert _parse(app, day, "2026-02-30") == "ERR:不是有效的日期"

    flag = _spec(app, kind="boolean")
    assert _parse(app, flag, "是") is True and _parse(app, flag, "否") is False
    assert _parse(app, flag, "也许") == "ERR:应填写“是”或“否”"

    number = _spec(app, kind="integer", int_limit=2 ** 31)
    assert _parse(app, number, "42") == 42
    assert _parse(app, number, "4.5") == "ERR:应为整数"
    assert _parse(app, number, "99999999999") == "ERR:数值超出范围"

    required = _spec(app, required=True, max_length=4)
    assert _parse(app, required, "") == "ERR:不能为空"
    assert _parse(app, required, "12345") == "ERR:不能超过 4 个字符（当前 5 个）"
    assert _parse(app, _spec(app), "") is None


def test_validate_import_row_hook_and_required_columns_from_the_model(app):
    from app.views.shop import ShopView

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, ShopView))
    assert "can_import" in view.base_permissions
    with app.test_request_context():
        fields = {f.name: f for f in view.import_fields()}
        assert fields["name"].required and not fields["shop_type"].required
        assert fields["shop_type"].kind == "choice" and fields["name"].max_length == 50

        calls = []

        def hook(values, row_number):
            calls.append((row_number, values["name"]))
            return [("name", "与已有商城重名"), "整行有问题"]

        view.validate_import_row = hook
        try:
            items, errors = view.validate_import_rows(
                [(2, ["好名字", "微商城", "营业中", "#112233"])],
                {i: fields[n] for i, n in enumerate(["name", "shop_type", "status",
                                                     "theme_color"])},
                list(fields.values()))
        finally:
            del view.validate_import_row
    assert calls == [(2, "好名字")]
    assert items == []
    assert errors == ["第 2 行，商城名称：与已有商城重名", "第 2 行：整行有问题"]
    assert re.match(r"第 \d+ 行", errors[0])
