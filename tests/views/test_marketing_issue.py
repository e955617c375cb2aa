"""派发 (优惠券管理) through the reusable member picker: the JSON endpoint behind the 派发
permission, tenant-scoped; the form posts the picked phones (one per line, also what shows
without JavaScript) and one quantity for each."""
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import merchant_id
from tests.views.order_fixtures import new_member

A = "鲜果时光"
FORM = {"kind": "normal", "discount_type": "cash", "value": "5", "threshold": "30",
        "quantity": "5", "code_prefix": "PK", "code": "", "validity_type": "range",
        "valid_from": "2026-01-01T00:00", "valid_to": "2036-01-01T00:00", "valid_days": "",
        "scope": "all", "product_ids": "", "per_member_limit": "0", "gift_kind": "none"}


def _scoped(app):
    from app.tenancy import tenant_scope

    return tenant_scope(merchant_id(app, A))


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf()})


def _published_batch(app, client, name):
    from app.models.marketing import CouponBatch

    assert _post(client, "/couponbatchview/new", {**FORM, "name": name}).status_code == 302
    with app.app_context(), _scoped(app):
        pk = db.session.execute(select(CouponBatch.id).where(
            CouponBatch.name == name)).scalar()
    assert _post(client, f"/couponbatchview/publish/{pk}", {}).status_code == 302
    return pk


def _held(app, pk, member_id):
    from app.models.marketing import CouponBatch, MemberCoupon

    with app.app_context(), _scoped(app):
        held = db.session.execute(select(func.count(MemberCoupon.id)).where(
            MemberCoupon.batch_id == pk, MemberCoupon.member_id == member_id)).scalar()
        return held, db.session.get(CouponBatch, pk).remaining


def test_issue_picks_members_through_the_pickers_json(app, login_as):
    owner = login_as("owner_a")
    pk = _published_batch(app, owner, "选择器派发券")
    first, _t1 = new_member(app, phone="13744000021")
    second, _t2 = new_member(app, phone="13744000022")

    found = owner.get("/couponbatchview/issue-picker?field=member_phones&q=1374400002")
    assert found.status_code == 200
    items = found.get_json()["items"]
    assert sorted(i["value"] for i in items) == ["13744000021", "13744000022"]
    assert any(i["label"].endswith("13744000021") for i in items)
    # The list-permission picker of the view still offers no members.
    assert owner.get("/couponbatchview/picker?field=member_phones&q=1").status_code == 404
    assert owner.get("/couponbatchview/issue-picker?field=product_ids&q=1").status_code == 404
    # Another merchant's owner sees none of them; staff without 派发 are refused.
    other = login_as("owner_b").get(
        "/couponbatchview/issue-picker?field=member_phones&q=1374400002").get_json()
    assert other["items"] == []
    refused = login_as("verifier_a").get(
        "/couponbatchview/issue-picker?field=member_phones&q=1374400002")
    assert refused.status_code in (302, 403) and not refused.is_json

    page = owner.get(f"/couponbatchview/issue/{pk}").get_data(as_text=True)
    assert "/couponbatchview/issue-picker?field=member_phones" in page
    assert '<textarea class="form-control" id="member_phones" name="member_phones"' in page
    assert "js/picker.js" in page and "派发数量" in page

    # Unknown phones and bad quantities are refused at the field; nothing moves.
    bad = _post(owner, f"/couponbatchview/issue/{pk}",
                {"member_phones": "13744000021\n13744000029", "quantity": "2"})
    html = bad.get_data(as_text=True)
    assert "没有这些手机号的顾客：13744000029" in html
    assert "13744000021\n13744000029" in html  # the typed text is kept
    bad = _post(owner, f"/couponbatchview/issue/{pk}",
                {"member_phones": "13744000021", "quantity": "0"})
    assert "每位顾客的派发数量须为 1 到 1000 之间的整数" in bad.get_data(as_text=True)
    too_many = _post(owner, f"/couponbatchview/issue/{pk}",
                     {"member_phones": "13744000021\n13744000022", "quantity": "3"})
    assert "优惠券不足以派发" in too_many.get_data(as_text=True)
    assert _held(app, pk, first) == (0, 5)
    # With chips rendered for what was typed (the picker's own resolve).
    assert 'data-value="13744000021"' in too_many.get_data(as_text=True)

    done = _post(owner, f"/couponbatchview/issue/{pk}",
                 {"member_phones": "13744000021\n13744000022", "quantity": "2"})
    assert done.status_code == 302
    assert _held(app, pk, first) == (2, 1) and _held(app, pk, second)[0] == 2
