"""What every view gets from AdminModelView, tested on the shop list (a real model)."""
import io

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import merchant_id


def _sheet(data):
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python()


def _add_shop(app, merchant_name, name, **fields):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        shop = Shop(merchant_id=merchant_id(app, merchant_name), name=name, **fields)
        db.session.add(shop)
        db.session.commit()
        return shop.id


def _delete_shop(app, pk):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        shop = db.session.get(Shop, pk)
        if shop is not None:
            db.session.delete(shop)
            db.session.commit()


def test_titles_and_labels_are_chinese(login_as):
    page = login_as("owner_a").get("/shopview/list/").get_data(as_text=True)
    assert "商城列表" in page and "商城名称" in page and "商城类型" in page
    assert "List Shop" not in page and "Shop Type" not in page
    assert "微商城" in page  # a choice column shows its label, not the code wx_mall


def test_list_shows_only_own_tenant(login_as):
    page = login_as("owner_a").get("/shopview/list/").get_data(as_text=True)
    assert "鲜果时光微商城" in page
    assert "茶语小铺微商城" not in page


def test_count_is_capped(app, login_as):
    client = login_as("owner_a")
    app.config["LIST_COUNT_CAP"] = 1
    try:
        page = client.get("/shopview/list/").get_data(as_text=True)
    finally:
        app.config["LIST_COUNT_CAP"] = 10000
    assert "1+" in page


@pytest.mark.parametrize("query", [
    "psize_ShopView=abc", "psize_ShopView=100000", "page_ShopView=-3", "page_ShopView=x",
    "_oc_ShopView=no_such_column&_od_ShopView=asc", "_oc_ShopView=name&_od_ShopView=sideways",
    "_flt_9_name=x", "_flt_0_no_such=1", "_flt_x_name=1",
])
def test_malformed_list_arguments_never_500(login_as, query):
    response = login_as("owner_a").get("/shopview/list/?" + query)
    assert response.status_code == 200


def test_bad_filter_value_is_a_message_not_a_500(login_as):
    response = login_as("owner_a").get("/shopview/list/?_flt_1_created_at=not-a-date")
    assert response.status_code in (200, 302)


def test_search_panel_stays_open_while_a_filter_is_active(login_as):
    client = login_as("owner_a")
    plain = client.get("/shopview/list/").get_data(as_text=True)
    filtered = client.get("/shopview/list/?_flt_0_name=鲜果").get_data(as_text=True)
    assert 'id="accordion1_href" class="panel-collapse collapse"' in plain
    assert 'id="accordion1_href" class="panel-collapse collapse in"' in filtered


def test_page_size_is_clamped(app, login_as):
    ids = [_add_shop(app, "鲜果时光", f"分页测试店{i:03d}") for i in range(105)]
    try:
        page = login_as("owner_a").get("/shopview/list/?psize_ShopView=500").get_data(
            as_text=True)
        assert page.count('name="rowid"') <= 100
        assert page.count("分页测试店") == 100
    finally:
        for pk in ids:
            _delete_shop(app, pk)


@pytest.mark.parametrize("path", ["/shopview/show/abc", "/shopview/edit/1x",
                                  "/shopview/show/99999999"])
def test_bad_or_unknown_pk_is_404(login_as, path):
    assert login_as("owner_a").get(path).status_code == 404


def test_other_tenants_row_is_404_on_show_and_edit(app, login_as):
    other = _add_shop(app, "茶语小铺", "隔离测试店")
    try:
        client = login_as("owner_a")
        assert client.get(f"/shopview/show/{other}").status_code == 404
        token = client.csrf()
        response = client.post(f"/shopview/edit/{other}", data={
            "name": "被篡改", "shop_type": "wx_mall", "status": "open",
            "theme_color": "#000000", "csrf_token": token})
        assert response.status_code == 404
        assert client.post(f"/shopview/delete/{other}",
                           data={"csrf_token": token}).status_code == 404
    finally:
        from app.extensions import db
        from app.models.shop import Shop
        from app.tenancy import platform_scope

        with app.app_context(), platform_scope():
            assert db.session.get(Shop, other).name == "隔离测试店"
        _delete_shop(app, other)


