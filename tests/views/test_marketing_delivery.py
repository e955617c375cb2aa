"""满免邮 参加活动的配送方式 through the campaign form (checkboxes, at least one), its
display (list, detail, export) and the quote orders use."""
import io
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from tests.conftest import merchant_id
from tests.views.order_fixtures import make_product, new_member, order_row, place

A = "鲜果时光"


def _scoped(app):
    from app.tenancy import tenant_scope

    return tenant_scope(merchant_id(app, A))


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf()})


def _form(product_id, name, methods=None):
    form = {"kind": "free_shipping", "name": name, "starts_at": "2026-01-01T00:00",
            "ends_at": "", "threshold_0": "99", "product_scope": "products",
            "product_ids": str(product_id), "customer_scope": "all", "member_phones": "",
            "excluded_provinces": ""}
    if methods is not None:  # what the page posts: the marker plus the checked boxes
        form["delivery_methods_shown"] = "1"
        form["delivery_methods"] = methods
    return form


def _stored(app, name):
    from app.models.marketing import Campaign

    with app.app_context(), _scoped(app):
        return [(c.id, c.delivery_methods) for c in db.session.execute(
            select(Campaign).where(Campaign.name == name)).scalars()]


def _end(app, pk):
    from app.models.marketing import Campaign
    from app.services import campaign as campaign_service

    with app.app_context(), _scoped(app):
        campaign_service.end_campaign(db.session, db.session.get(Campaign, pk))
        db.session.commit()


def test_delivery_methods_form_display_and_pricing(app, login_as, monkeypatch):
    from app.models.member import Member
    from app.services import coupon

    client = login_as("owner_a")
    page = client.get("/campaignview/new").get_data(as_text=True)
    assert "参加活动的配送方式" in page
    assert 'name="delivery_methods" value="courier" checked' in page
    assert 'name="delivery_methods" value="merchant_delivery" checked' in page
    assert 'name="delivery_methods" value="pickup">' in page  # 自提 carries no freight

    product_id, sku = make_product(app, price="120.00")
    name = f"快递满99包邮{product_id}"
    none = _post(client, "/campaignview/new", _form(product_id, name, methods=[]))
    html = none.get_data(as_text=True)
    assert none.status_code == 200 and "请至少选择一种参加活动的配送方式" in html
    assert _stored(app, name) == []
    forged = _post(client, "/campaignview/new", _form(product_id, name, methods=["drone"]))
    assert "请选择正确的配送方式" in forged.get_data(as_text=True)
    assert _stored(app, name) == []

    ok = _post(client, "/campaignview/new", _form(product_id, name, methods=["courier"]))
    assert ok.status_code == 302
    [(pk, stored)] = _stored(app, name)
    assert stored == "courier"
    try:
        show = client.get(f"/campaignview/show/{pk}").get_data(as_text=True)
        assert "参加活动的配送方式" in show and "快递" in show
        listing = client.get(f"/campaignview/list/?_flt_0_name={name}").get_data(as_text=True)
        assert "参加活动的配送方式" in listing and name in listing
        edit = client.get(f"/campaignview/edit-campaign/{pk}").get_data(as_text=True)
        assert 'value="courier" checked' in edit
        assert 'value="merchant_delivery">' in edit
        export = client.get(f"/campaignview/export/?_flt_0_name={name}")
        assert export.status_code == 200 and export.data[:2] == b"PK"
        import zipfile

        with zipfile.ZipFile(io.BytesIO(export.data)) as book:
            strings = book.read("xl/sharedStrings.xml").decode() \
                if "xl/sharedStrings.xml" in book.namelist() else \
                book.read("xl/worksheets/sheet1.xml").decode()
        assert "参加活动的配送方式" in strings

        member_id, token = new_member(app, phone="13744000011")
        with app.app_context(), _scoped(app):
            member = db.session.get(Member, member_id)
            by_courier = coupon.quote(db.session, member=member, lines=[(sku, 1)],
                                      freight=Decimal("12"), province="浙江省",
                                      delivery_method="courier")
            delivered = coupon.quote(db.session, member=member, lines=[(sku, 1)],
                                     freight=Decimal("12"), province="浙江省",
                                     delivery_method="merchant_delivery")
        assert by_courier.freight == Decimal("0.00") and pk in by_courier.campaign_ids
        assert delivered.freight == Decimal("12.00") and pk not in delivered.campaign_ids

        # Checkout passes the order's method: a 12-yuan freight is waived for 快递 only.
        import app.services.order_checkout as checkout

        monkeypatch.setattr(checkout, "_freight", lambda *args: Decimal("12.00"))
        for method, freight, paid in (("courier", "0.00", "120.00"),
                                      ("merchant_delivery", "12.00", "132.00")):
            placed = place(client, app, token, [(sku, 1)], delivery_method=method)
            assert placed.status_code == 201, placed.get_json()
            data = order_row(app, placed.get_json()["order_no"])
            assert (data["freight"], data["paid_amount"]) == (Decimal(freight), Decimal(paid))
            assert (pk in (data["campaign_ids"] or [])) == (method == "courier")
    finally:
        _end(app, pk)


def test_a_post_without_the_checkboxes_keeps_the_default(app, login_as):
    client = login_as("owner_a")
    product_id, _sku = make_product(app, price="120.00")
    name = f"默认配送方式包邮{product_id}"
    assert _post(client, "/campaignview/new", _form(product_id, name)).status_code == 302
    [(pk, stored)] = _stored(app, name)
    try:
        assert stored == "courier,merchant_delivery"
    finally:
        _end(app, pk)
