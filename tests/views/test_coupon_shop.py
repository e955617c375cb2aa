"""优惠券 适用商城 (issue #8): a batch limited to one shop is usable only for orders of that
shop (a held coupon and a typed 优惠码, 普通券 and 复用券), the coupon list for an order marks
the others unusable, 领取 is not limited, the batch form refuses another merchant's shop and
shows the scope, and AI 刷脸 coupons are usable only in the campaign's shop (the tier batches
follow a new shop until a coupon was given, then the change is refused)."""
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.extensions import db
from app.tenancy import tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import RECEIVER, auth, make_product, new_member, shop_id

A, B = "鲜果时光", "茶语小铺"
_phones = itertools.count(1)


def phone():
    return f"1366600{next(_phones):04d}"


def _scope(app, merchant=A):
    return tenant_scope(merchant_id(app, merchant))


def _second_shop(app, merchant=A, name="鲜果时光·滨江店"):
    """Another shop of ``merchant`` (created once); returns (id, name)."""
    from app.models.shop import Shop

    with app.app_context(), _scope(app, merchant):
        shop = db.session.execute(select(Shop).where(Shop.name == name)).scalar()
        if shop is None:
            shop = Shop(name=name, shop_type="mini_mall", status="open")
            db.session.add(shop)
            db.session.commit()
        return shop.id, shop.name


def _batch(app, *, shop=None, kind="normal", code=None, quantity=5, prefix="SP"):
    """A published batch (5 元, no threshold) limited to ``shop`` (an id, or None)."""
    from app.models.base import china_now
    from app.services import coupon

    with app.app_context(), _scope(app):
        now = china_now()
        batch = coupon.save_batch(db.session, {
            "name": "分店券", "kind": kind, "discount_type": "cash", "value": Decimal("5"),
            "threshold": Decimal("0"), "code_prefix": prefix if kind == "normal" else None,
            "code": code, "quantity": quantity, "validity_type": "range",
            "valid_from": now - timedelta(days=1), "valid_to": now + timedelta(days=10),
            "scope": "all", "per_member_limit": 5, "gift_kind": "none", "shop_id": shop})
        coupon.publish(db.session, batch, now=now - timedelta(hours=1))
        db.session.commit()
        return batch.id


def _state(app, batch_id):
    """(remaining, taken codes, member coupons as (member, status, order_no))."""
    from app.models.marketing import CouponBatch, CouponCode, MemberCoupon

    with app.app_context(), _scope(app):
        batch = db.session.get(CouponBatch, batch_id)
        taken = db.session.execute(select(CouponCode.code).where(
            CouponCode.batch_id == batch_id, CouponCode.status == "taken")).scalars().all()
        held = [(r.member_id, r.status, r.order_no) for r in db.session.execute(
            select(MemberCoupon).where(MemberCoupon.batch_id == batch_id)
            .order_by(MemberCoupon.id)).scalars()]
        return batch.remaining, sorted(taken), held


def _codes(app, batch_id):
    from app.models.marketing import CouponCode

    with app.app_context(), _scope(app):
        return db.session.execute(select(CouponCode.code).where(
            CouponCode.batch_id == batch_id).order_by(CouponCode.serial)).scalars().all()


def _issue(app, batch_id, member_id):
    from app.models.marketing import CouponBatch
    from app.models.member import Member
    from app.services import coupon

    with app.app_context(), _scope(app):
        batch = db.session.get(CouponBatch, batch_id)
        [row] = coupon.issue(db.session, batch, [(db.session.get(Member, member_id), 1)])
        db.session.commit()
        return row.id


def _place(client, token, shop, sku, **extra):
    body = {"shop_id": shop, "lines": [{"sku_id": sku, "quantity": 1}],
            "delivery_method": "courier", "payment_method": "wechat", "receiver": RECEIVER}
    body.update(extra)
    return client.post("/api/v1/orders", json=body, headers=auth(token))


