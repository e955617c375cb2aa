"""发货: ship a whole order or chosen items (拆分运单) by courier, merchant delivery (商家自送)
or pickup (自提), and 批量发货 from a file where every row succeeds or fails on its own.

Shipped quantities change only through one conditional UPDATE per item (``shipped_quantity
+ :q <= quantity``), so two people shipping the same order at once cannot ship an item
twice; the order's state moves through ``app.services.order.mark_shipped``.
"""
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.fulfilment import Shipment, ShipmentItem
from app.models.logistics import Courier, ShopCourier
from app.models.order import Order, OrderItem
from app.services import order as order_service
from app.services.errors import N_
from app.services.fulfilment import FulfilmentError, status_text

WAYBILL_RE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
SHIPPABLE = ("awaiting_shipment", "shipped")
KINDS = ("courier", "merchant", "pickup")
BATCH_HEADERS = ("订单编号", "物流公司", "运单号")
BATCH_MAX_ROWS = 1000
BATCH_MAX_BYTES = 1024 * 1024


def enabled_couriers(session, shop_id):
    """Couriers the shop offers (商城物流管理: 是否开启), by sort order."""
    return session.execute(
        select(Courier).join(ShopCourier, ShopCourier.courier_id == Courier.id)
        .where(ShopCourier.shop_id == shop_id, ShopCourier.enabled.is_(True))
        .order_by(Courier.sort, Courier.id)).scalars().all()


def remaining(item):
    return item.quantity - (item.shipped_quantity or 0) - (item.refunded_quantity or 0)


def check_shippable(order):
    """Refuse orders that cannot ship now, naming their state."""
    if order.status == "shipped" and order.logistics_status != "partly_shipped" or (
            order.status == "completed"):
        raise FulfilmentError(N_("订单已发货"), code="already_shipped", status=409)
    if order.status not in SHIPPABLE:
        raise FulfilmentError(N_("订单当前状态为「%(state)s」，不能发货"), code="bad_state",
                              status=409, state=status_text(order.status))


def check_waybill(waybill_no):
    waybill_no = (waybill_no or "").strip()
    if not waybill_no:
        raise FulfilmentError(N_("请填写运单号"), code="no_waybill", field="waybill_no")
    if not WAYBILL_RE.match(waybill_no):
        raise FulfilmentError(N_("运单号格式不正确：4-40 位字母、数字或短横线"),
                              code="bad_waybill", field="waybill_no")
    return waybill_no


def _courier(session, order, courier_id):
    courier = None
    if courier_id:
        courier = next((c for c in enabled_couriers(session, order.shop_id)
                        if c.id == courier_id), None)
    if courier is None:
        raise FulfilmentError(N_("请选择该商城已开启的物流公司"), code="no_courier",
                              field="courier_id")
    return courier


def ship(session, order, *, kind="courier", courier_id=None, waybill_no=None, items=None,
         operator_id=None, at=None):
    """发货 / 拆分运单: ``items`` maps order item id -> quantity (None ships everything
    left). The order becomes 部分发货 while anything is left. Returns the Shipment."""
    check_shippable(order)
    if kind not in KINDS:
        raise FulfilmentError(N_("请选择配送方式"), code="bad_kind", field="kind")
    courier = None
    if kind == "courier":
        courier = _courier(session, order, courier_id)
        waybill_no = check_waybill(waybill_no)
    else:
        waybill_no = None
    order_items = session.execute(select(OrderItem).where(
        OrderItem.order_id == order.id).order_by(OrderItem.id)).scalars().all()
    by_id = {item.id: item for item in order_items}
    if items is None:
        wanted = {item.id: remaining(item) for item in order_items if remaining(item) > 0}
    else:
        wanted = {}
        for item_id, quantity in items.items():
            item = by_id.get(item_id)
            if item is None:
                raise FulfilmentError(N_("订单中没有该商品"), code="bad_item", field="items")
            if not isinstance(quantity, int) or quantity < 0:
                raise FulfilmentError(N_("发货数量须为正整数"), code="bad_quantity",
                                      field="items")
            if quantity > remaining(item):
                raise FulfilmentError(N_("「%(name)s」最多还能发 %(left)s 件"),
                                      code="too_many", field="items", name=item.product_name,
                                      left=remaining(item))
            if quantity:
                wanted[item_id] = quantity
    if not wanted:
        raise FulfilmentError(N_("请选择要发货的商品"), code="no_items", field="items")
    table = OrderItem.__table__
    for item_id, quantity in wanted.items():
        result = session.execute(
            update(table).where(table.c.id == item_id,
                                table.c.shipped_quantity + table.c.refunded_quantity + quantity
                                <= table.c.quantity)
            .values(shipped_quantity=table.c.shipped_quantity + quantity))
        if result.rowcount != 1:  # someone shipped it meanwhile
            raise FulfilmentError(N_("订单已发货"), code="already_shipped", status=409)
    for item in order_items:
        session.refresh(item)
    partial = any(remaining(item) > 0 for item in order_items)
    now = at or china_now()
    shipment = Shipment(merchant_id=order.merchant_id, order_id=order.id, kind=kind,
                        courier_id=courier.id if courier else None,
                        courier_name=courier.name if courier else None,
                        waybill_no=waybill_no, shipped_at=now, operator_id=operator_id,
                        items=[ShipmentItem(merchant_id=order.merchant_id, order_item_id=i,
                                            quantity=q) for i, q in wanted.items()])
    session.add(shipment)
    order_service.mark_shipped(session, order, partial=partial, at=now,
                               operator_id=operator_id)
    session.flush()
    return shipment


