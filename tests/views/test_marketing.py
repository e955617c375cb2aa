"""营销设置管理 through the test client: the coupon list and its operations matrix, the
batch form with errors at the field, publish, 派发 (and "优惠券不足以派发"), the claim link
and QR code, 核销, 查看数据, member coupons, campaigns (add, tiers, clash, end), the shop
API claim route, tenant isolation and the demo data."""
import re
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import merchant_id


def _scoped(app, name="鲜果时光"):
    from app.tenancy import tenant_scope

    return tenant_scope(merchant_id(app, name))


def _batch_id(app, name, merchant="鲜果时光"):
    from app.extensions import db
    from app.models.marketing import CouponBatch

    with app.app_context(), _scoped(app, merchant):
        return db.session.execute(select(CouponBatch.id).where(
            CouponBatch.name == name)).scalar()


def _batch(app, pk, merchant="鲜果时光"):
    from app.extensions import db
    from app.models.marketing import CouponBatch

    with app.app_context(), _scoped(app, merchant):
        row = db.session.get(CouponBatch, pk)
        db.session.expunge(row)
        return row


FORM = {"name": "测试满30减5", "kind": "normal", "discount_type": "cash", "value": "5",
        "threshold": "30", "quantity": "3", "code_prefix": "TS", "code": "",
        "validity_type": "range", "valid_from": "2026-01-01T00:00",
        "valid_to": "2036-01-01T00:00", "valid_days": "", "scope": "all", "product_ids": "",
        "per_member_limit": "1", "gift_kind": "none"}


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf()})


def test_lists_are_chinese_with_demo_data(login_as):
    client = login_as("owner_a")
    # Other tests (plugins) add batches of their own: the demo batch is found by its name.
    page = client.get("/couponbatchview/list/?_flt_0_name=新客满50减10").get_data(as_text=True)
    assert "优惠券管理" in page and "新客满50减10" in page and "新增优惠券" in page
    # the matrix: the published 普通券 offers 派发/领取; the 复用券 draft offers 发布, not 派发
    assert "派发" in page and "领取" in page and "发布" in page
    page = client.get("/campaignview/list/").get_data(as_text=True)
    assert "营销活动" in page and "满300减30" in page and "进行中" in page
    page = client.get("/membercouponview/list/").get_data(as_text=True)
    assert "会员优惠券" in page
    export = client.get("/couponbatchview/export/")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_batch_form_errors_at_the_field_and_nothing_saved(login_as, app):
    client = login_as("owner_a")
    bad = {**FORM, "name": "", "value": "abc", "valid_to": "2020-01-01T00:00",
           "scope": "products", "product_ids": "99999999"}
    page = _post(client, "/couponbatchview/new", bad).get_data(as_text=True)
    assert "请填写此项" in page or "请填写优惠券名称" in page
    assert "请输入数字" in page
    assert "商品ID 不存在：99999999" in page
    assert _batch_id(app, "") is None
    page = _post(client, "/couponbatchview/new",
                 {**FORM, "discount_type": "discount", "value": "12"}).get_data(as_text=True)
    assert "折扣须在 0.1 折到 9.9 折之间" in page


def test_create_publish_issue_verify_and_stats(login_as, app):
    from app.extensions import db
    from app.models.marketing import MemberCoupon
    from app.models.member import Member

    client = login_as("owner_a")
    response = _post(client, "/couponbatchview/new", FORM)
    assert response.status_code == 302
    pk = _batch_id(app, "测试满30减5")
    assert _batch(app, pk).status == "draft"
    assert client.get(f"/couponbatchview/edit-batch/{pk}").status_code == 200
    # 派发 before 发布 is not offered
    assert _post(client, f"/couponbatchview/publish/{pk}", {}).status_code == 302
    assert _batch(app, pk).status == "published"
    page = client.get(f"/couponbatchview/edit-batch/{pk}", follow_redirects=True)
    assert "优惠券已发布，不能再修改" in page.get_data(as_text=True)
    with app.app_context(), _scoped(app):
        members = db.session.execute(select(Member).order_by(Member.id).limit(2)).scalars().all()
        ids = [m.id for m in members]
    page = client.get(f"/couponbatchview/issue/{pk}").get_data(as_text=True)
    assert "派发数量" in page
    too_many = {f"qty_{ids[0]}": "3", f"qty_{ids[1]}": "1"}
    page = _post(client, f"/couponbatchview/issue/{pk}", too_many).get_data(as_text=True)
    assert "优惠券不足以派发" in page
    assert _batch(app, pk).remaining == 3
    assert _post(client, f"/couponbatchview/issue/{pk}",
                 {f"qty_{ids[0]}": "2", f"qty_{ids[1]}": "1"}).status_code == 302
    assert _batch(app, pk).remaining == 0
    with app.app_context(), _scoped(app):
        code = db.session.execute(select(MemberCoupon.code).where(
            MemberCoupon.batch_id == pk).limit(1)).scalar()
    assert code.startswith("TS")
    page = _post(client, f"/couponbatchview/verify/{pk}", {"code": code}
                 ).get_data(as_text=True)
    page = client.get(f"/couponbatchview/verify/{pk}").get_data(as_text=True)
    page = _post(client, f"/couponbatchview/verify/{pk}", {"code": code}).get_data(as_text=True)
    assert "已核销" in page
    page = client.get(f"/couponbatchview/stats/{pk}").get_data(as_text=True)
    numbers = re.search(r'id="md-coupon-numbers".*?</table>', page, re.S).group(0)
    assert re.findall(r"<td>(\d+)</td>", numbers) == ["3", "0", "3", "0", "1"]
    assert _post(client, f"/couponbatchview/void/{pk}", {}).status_code == 302
    assert _batch(app, pk).status == "voided"
    assert _post(client, f"/couponbatchview/delete-batch/{pk}", {}).status_code == 302
    assert _batch(app, pk).status == "deleted"
    assert "已删除优惠券" in client.get("/couponbatchview/list/").get_data(as_text=True)
    assert "测试满30减5" not in client.get("/couponbatchview/list/").get_data(as_text=True)