# -- the service ---------------------------------------------------------------------------
def test_quote_refuses_a_coupon_limited_to_another_shop(app):
    from app.models.catalog import Sku
    from app.models.marketing import MemberCoupon
    from app.models.member import Member
    from app.services import coupon

    other_id, other_name = _second_shop(app)
    main_id = shop_id(app)
    _pid, sku_id = make_product(app, price="30.00")
    member_id, _token = new_member(app, phone=phone())
    held = _issue(app, _batch(app, shop=other_id), member_id)
    with app.app_context(), _scope(app):
        member = db.session.get(Member, member_id)
        lines = [(db.session.get(Sku, sku_id).id, 1)]
        ok = coupon.quote(db.session, member=member, lines=lines, freight=0, coupon_id=held,
                          shop=other_id)
        assert ok.coupon_discount == Decimal("5.00")
        with pytest.raises(coupon.CouponError) as refused:
            coupon.quote(db.session, member=member, lines=lines, freight=0, coupon_id=held,
                         shop=main_id)
        assert refused.value.code == "wrong_shop" and refused.value.status == 409
        assert str(refused.value) == f"该优惠券仅限在 {other_name} 使用"
        # A coupon with no 适用商城 works in every shop.
        assert coupon.shop_refusal(db.session.get(MemberCoupon, held).batch, other_id) is None
        db.session.rollback()


def test_save_batch_refuses_another_merchants_shop(app):
    from app.models.base import china_now
    from app.models.marketing import CouponBatch
    from app.services import coupon

    foreign_id, _name = _second_shop(app, B, "茶语小铺·分店")
    with app.app_context(), _scope(app):
        now = china_now()
        values = {"name": "越权券", "kind": "normal", "discount_type": "cash",
                  "value": Decimal("5"), "threshold": Decimal("0"), "quantity": 3,
                  "validity_type": "range", "valid_from": now, "valid_to": now + timedelta(1),
                  "scope": "all", "per_member_limit": 1, "shop_id": foreign_id}
        with pytest.raises(coupon.CouponError) as refused:
            coupon.save_batch(db.session, values)
        assert (refused.value.field, str(refused.value)) == ("shop_id", "所选商城不存在")
        db.session.rollback()
        assert db.session.execute(select(CouponBatch.id).where(
            CouponBatch.name == "越权券")).first() is None


# -- checkout through the shop API -----------------------------------------------------------
def test_a_held_coupon_works_in_its_shop_only(app, client):
    other_id, other_name = _second_shop(app)
    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app, phone=phone())
    batch_id = _batch(app, shop=other_id)
    held = _issue(app, batch_id, member_id)
    before = _state(app, batch_id)

    wrong = _place(client, token, shop_id(app), sku, coupon_id=held)
    assert wrong.status_code == 409, wrong.get_json()
    assert wrong.get_json() == {"error": f"该优惠券仅限在 {other_name} 使用",
                                "code": "wrong_shop"}
    assert _state(app, batch_id) == before

    right = _place(client, token, other_id, sku, coupon_id=held)
    assert right.status_code == 201, right.get_json()
    assert right.get_json()["coupon_discount"] == "5.00"
    assert _state(app, batch_id)[2] == [(member_id, "used", right.get_json()["order_no"])]


def test_a_typed_normal_code_works_in_its_shop_only_and_nothing_is_taken_elsewhere(app, client):
    other_id, other_name = _second_shop(app)
    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app, phone=phone())
    batch_id = _batch(app, shop=other_id, prefix="TY")
    typed = _codes(app, batch_id)[2]
    before = _state(app, batch_id)

    wrong = _place(client, token, shop_id(app), sku, coupon_code=typed.lower())
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "wrong_shop"
    assert wrong.get_json()["error"] == f"该优惠券仅限在 {other_name} 使用"
    assert _state(app, batch_id) == before                  # no code bound or taken

    right = _place(client, token, other_id, sku, coupon_code=typed)
    assert right.status_code == 201, right.get_json()
    remaining, taken, held = _state(app, batch_id)
    assert remaining == 4 and taken == [typed]
    assert held == [(member_id, "used", right.get_json()["order_no"])]


def test_a_typed_reusable_code_works_in_its_shop_only(app, client):
    other_id, _name = _second_shop(app)
    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app, phone=phone())
    batch_id = _batch(app, shop=other_id, kind="reusable", code="BINJIANG8", quantity=3)

    wrong = _place(client, token, shop_id(app), sku, coupon_code="binjiang8")
    assert wrong.status_code == 409 and wrong.get_json()["code"] == "wrong_shop"
    assert _state(app, batch_id) == (3, [], [])
    right = _place(client, token, other_id, sku, coupon_code="BINJIANG8")
    assert right.status_code == 201, right.get_json()
    assert right.get_json()["coupon_discount"] == "5.00"
    assert _state(app, batch_id)[0] == 2


