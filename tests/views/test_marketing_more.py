"""满免邮 不参与地区 through the campaign form and the quote orders use."""
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from tests.conftest import merchant_id
from tests.views.order_fixtures import make_product, new_member

A = "鲜果时光"


def _scoped(app, name=A):
    from app.tenancy import tenant_scope

    return tenant_scope(merchant_id(app, name))


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf()})


def _form(product_id, **extra):
    form = {"kind": "free_shipping", "name": "满99包邮（偏远除外）",
            "starts_at": "2026-01-01T00:00", "ends_at": "", "threshold_0": "99",
            "product_scope": "products", "product_ids": str(product_id),
            "customer_scope": "all", "member_phones": "", "excluded_provinces": ""}
    form.update(extra)
    return form


def _campaigns(app, name):
    from app.models.marketing import Campaign

    with app.app_context(), _scoped(app):
        return [(c.id, c.excluded_provinces) for c in db.session.execute(
            select(Campaign).where(Campaign.name == name)).scalars()]


def test_free_shipping_excluded_provinces_form_and_pricing(app, login_as):
    from app.models.marketing import Campaign
    from app.models.member import Member
    from app.services import campaign as campaign_service
    from app.services import coupon

    client = login_as("owner_a")
    product_id, sku = make_product(app, price="120.00")
    name = f"满99包邮（偏远除外）{product_id}"
    bad = _post(client, "/campaignview/new", _form(product_id, name=name,
                                                    excluded_provinces="新疆、火星"))
    page = bad.get_data(as_text=True)
    assert "无法识别的省份：火星" in page and 'value="新疆、火星"' in page
    assert _campaigns(app, name) == []
    wrong_kind = _form(product_id, name=name, kind="full_reduction", value_0="10",
                       excluded_provinces="新疆")
    page = _post(client, "/campaignview/new", wrong_kind).get_data(as_text=True)
    assert "只有满免邮活动可以设置不参与地区" in page and _campaigns(app, name) == []
    too_long = _post(client, "/campaignview/new",
                     _form(product_id, name=name, excluded_provinces="新疆、" * 90))
    assert "不参与地区最多 255 个字" in too_long.get_data(as_text=True)
    assert _campaigns(app, name) == []

    ok = _post(client, "/campaignview/new", _form(
        product_id, name=name, excluded_provinces="西藏自治区，新疆 内蒙古、新疆"))
    assert ok.status_code == 302
    [(pk, stored)] = _campaigns(app, name)
    assert stored == "内蒙古、西藏、新疆"  # short names, each once, in the list's order
    show = client.get(f"/campaignview/show/{pk}").get_data(as_text=True)
    assert "不参与地区" in show and "内蒙古、西藏、新疆" in show
    edit = client.get(f"/campaignview/edit-campaign/{pk}").get_data(as_text=True)
    assert 'value="内蒙古、西藏、新疆"' in edit

    member_id, _token = new_member(app)
    try:
        with app.app_context(), _scoped(app):
            member = db.session.get(Member, member_id)
            far = coupon.quote(db.session, member=member, lines=[(sku, 1)],
                               freight=Decimal("12"), province="新疆维吾尔自治区")
            near = coupon.quote(db.session, member=member, lines=[(sku, 1)],
                                freight=Decimal("12"), province="浙江省")
            assert far.freight == Decimal("12.00") and pk not in far.campaign_ids
            assert near.freight == Decimal("0.00") and pk in near.campaign_ids
    finally:
        with app.app_context(), _scoped(app):
            campaign_service.end_campaign(db.session, db.session.get(Campaign, pk))
            db.session.commit()


# -- pickers ------------------------------------------------------------------------------
def test_picker_endpoints_are_tenant_scoped_and_permissioned(app, login_as):
    from app.extensions import db as _db
    from app.models.catalog import Product

    mine, _sku = make_product(app)
    theirs, _sku_b = make_product(app, "茶语小铺")
    with app.app_context(), _scoped(app):
        name = _db.session.get(Product, mine).name
    member_id, _token = new_member(app, phone="13655500001")
    owner = login_as("owner_a")
    found = owner.get(f"/campaignview/picker?field=product_ids&q={name}").get_json()["items"]
    assert found == [{"value": str(mine), "label": f"{name}（ID {mine}）"}]
    by_id = owner.get(f"/couponbatchview/picker?field=product_ids&q={theirs}").get_json()
    assert str(theirs) not in [item["value"] for item in by_id["items"]]
    members = owner.get("/campaignview/picker?field=member_phones&q=1365550000").get_json()
    assert [item["value"] for item in members["items"]] == ["13655500001"]
    assert owner.get("/campaignview/picker?field=nothing&q=1").status_code == 404
    assert owner.get("/couponbatchview/picker?field=member_phones").status_code == 404
    # Without the view's permission the endpoint is refused like the view.
    verifier = login_as("verifier_a")
    refused = verifier.get("/campaignview/picker?field=product_ids&q=测")
    assert refused.status_code in (302, 403) and not refused.is_json
    client_b = login_as("owner_b")
    items_b = client_b.get(f"/campaignview/picker?field=product_ids&q={name}").get_json()
    assert str(mine) not in [item["value"] for item in items_b["items"]]


def test_forms_render_chips_for_the_current_value_and_keep_the_text_field(app, login_as):
    from app.extensions import db as _db
    from app.models.catalog import Product

    product_id, _sku = make_product(app)
    with app.app_context(), _scoped(app):
        name = _db.session.get(Product, product_id).name
    owner = login_as("owner_a")
    page = _post(owner, "/campaignview/new", _form(product_id, name="", threshold_0="99",
                                                  product_ids=f"{product_id},99999999"))
    html = page.get_data(as_text=True)
    assert "请填写活动名称" in html or "99999999" in html
    assert f'value="{product_id},99999999"' in html  # the typed text is kept as typed
    assert f'data-value="{product_id}"' in html and f"{name}（ID {product_id}）" in html
    assert "/campaignview/picker?field=product_ids" in html
    assert "js/picker.js" in html
    coupon_form = owner.get("/couponbatchview/new").get_data(as_text=True)
    assert "/couponbatchview/picker?field=product_ids" in coupon_form
    assert 'name="product_ids"' in coupon_form
