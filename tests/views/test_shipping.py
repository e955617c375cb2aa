"""发货, 拆分运单, 商家自送 / 自提 and 批量发货 through the console."""
import io

from sqlalchemy import select

from tests.views.fulfilment_fixtures import MERCHANT_B, courier_id, get, make_order, rows


def _ship(client, order_id, **form):
    form.setdefault("csrf_token", client.csrf(f"/fulfilment/order/{order_id}/ship"))
    return client.post(f"/fulfilment/order/{order_id}/ship", data=form)


def test_ship_whole_order_by_courier(app, login_as):
    from app.models.fulfilment import Shipment
    from app.models.order import Order, OrderLog

    order_id, item_ids, _no, _m = make_order(app)
    owner = login_as("owner_a")
    page = owner.get(f"/fulfilment/order/{order_id}/ship").get_data(as_text=True)
    assert "顺丰速运" in page and "邮政 EMS" not in page  # only couriers the shop enabled
    response = _ship(owner, order_id, kind="courier",
                     courier_id=courier_id(app, "顺丰速运"), waybill_no="SF1234567890")
    assert response.status_code == 302
    order = get(app, Order, order_id)
    assert (order.status, order.logistics_status) == ("shipped", "shipped")
    shipments = rows(app, select(Shipment).where(Shipment.order_id == order_id))
    assert [(s.courier_name, s.waybill_no, s.kind) for s in shipments] == [
        ("顺丰速运", "SF1234567890", "courier")]
    logs = rows(app, select(OrderLog).where(OrderLog.order_id == order_id))
    assert [log.action for log in logs] == ["ship"]
    # The shipment shows on the order (the panel order/_fulfilment.html).
    page = owner.get(f"/fulfilment/order/{order_id}/ship").get_data(as_text=True)
    assert "SF1234567890" in page and "发货记录" in page


def test_split_shipment_then_the_rest(app, login_as):
    from app.models.order import Order, OrderItem

    order_id, (apple, banana), _no, _m = make_order(app)
    owner = login_as("owner_a")
    sf = courier_id(app, "顺丰速运")
    response = _ship(owner, order_id, split="1", **{f"pick_{apple}": "1", f"qty_{apple}": "1"},
                     kind="courier", courier_id=sf, waybill_no="SF0000000001")
    assert response.status_code == 302
    order = get(app, Order, order_id)
    assert (order.status, order.logistics_status) == ("shipped", "partly_shipped")
    assert get(app, OrderItem, apple).shipped_quantity == 1
    # Asking for more than is left is refused at the field, nothing shipped.
    response = _ship(owner, order_id, split="1", **{f"pick_{apple}": "1", f"qty_{apple}": "5"},
                     kind="courier", courier_id=sf, waybill_no="SF0000000002")
    assert response.status_code == 422
    assert "最多还能发 1 件" in response.get_data(as_text=True)
    # 商家自送 without a waybill ships the rest.
    response = _ship(owner, order_id, kind="merchant")
    assert response.status_code == 302
    order = get(app, Order, order_id)
    assert (order.status, order.logistics_status) == ("shipped", "shipped")
    assert get(app, OrderItem, banana).shipped_quantity == 1
    assert get(app, OrderItem, apple).shipped_quantity == 2


def test_ship_refusals_keep_the_input(app, login_as):
    from app.models.order import Order

    order_id, _items, _no, _m = make_order(app)
    owner = login_as("owner_a")
    # A courier the shop has not enabled, a missing waybill, a malformed waybill.
    for form, message in (
            ({"courier_id": courier_id(app, "邮政 EMS"), "waybill_no": "EMS123456"},
             "请选择该商城已开启的物流公司"),
            ({"courier_id": courier_id(app, "顺丰速运"), "waybill_no": ""}, "请填写运单号"),
            ({"courier_id": courier_id(app, "顺丰速运"), "waybill_no": "SF 12"},
             "运单号格式不正确")):
        response = _ship(owner, order_id, kind="courier", **form)
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and message in text
        if form["waybill_no"]:
            assert f'value="{form["waybill_no"]}"' in text
    assert get(app, Order, order_id).status == "awaiting_shipment"
    # Shipping twice: the state is named.
    assert _ship(owner, order_id, kind="merchant").status_code == 302
    response = _ship(owner, order_id, kind="merchant")
    assert response.status_code == 409 and "订单已发货" in response.get_data(as_text=True)
    unpaid_id, _i, _n, _m = make_order(app, status="unpaid")
    response = _ship(owner, unpaid_id, kind="merchant")
    assert response.status_code == 409
    assert "订单当前状态为「未付款」，不能发货" in response.get_data(as_text=True)