def test_claiming_is_not_limited_and_the_list_for_an_order_marks_other_shops(app, client):
    other_id, other_name = _second_shop(app)
    scoped = _batch(app, shop=other_id, prefix="CL")
    everywhere = _batch(app, prefix="EW")
    _member_id, token = new_member(app, phone=phone())
    for batch_id in (scoped, everywhere):
        claimed = client.post(f"/api/v1/coupons/{batch_id}/claim", headers=auth(token))
        assert claimed.status_code == 201, claimed.get_json()

    def listed(query=""):
        response = client.get(f"/api/v1/member/coupons{query}", headers=auth(token))
        assert response.status_code == 200, response.get_json()
        return {c["batch_id"]: c for c in response.get_json()["coupons"]}

    plain = listed()
    assert plain[scoped]["usable"] and plain[scoped]["shop"] == {"id": other_id,
                                                                 "name": other_name}
    assert plain[everywhere]["shop"] is None
    here = listed(f"?shop_id={shop_id(app)}")
    assert here[scoped]["usable"] is False
    assert here[scoped]["reason"] == f"该优惠券仅限在 {other_name} 使用"
    assert here[everywhere]["usable"] is True and here[everywhere]["reason"] is None
    there = listed(f"?shop_id={other_id}")
    assert there[scoped]["usable"] is True
    foreign_id, _ = _second_shop(app, B, "茶语小铺·分店")
    for bad in (str(foreign_id), "abc", "999999999"):
        response = client.get(f"/api/v1/member/coupons?shop_id={bad}", headers=auth(token))
        assert response.status_code == 404 and response.get_json()["error"] == "商城不存在"


# -- the batch form --------------------------------------------------------------------------
def _form(valid_from, valid_to, **over):
    data = {"name": "滨江店专享", "kind": "normal", "discount_type": "cash", "value": "8",
            "threshold": "0", "quantity": "10", "code_prefix": "BJ", "validity_type": "range",
            "valid_from": valid_from, "valid_to": valid_to, "scope": "all",
            "per_member_limit": "1", "gift_kind": "none", "shop_id": ""}
    data.update(over)
    return data