def test_delete_by_get_is_refused(app, login_as):
    pk = _add_shop(app, "鲜果时光", "GET删除测试店")
    try:
        login_as("owner_a").get(f"/shopview/delete/{pk}")
        from app.extensions import db
        from app.models.shop import Shop
        from app.tenancy import platform_scope

        with app.app_context(), platform_scope():
            assert db.session.get(Shop, pk) is not None
    finally:
        _delete_shop(app, pk)


def test_post_without_csrf_token_is_refused(login_as):
    response = login_as("owner_a").post("/shopview/add", data={
        "name": "无令牌店", "shop_type": "wx_mall", "status": "open", "theme_color": "#112233"})
    assert response.status_code == 400


def test_add_edit_and_validation_keep_input(app, login_as):
    client = login_as("owner_a")
    token = client.csrf("/shopview/add")
    bad = client.post("/shopview/add", data={
        "name": "好", "shop_type": "wx_mall", "status": "open", "theme_color": "red",
        "csrf_token": token}).get_data(as_text=True)
    assert "商城名称须为 2-50 个字符" in bad and "主题色格式应为 #RRGGBB" in bad
    assert 'value="red"' in bad  # the input is kept
    ok = client.post("/shopview/add", data={
        "name": "新开的店", "shop_type": "mini_mall", "status": "open",
        "theme_color": "#123456", "csrf_token": token})
    assert ok.status_code == 302
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        shop = db.session.query(Shop).filter_by(name="新开的店").one()
        assert shop.merchant_id == merchant_id(app, "鲜果时光")
        pk = shop.id
    _delete_shop(app, pk)


def test_export_is_the_filtered_sorted_list_with_chinese_headers(app, login_as):
    ids = [_add_shop(app, "鲜果时光", name) for name in ("导出A店", "导出B店", "=HYPERLINK(1)")]
    try:
        client = login_as("owner_a")
        response = client.get("/shopview/export/?_flt_0_name=导出&_oc_ShopView=name&_od_ShopView=desc")
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert "filename*=UTF-8''" in disposition
        assert "%E5%95%86%E5%9F%8E%E5%88%97%E8%A1%A8_" in disposition  # 商城列表_
        rows = _sheet(response.data)
        assert rows[0][:3] == ["ID", "商城名称", "商城类型"]
        assert [r[1] for r in rows[1:]] == ["导出B店", "导出A店"]
        assert rows[1][2] == "微商城"
        everything = _sheet(client.get("/shopview/export/").data)
        names = [r[1] for r in everything[1:]]
        assert "'=HYPERLINK(1)" in names  # neutralised, not a formula
        assert not any(n.startswith("茶语") for n in names)
        assert isinstance(everything[1][0], (int, float))  # ids are numbers
    finally:
        for pk in ids:
            _delete_shop(app, pk)


def test_large_export_goes_to_the_task_center(app, login_as):
    ids = [_add_shop(app, "鲜果时光", f"大导出店{i:03d}") for i in range(60)]
    try:
        client = login_as("owner_a")
        response = client.get("/shopview/export/")
        assert response.status_code == 302 and "/taskview/list/" in response.location
        tasks = client.get("/taskview/list/").get_data(as_text=True)
        assert "导出商城列表" in tasks and "已完成" in tasks  # in-process without Redis
        from app.extensions import db
        from app.models.task import Task
        from app.tenancy import platform_scope

        with app.app_context(), platform_scope():
            task = db.session.query(Task).order_by(Task.id.desc()).first()
            task_id = task.id
            assert task.status == "done" and task.progress == 100
        result = client.get(f"/taskview/result/{task_id}")
        assert result.status_code == 200
        assert len(_sheet(result.data)) >= 61
        assert login_as("owner_b").get(f"/taskview/result/{task_id}").status_code == 404
        assert login_as("manager_a").get(f"/taskview/result/{task_id}").status_code == 404
    finally:
        for pk in ids:
            _delete_shop(app, pk)


def test_related_endpoint_is_paginated_and_tenant_filtered(login_as):
    client = login_as("owner_a")
    data = client.get("/staffview/related/roles?q=").get_json()
    labels = [r["text"] for r in data["results"]]
    assert sorted(labels) == ["店长", "核销员"]
    assert data["pagination"]["more"] is False
    assert client.get("/staffview/related/nope").status_code == 404