def test_other_merchants_order_is_not_found(app, login_as):
    order_id, _items, _no, _m = make_order(app, MERCHANT_B)
    owner = login_as("owner_a")
    assert owner.get(f"/fulfilment/order/{order_id}/ship").status_code == 404
    response = owner.post(f"/fulfilment/order/{order_id}/ship", data={
        "csrf_token": owner.csrf("/fulfilment/batch/"), "kind": "merchant"})
    assert response.status_code == 404


def _csv(lines):
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def test_batch_shipping_good_rows_ship_bad_rows_report(app, login_as):
    from app.models.fulfilment import ShippingBatch, ShippingBatchRow
    from app.models.order import Order
    from app.models.task import Task

    ok1 = make_order(app)
    ok2 = make_order(app)
    shipped = make_order(app, status="shipped")
    other_merchant = make_order(app, MERCHANT_B)
    bad_courier = make_order(app)
    owner = login_as("owner_a")
    page = owner.get("/fulfilment/batch/").get_data(as_text=True)
    assert "最大支持 1000 条记录" in page
    template = owner.get("/fulfilment/batch/template")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    lines = ["订单编号,物流公司,运单号",
             f"{ok1[2]},顺丰速运,SF1000000001",
             f"{shipped[2]},顺丰速运,SF1000000002",
             f"{other_merchant[2]},顺丰速运,SF1000000003",
             f"{bad_courier[2]},不存在快递,XX1000000004",
             f"{ok2[2]},中通快递,ZT1000000005",
             f"{ok1[2]},顺丰速运,SF1000000006"]
    response = owner.post("/fulfilment/batch/", data={
        "csrf_token": owner.csrf("/fulfilment/batch/"),
        "file": (_csv(lines), "发货.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    batch = rows(app, select(ShippingBatch).order_by(ShippingBatch.id.desc()))[0]
    assert (batch.status, batch.total, batch.succeeded, batch.failed) == ("done", 6, 2, 4)
    results = rows(app, select(ShippingBatchRow).where(ShippingBatchRow.batch_id == batch.id)
                   .order_by(ShippingBatchRow.row_number))
    assert [(r.row_number, r.result, r.reason) for r in results] == [
        (2, "success", None), (3, "failed", "订单已发货"), (4, "failed", "订单不存在"),
        (5, "failed", "物流公司不存在"), (6, "success", None), (7, "failed", "订单已发货")]
    assert get(app, Order, ok1[0]).status == "shipped"
    assert get(app, Order, ok2[0]).status == "shipped"
    assert get(app, Order, bad_courier[0]).status == "awaiting_shipment"
    assert get(app, Order, other_merchant[0], MERCHANT_B).status == "awaiting_shipment"
    detail = owner.get(response.location).get_data(as_text=True)
    assert "2 条数据导入成功，4 条数据导入失败" in detail and "物流公司不存在" in detail
    task = get(app, Task, batch.task_id)
    assert task.status == "done" and task.result_path
    result = owner.get(f"/taskview/result/{task.id}")
    assert result.status_code == 200 and result.data[:2] == b"PK"


def test_batch_file_refusals(app, login_as):
    from app.models.fulfilment import ShippingBatch

    owner = login_as("owner_a")
    before = len(rows(app, select(ShippingBatch)))

    def upload(data, name):
        return owner.post("/fulfilment/batch/", data={
            "csrf_token": owner.csrf("/fulfilment/batch/"), "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")

    cases = [
        (b"a,b", "orders.txt", "仅支持 csv、xls、xlsx 格式的文件"),
        (b"x" * (1024 * 1024 + 10), "big.csv", "文件大小请控制在 1MB 以内"),
        ("订单编号,运单号\n1,2\n".encode(), "a.csv", "缺少列：物流公司"),
        ("\n".join(["订单编号,物流公司,运单号"] + ["1,顺丰速运,SF12345"] * 1001).encode(),
         "many.csv", "最大支持 1000 条记录"),
        ("订单编号,物流公司,运单号\n".encode(), "empty.csv", "文件中没有发货数据"),
    ]
    for data, name, message in cases:
        response = upload(data, name)
        assert response.status_code == 400, name
        assert message in response.get_data(as_text=True), name
    assert len(rows(app, select(ShippingBatch))) == before


def test_batch_shipping_xlsx(app, login_as):
    from app.admin.xlsx import XlsxWriter
    from app.models.order import Order

    order = make_order(app)
    stream = io.BytesIO()
    writer = XlsxWriter(stream, ["订单编号", "物流公司", "运单号"])
    writer.write_row([order[2], "圆通速递", "YT9876543210"])
    writer.close()
    owner = login_as("owner_a")
    response = owner.post("/fulfilment/batch/", data={
        "csrf_token": owner.csrf("/fulfilment/batch/"),
        "file": (io.BytesIO(stream.getvalue()), "发货.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert get(app, Order, order[0]).status == "shipped"