def test_claim_link_qr_and_api_claim(login_as, app, client):
    from app.extensions import db
    from app.models.member import Member
    from app.services.member import issue_member_token

    owner = login_as("owner_a")
    pk = _batch_id(app, "新客满50减10")
    page = owner.get(f"/couponbatchview/claim-link/{pk}").get_data(as_text=True)
    assert f"/coupon/{pk}" in page and "下载二维码" in page
    png = owner.get(f"/couponbatchview/claim-link/{pk}?png=1")
    assert png.mimetype == "image/png" and png.data[:4] == b"\x89PNG"
    with app.app_context(), _scoped(app):
        member = db.session.execute(select(Member).where(Member.status == "normal")
                                    .order_by(Member.id.desc()).limit(1)).scalar()
        token = issue_member_token(member, app.config["SECRET_KEY"])
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post(f"/api/v1/coupons/{pk}/claim", headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["code"].startswith("NEW")
    again = client.post(f"/api/v1/coupons/{pk}/claim", headers=headers)
    assert again.status_code == 409 and "每人限领" in again.get_json()["error"]
    mine = client.get("/api/v1/member/coupons", headers=headers).get_json()["coupons"]
    assert any(c["batch_id"] == pk for c in mine)
    # the other merchant's batch does not exist for this member
    other = _batch_id(app, "新客满50减10", merchant="茶语小铺")
    assert client.post(f"/api/v1/coupons/{other}/claim", headers=headers).status_code == 404
    # a 复用券 has no claim link
    reusable = _batch_id(app, "公众号专享9折码")
    assert client.post(f"/api/v1/coupons/{reusable}/claim", headers=headers).status_code == 422


def test_other_tenant_rows_are_404(login_as, app):
    client = login_as("owner_b")
    pk = _batch_id(app, "新客满50减10")  # 鲜果时光's batch
    for path in (f"/couponbatchview/stats/{pk}", f"/couponbatchview/issue/{pk}",
                 f"/couponbatchview/claim-link/{pk}"):
        assert client.get(path).status_code == 404
    assert _post(client, f"/couponbatchview/void/{pk}", {}).status_code == 404
    assert _batch(app, pk).status == "published"


def test_campaign_add_clash_edit_and_end(login_as, app):
    from app.extensions import db
    from app.models.catalog import Product
    from app.models.marketing import Campaign

    from tests.views.order_fixtures import make_product

    client = login_as("owner_a")
    # A product of its own in the demo campaign: other tests may delete demo products.
    demo_product, _sku = make_product(app)
    with app.app_context(), _scoped(app):
        demo = db.session.execute(select(Campaign).where(
            Campaign.name.like("%满300减30"))).scalar()
        demo.products.append(db.session.get(Product, demo_product))
        demo_name = demo.name
        db.session.commit()
        product = db.session.execute(select(Product.id).order_by(Product.id).limit(1)).scalar()
    form = {"kind": "full_reduction", "name": "阶梯满减", "starts_at": "2026-01-01T00:00",
            "ends_at": "", "threshold_0": "100", "value_0": "10", "threshold_1": "200",
            "value_1": "30", "product_scope": "products", "product_ids": str(product),
            "customer_scope": "all", "member_phones": ""}
    page = _post(client, "/campaignview/new", {**form, "threshold_1": "50"}
                 ).get_data(as_text=True)
    assert "各层门槛须逐层递增" in page
    clash = {**form, "name": "撞车", "product_ids": f"{product},{demo_product}"}
    page = _post(client, "/campaignview/new", clash).get_data(as_text=True)
    assert "已参与营销活动「" in page and demo_name in page
    assert _post(client, "/campaignview/new", form).status_code == 302
    with app.app_context(), _scoped(app):
        row = db.session.execute(select(Campaign).where(Campaign.name == "阶梯满减")).scalar()
        pk = row.id
        assert [(t.threshold, t.value) for t in row.tiers] == [
            (Decimal("100.00"), Decimal("10.00")), (Decimal("200.00"), Decimal("30.00"))]
    page = client.get(f"/campaignview/edit-campaign/{pk}").get_data(as_text=True)
    assert 'value="200.00"' in page
    discount = {**form, "kind": "full_discount", "name": "满2件9折", "by_count": "1",
                "threshold_0": "2", "value_0": "9", "threshold_1": "", "value_1": "",
                "product_scope": "all", "product_ids": ""}
    assert _post(client, f"/campaignview/edit-campaign/{pk}", discount).status_code == 302
    with app.app_context(), _scoped(app):
        row = db.session.get(Campaign, pk)
        assert row.kind == "full_discount" and row.tiers[0].value == Decimal("0.90")
        assert row.tiers_text == "满2件打9折"
    assert _post(client, f"/campaignview/end/{pk}", {}).status_code == 302
    with app.app_context(), _scoped(app):
        assert db.session.get(Campaign, pk).state == "ended"
    page = client.get(f"/campaignview/edit-campaign/{pk}", follow_redirects=True)
    assert "活动已结束，不能再修改" in page.get_data(as_text=True)


def test_manager_has_marketing_and_verifier_not(login_as):
    assert login_as("manager_a").get("/couponbatchview/list/").status_code == 200
    assert login_as("verifier_a").get("/couponbatchview/list/").status_code in (302, 403)