def test_shop_qr_code_page_and_png(login_as, app):
    client = login_as("owner_a")
    pk = _add_shop(app, "鲜果时光", "二维码测试店")
    try:
        page = client.get(f"/shopview/qrcode/{pk}").get_data(as_text=True)
        assert f"https://shop.example.test/s/{pk}" in page and "下载二维码" in page
        png = client.get(f"/shopview/qrcode/{pk}?download=1")
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert "attachment" in png.headers["Content-Disposition"]
    finally:
        _delete_shop(app, pk)


def _png_bytes(size=(8, 8)):
    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", size, "#e4393c").save(stream, format="PNG")
    return stream.getvalue()


def test_logo_upload_is_checked_stored_and_served_to_its_tenant_only(app, login_as):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    client = login_as("owner_a")
    token = client.csrf("/shopview/add")
    form = {"name": "有Logo的店", "shop_type": "wx_mall", "status": "open",
            "theme_color": "#123456", "csrf_token": token}
    fake = client.post("/shopview/add", data={**form, "logo": (io.BytesIO(b"not an image"),
                                                                   "logo.png")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "文件内容不是有效的图片" in fake and 'value="有Logo的店"' in fake
    wrong = client.post("/shopview/add", data={**form, "logo": (io.BytesIO(b"MZ"), "a.exe")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "只支持 JPG、PNG、GIF、WEBP 格式的图片" in wrong
    app.config["IMAGE_MAX_MB"] = 0
    try:
        big = client.post("/shopview/add", data={**form, "logo": (io.BytesIO(_png_bytes()),
                                                                  "big.png")},
                          content_type="multipart/form-data").get_data(as_text=True)
    finally:
        app.config["IMAGE_MAX_MB"] = 2
    assert "图片不能超过 0 MB" in big
    with app.app_context(), platform_scope():
        assert db.session.query(Shop).filter_by(name="有Logo的店").count() == 0
    ok = client.post("/shopview/add", data={**form, "logo": (io.BytesIO(_png_bytes()),
                                                             "店标.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context(), platform_scope():
        shop = db.session.query(Shop).filter_by(name="有Logo的店").one()
        pk, stored = shop.id, shop.logo
    try:
        assert stored.endswith(".png") and "店标" not in stored
        listing = client.get("/shopview/list/").get_data(as_text=True)
        assert f"/shopview/download/{stored}" in listing
        image = client.get(f"/shopview/download/{stored}")
        assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
        assert login_as("owner_b").get(f"/shopview/download/{stored}").status_code == 404
        # editing without a new file keeps the logo
        client.post(f"/shopview/edit/{pk}", data={**form, "name": "有Logo的店2"},
                    content_type="multipart/form-data")
        with app.app_context(), platform_scope():
            assert db.session.get(Shop, pk).logo == stored
    finally:
        _delete_shop(app, pk)


def test_oversize_request_gets_a_chinese_message(app, login_as):
    client = login_as("owner_a")
    token = client.csrf("/shopview/add")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/shopview/add", data={
            "name": "x" * 10, "shop_type": "wx_mall", "status": "open", "theme_color": "#123456",
            "csrf_token": token, "logo": (io.BytesIO(b"0" * 4096), "big.png")},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


def test_orm_guard_filters_counts_that_name_no_entity_column(app):
    """``select(func.count()).select_from(Model)`` carries the model only in its FROM
    clause; the guard must still scope it to the tenant (it counted every merchant)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope, tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context():
        with platform_scope():
            everyone = db.session.execute(select(func.count(Shop.id))).scalar()
            own = db.session.execute(
                select(func.count(Shop.id)).where(Shop.merchant_id == mid)).scalar()
        with tenant_scope(mid):
            counted = db.session.execute(select(func.count()).select_from(Shop)).scalar()
    assert own < everyone
    assert counted == own


def test_orm_guard_filters_counts_whose_table_is_only_in_the_where_clause(app):
    """``select(func.count()).where(Shop.name != "")`` takes its FROM from the WHERE
    clause; the guard finds the table there too."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope, tenant_scope

    mid = merchant_id(app, "鲜果时光")
    with app.app_context():
        with platform_scope():
            everyone = db.session.execute(
                select(func.count()).where(Shop.name != "")).scalar()
            own = db.session.execute(select(func.count()).where(
                Shop.name != "", Shop.merchant_id == mid)).scalar()
        with tenant_scope(mid):
            counted = db.session.execute(
                select(func.count()).where(Shop.name != "")).scalar()
    assert own < everyone
    assert counted == own
