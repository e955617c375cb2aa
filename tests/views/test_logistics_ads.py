"""物流管理 and 广告管理 through the test client."""
from sqlalchemy import select

from tests.conftest import merchant_id


def rows(app, merchant_name, statement):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant_name)):
        return db.session.execute(statement).all()


def product_id(app, merchant_name, name):
    from app.models.catalog import Product

    return rows(app, merchant_name, select(Product.id).where(Product.name == name))[0][0]


def shop_id(app, merchant_name, shop_type):
    from app.models.shop import Shop

    return rows(app, merchant_name, select(Shop.id).where(Shop.shop_type == shop_type))[0][0]


def test_couriers_are_seeded_and_switched_per_shop(app, login_as):
    from app.models.logistics import Courier, ShopCourier

    names = [r[0] for r in rows(app, "鲜果时光", select(Courier.name))]
    for name in ("顺丰", "中通", "圆通", "申通", "韵达", "邮政 EMS", "京东", "极兔"):
        assert any(n.startswith(name) for n in names), name
    client = login_as("owner_a")
    token = client.csrf("/courierview/add")
    client.post("/courierview/add", data={"name": "德邦快递", "code": "DBL", "phone": "95353",
                                          "sort": "9", "csrf_token": token})
    switches = rows(app, "鲜果时光", select(ShopCourier.id, ShopCourier.enabled).join(Courier)
                    .where(Courier.code == "DBL"))
    from app.models.shop import Shop

    shops = rows(app, "鲜果时光", select(Shop.id))
    assert len(switches) == len(shops) and all(enabled for _id, enabled in switches)
    client.post("/shopcourierview/action_post", data={
        "action": "disable", "rowid": [str(i) for i, _e in switches], "csrf_token": token})
    switches = rows(app, "鲜果时光", select(ShopCourier.enabled).join(Courier)
                    .where(Courier.code == "DBL"))
    assert switches and not any(e for (e,) in switches)


def test_freight_template_limits_at_their_fields(app, login_as):
    from app.models.logistics import FreightTemplate

    client = login_as("owner_a")
    token = client.csrf("/freighttemplateview/add")
    text = client.post("/freighttemplateview/add", data={
        "name": "错误模板", "charge_by": "piece", "first_unit": "1.5", "first_fee": "-1",
        "additional_unit": "1", "additional_fee": "2", "csrf_token": token}).get_data(as_text=True)
    assert "按件数计价时必须是整数" in text and "金额不能小于 0" in text
    assert not rows(app, "鲜果时光", select(FreightTemplate.id).where(
        FreightTemplate.name == "错误模板"))
    template = rows(app, "鲜果时光", select(FreightTemplate.id).where(
        FreightTemplate.charge_by == "weight"))[0][0]
    text = client.post("/freightregionview/add", data={
        "template": str(template), "provinces": "新疆、火星", "first_unit": "1",
        "first_fee": "20", "additional_unit": "0.5", "additional_fee": "5",
        "csrf_token": token}).get_data(as_text=True)
    assert "无法识别的省份：火星" in text


def test_banner_product_must_be_on_shelf_and_position_fit_the_shop(app, login_as):
    from app.models.ads import Banner

    client = login_as("owner_a")
    token = client.csrf("/bannerview/add")
    wx_mall = shop_id(app, "鲜果时光", "wx_mall")
    on_shelf = product_id(app, "鲜果时光", "智利车厘子")
    in_warehouse = product_id(app, "鲜果时光", "泰国山竹")
    other = product_id(app, "茶语小铺", "正山小种")
    form = {"shop": str(wx_mall), "position": "home_focus", "sort": "3", "active": "y",
            "csrf_token": token}
    text = client.post("/bannerview/add", data=dict(form, product=str(in_warehouse))
                       ).get_data(as_text=True)
    assert "该商品未上架，不能用于首页广告" in text
    text = client.post("/bannerview/add", data=dict(form, product=str(other))
                       ).get_data(as_text=True)
    assert "所选内容无效或已被删除" in text
    text = client.post("/bannerview/add", data=dict(form, product=str(on_shelf),
                                                    position="home_ad")).get_data(as_text=True)
    assert "该商城没有首页广告位" in text
    text = client.post("/bannerview/add", data=dict(
        form, product=str(on_shelf), starts_at="2026-02-01 00:00:00",
        ends_at="2026-01-01 00:00:00")).get_data(as_text=True)
    assert "结束时间必须晚于开始时间" in text
    assert not rows(app, "鲜果时光", select(Banner.id).where(Banner.product_id == on_shelf))
    response = client.post("/bannerview/add", data=dict(form, product=str(on_shelf)))
    assert response.status_code == 302
    assert rows(app, "鲜果时光", select(Banner.sort).where(Banner.product_id == on_shelf)) == [(3,)]
    picker = client.get("/bannerview/related/product?q=智利").get_json()
    assert [r["id"] for r in picker["results"]] == [on_shelf]
    assert "正山小种" not in client.get("/bannerview/related/product").get_data(as_text=True)


def test_home_product_order(app, login_as):
    from app.models.catalog import Product

    client = login_as("owner_a")
    pid = product_id(app, "鲜果时光", "都乐香蕉")
    token = client.csrf(f"/homeproductview/edit/{pid}")
    client.post(f"/homeproductview/edit/{pid}", data={"home_sort": "1", "csrf_token": token})
    assert rows(app, "鲜果时光", select(Product.home_sort).where(Product.id == pid)) == [(1,)]
    text = client.post(f"/homeproductview/edit/{pid}", data={"home_sort": "-5",
                                                             "csrf_token": token}
                       ).get_data(as_text=True)
    assert "排序须为 0-99999 的整数" in text