def shipments_of(session, order_id):
    return session.execute(select(Shipment).where(Shipment.order_id == order_id)
                           .order_by(Shipment.id)).scalars().all()


# -- 批量发货 ----------------------------------------------------------------------------------
@dataclass
class RowOutcome:
    row_number: int
    order_no: str
    courier_name: str
    waybill_no: str
    ok: bool
    reason: str = None


def parse_batch_header(header):
    """{field: cell index} for 订单编号 / 物流公司 / 运单号; raises when one is missing."""
    keys = {"订单编号": "order_no", "订单号": "order_no", "物流公司": "courier_name",
            "快递公司": "courier_name", "运单号": "waybill_no", "物流号": "waybill_no",
            "快递单号": "waybill_no"}
    columns = {}
    for index, text in enumerate(header):
        key = keys.get(re.sub(r"[\s*＊]", "", str(text or "")))
        if key and key not in columns:
            columns[key] = index
    missing = [h for h, k in (("订单编号", "order_no"), ("物流公司", "courier_name"),
                              ("运单号", "waybill_no")) if k not in columns]
    if missing:
        raise FulfilmentError(N_("缺少列：%(cols)s。请使用下载的模板，第 1 行表头不要修改"),
                              code="bad_header", cols="、".join(missing))
    return columns


def ship_row(session, order_no, courier_name, waybill_no, operator_id=None):
    """Ship one batch row; returns None on success or the Chinese failure reason."""
    if not order_no:
        return N_("订单编号不能为空")
    order = session.execute(select(Order).where(Order.order_no == order_no)).scalar()
    if order is None:
        return N_("订单不存在")
    if order.status in ("shipped", "completed") or order.logistics_status != "not_shipped":
        return N_("订单已发货")
    if order.status != "awaiting_shipment":
        return FulfilmentError(N_("订单当前状态为「%(state)s」，不能发货"),
                               state=status_text(order.status))
    courier = next((c for c in enabled_couriers(session, order.shop_id)
                    if c.name == courier_name), None)
    if courier is None:
        return N_("物流公司不存在")
    try:
        check_waybill(waybill_no)
        with session.begin_nested():
            ship(session, order, kind="courier", courier_id=courier.id,
                 waybill_no=waybill_no, operator_id=operator_id)
    except FulfilmentError as exc:
        return exc
    except IntegrityError:
        return N_("订单已发货")
    return None


def ship_rows(session, rows, operator_id=None):
    """Every data row ``(row number, cells)`` on its own: good rows ship even when others
    fail (the guide's example). ``rows[0]`` is the header. Returns [RowOutcome]."""
    columns = parse_batch_header(rows[0][1])
    outcomes = []
    for number, cells in rows[1:]:
        def cell(name):
            index = columns[name]
            return (cells[index] if index < len(cells) else "").strip()

        order_no, courier_name, waybill_no = (cell("order_no"), cell("courier_name"),
                                              cell("waybill_no"))
        reason = ship_row(session, order_no, courier_name, waybill_no, operator_id)
        outcomes.append(RowOutcome(number, order_no[:40], courier_name[:40], waybill_no[:60],
                                   reason is None, None if reason is None else str(reason)))
    return outcomes