def test_batch_form_offers_own_shops_refuses_another_merchants_and_shows_the_scope(
        app, login_as):
    from app.models.base import china_now
    from app.models.marketing import CouponBatch

    other_id, other_name = _second_shop(app)
    foreign_id, foreign_name = _second_shop(app, B, "茶语小铺·分店")
    owner = login_as("owner_a")
    path = "/couponbatchview/new"
    page = owner.get(path).get_data(as_text=True)
    assert 'name="shop_id"' in page and "全部商城" in page and other_name in page
    assert foreign_name not in page
    now = china_now()
    start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (now + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")

    refused = owner.post(path, data={"csrf_token": owner.csrf(path),
                                     **_form(start, end, shop_id=str(foreign_id))})
    assert refused.status_code == 200 and "所选商城不存在" in refused.get_data(as_text=True)
    with app.app_context(), _scope(app):
        assert db.session.execute(select(CouponBatch.id).where(
            CouponBatch.name == "滨江店专享")).first() is None

    saved = owner.post(path, data={"csrf_token": owner.csrf(path),
                                   **_form(start, end, shop_id=str(other_id))})
    assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    with app.app_context(), _scope(app):
        batch = db.session.execute(select(CouponBatch).where(
            CouponBatch.name == "滨江店专享")).scalar_one()
        pk = batch.id
        assert batch.shop_id == other_id
    edit = f"/couponbatchview/edit-batch/{pk}"
    assert f'value="{other_id}" selected' in owner.get(edit).get_data(as_text=True)
    listed = owner.get("/couponbatchview/list/").get_data(as_text=True)
    assert "适用商城" in listed and other_name in listed and "全部商城" in listed
    assert other_name in owner.get(f"/couponbatchview/show/{pk}").get_data(as_text=True)
    export = owner.get("/couponbatchview/export/")
    assert export.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(0) \
        .to_python()
    column = rows[0].index("适用商城")
    by_name = {row[1]: row[column] for row in rows[1:]}
    assert by_name["滨江店专享"] == other_name

    # Draft: the scope can change back to every shop; published: immutable like the rest.
    again = owner.post(edit, data={"csrf_token": owner.csrf(edit), **_form(start, end)})
    assert again.status_code == 302
    with app.app_context(), _scope(app):
        assert db.session.get(CouponBatch, pk).shop_id is None
    publish = f"/couponbatchview/publish/{pk}"
    assert owner.post(publish, data={"csrf_token": owner.csrf(
        "/couponbatchview/list/")}).status_code == 302
    late = owner.post(edit, data={"csrf_token": owner.csrf("/couponbatchview/list/"),
                                  **_form(start, end, shop_id=str(other_id))})
    assert late.status_code == 302
    with app.app_context(), _scope(app):
        batch = db.session.get(CouponBatch, pk)
        assert (batch.status, batch.shop_id) == ("published", None)


# -- AI 刷脸 -----------------------------------------------------------------------------------
@pytest.fixture()
def face(app):
    pytest.importorskip("skimage.data")
    from tests.views import face_fixtures

    face_fixtures.set_provider(app, provider="local", retention_days=0)
    yield face_fixtures
    face_fixtures.set_provider(app, provider="local", retention_days=0)


def _campaign_shop(app, campaign_id, shop=None):
    """Save the campaign's 设置基本信息 with ``shop`` (an id) through the service; returns
    (errors, campaign shop, its tier batches' shops)."""
    from app.models.face_coupon import FaceCampaign
    from app.models.shop import Shop
    from app.services import face_coupon

    with app.app_context(), _scope(app):
        campaign = db.session.get(FaceCampaign, campaign_id)
        if shop is not None:
            values = {"name": campaign.name, "shop": db.session.get(Shop, shop),
                      "rules": campaign.rules, "share_title": "", "status": campaign.status,
                      "participation_limit": campaign.participation_limit,
                      "rule_mode": campaign.rule_mode}
            _saved, errors = face_coupon.save_campaign(db.session, values, True, campaign)
            if errors:
                db.session.rollback()
            else:
                db.session.commit()
        else:
            errors = {}
        campaign = db.session.get(FaceCampaign, campaign_id)
        return errors, campaign.shop_id, [t.batch.shop_id for t in campaign.tiers]


def test_a_face_coupon_is_usable_only_in_the_campaigns_shop(app, client, face):
    from app.models.shop import Shop

    other_id, _name = _second_shop(app)
    main_id = shop_id(app)
    campaign_id = face.make_campaign(app, tiers=[{"amount": 6, "quantity": 3}],
                                     name="分店刷脸")
    # No coupon given yet: the tier batches follow the campaign to another shop and back.
    assert _campaign_shop(app, campaign_id) == ({}, main_id, [main_id])
    assert _campaign_shop(app, campaign_id, other_id) == ({}, other_id, [other_id])
    assert _campaign_shop(app, campaign_id, main_id) == ({}, main_id, [main_id])

    _member_id, token = new_member(app, phone=phone())
    scanned = face.scan(client, campaign_id, token, face.astronaut_jpeg())
    assert scanned.status_code == 201 and scanned.get_json()["result"] == "rewarded"
    coupon_id = scanned.get_json()["coupon"]["id"]
    _pid, sku = make_product(app, price="30.00")
    with app.app_context(), _scope(app):
        main_name = db.session.get(Shop, main_id).name
    wrong = _place(client, token, other_id, sku, coupon_id=coupon_id)
    assert wrong.status_code == 409
    assert wrong.get_json()["error"] == f"该优惠券仅限在 {main_name} 使用"
    right = _place(client, token, main_id, sku, coupon_id=coupon_id)
    assert right.status_code == 201 and right.get_json()["coupon_discount"] == "6.00"

    # A coupon was given: the shop can no longer change (it keeps the shop it was given
    # for), and nothing moved.
    errors, shop, batch_shops = _campaign_shop(app, campaign_id, other_id)
    assert "已领的券只能在原商城使用" in errors["shop_id"]
    assert (shop, batch_shops) == (main_id, [main_id])


def test_member_coupon_list_and_export_show_where_a_coupon_can_be_spent(app, login_as):
    other_id, other_name = _second_shop(app, name="鲜果时光·会员券店")
    member_phone = phone()
    member_id, _token = new_member(app, phone=member_phone)
    _issue(app, _batch(app, shop=other_id), member_id)
    _issue(app, _batch(app), member_id)
    owner = login_as("owner_a")
    page = owner.get("/membercouponview/list/?psize_MemberCouponView=100")
    html = page.get_data(as_text=True)
    assert "适用商城" in html and other_name in html and "全部商城" in html
    export = owner.get("/membercouponview/export/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(
        0).to_python()
    column = rows[0].index("适用商城")
    mine = [r for r in rows[1:] if member_phone in [str(c) for c in r]]
    assert sorted(r[column] for r in mine) == sorted([other_name, "全部商城"])
