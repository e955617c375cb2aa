"""AI 刷脸 through the shop JSON API, end to end on a real database: a real photo analysed
offline gives a real coupon (the tier's batch, the coupon ledger), the bad uploads, consent,
no face / two people, the participation limit, the next tier down, the Tencent path against
its loopback fake (颜值 bands), photo retention (encrypted, served, purged) and tenancy."""
import hashlib
import itertools
import re
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import merchant_id
from tests.fakes.tencent_iai import FakeTencentIai
from tests.views.face_fixtures import (MERCHANT_A, MERCHANT_B, astronaut_jpeg, auth, encode,
                                       local_provider, make_campaign, new_member,  # noqa: F401
                                       no_face_jpeg, scan, set_provider, two_people_jpeg)

_phones = itertools.count(1)
SECRET_ID, SECRET_KEY = "AKIDmerchantA0001", "merchantAsecretKey0001"


def phone():
    return f"1366{next(_phones):07d}"


def _rows(app, model, **where):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        rows = db.session.execute(query.order_by(model.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _tier_batches(app, campaign_id):
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        campaign = db.session.get(FaceCampaign, campaign_id)
        return [(t.amount, t.batch_id, t.batch.remaining) for t in campaign.tiers]


def test_a_real_photo_analysed_offline_gets_a_real_coupon(app, client, local_provider):
    from app.extensions import db
    from app.models.face_coupon import FacePhoto, FaceScan
    from app.models.marketing import CouponBatch, CouponLedger, MemberCoupon
    from app.services import coupon
    from app.tenancy import tenant_scope

    campaign_id = make_campaign(app, tiers=[
        {"amount": 20, "quantity": 5, "gender": "female", "age_min": 18, "age_max": 60},
        {"amount": 5, "quantity": 5}])
    member_id, token = new_member(app, phone())
    photo = astronaut_jpeg()
    response = scan(client, campaign_id, token, photo)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["result"] == "rewarded" and data["gender"] == "female"
    assert data["beauty"] is None                       # the local provider has no 颜值
    assert data["text"] == f"女 · {data['age']} 岁 · 获得 20 元优惠券"
    assert 20 <= data["age"] <= 50
    assert data["coupon"]["amount"] == "20" and data["chances_left"] == 0

    (scan_row,) = _rows(app, FaceScan, campaign_id=campaign_id)
    assert scan_row.image_sha256 == hashlib.sha256(photo).hexdigest()
    assert (scan_row.slot, scan_row.provider, scan_row.photo_expires_at) == (1, "local", None)
    assert not _rows(app, FacePhoto, scan_id=scan_row.id)    # deleted right after analysis
    (top, low) = _tier_batches(app, campaign_id)
    assert top[2] == 4 and low[2] == 5
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        given = db.session.get(MemberCoupon, data["coupon"]["id"])
        assert (given.member_id, given.source, given.batch_id) == (member_id, "face", top[1])
        assert given.code == data["coupon"]["code"] == scan_row.coupon_code
        batch = db.session.get(CouponBatch, top[1])
        assert batch.status == "published" and batch.value == 20 and batch.threshold == 0
        ledger = db.session.execute(select(CouponLedger).where(
            CouponLedger.batch_id == batch.id)).scalars().all()
        assert [(r.kind, r.delta, r.remaining_after) for r in ledger] == [("face", -1, 4)]
        assert batch.quantity + coupon.ledger_sum(db.session, batch.id) == batch.remaining
        # a real coupon: usable at checkout like any other
        assert coupon.usable(given, given.valid_from + timedelta(minutes=1)) is None


def test_consent_is_required_and_nothing_is_recorded(app, client, local_provider):
    from app.models.face_coupon import FaceScan

    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 3}])
    _member_id, token = new_member(app, phone())
    for consent in (None, "0", ""):
        response = scan(client, campaign_id, token, astronaut_jpeg(), consent=consent)
        assert response.status_code == 422
        assert response.get_json() == {"error": "请先阅读并勾选同意使用人脸信息",
                                        "code": "no_consent"}
    assert not _rows(app, FaceScan, campaign_id=campaign_id)
    assert _tier_batches(app, campaign_id)[0][2] == 3


@pytest.mark.parametrize("kind, status, message", [
    ("gif", 415, "只支持 JPG 或 PNG 格式的照片"),
    ("text", 415, "只支持 JPG 或 PNG 格式的照片"),
    ("big", 413, "照片不能超过 5 MB"),
    ("empty", 422, "请上传照片"),
])
def test_bad_uploads_get_a_chinese_error_and_move_nothing(app, client, local_provider, kind,
                                                          status, message):
    from app.models.face_coupon import FaceScan

    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 3}])
    _member_id, token = new_member(app, phone())
    from skimage import data as skimage_data

    photo = {"gif": lambda: encode(skimage_data.astronaut(), "GIF"),
             "text": lambda: "这不是照片".encode("utf-8"),
             "big": lambda: encode(np.random.default_rng(3).integers(
                 0, 256, (1400, 1400, 3), dtype=np.uint8), "PNG"),
             "empty": lambda: b""}[kind]()
    response = scan(client, campaign_id, token, photo, filename="selfie.png")
    assert response.status_code == status
    assert response.get_json()["error"] == message
    assert not _rows(app, FaceScan, campaign_id=campaign_id)
    assert _tier_batches(app, campaign_id)[0][2] == 3


@pytest.mark.parametrize("photo, code, message", [
    (no_face_jpeg, "no_face", "未检测到人脸"),
    (two_people_jpeg, "multi_face", "请只拍一个人"),
])
def test_no_face_and_two_people_are_recorded_but_not_counted(app, client, local_provider,
                                                            photo, code, message):
    from app.models.face_coupon import FaceScan

    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 3}])
    _member_id, token = new_member(app, phone())
    response = scan(client, campaign_id, token, photo())
    assert response.status_code == 422
    assert response.get_json() == {"error": message, "code": code}
    (row,) = _rows(app, FaceScan, campaign_id=campaign_id)
    assert (row.result, row.slot, row.member_coupon_id) == (code, None, None)
    assert _tier_batches(app, campaign_id)[0][2] == 3
    # not counted: the member still has the one chance
    assert scan(client, campaign_id, token, astronaut_jpeg()).status_code == 201


def test_the_participation_limit_holds_and_moves_nothing(app, client, local_provider):
    from app.models.face_coupon import FaceScan

    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 10}], limit=2)
    _member_id, token = new_member(app, phone())
    assert scan(client, campaign_id, token, astronaut_jpeg()).status_code == 201
    assert scan(client, campaign_id, token, astronaut_jpeg()).status_code == 201
    third = scan(client, campaign_id, token, astronaut_jpeg())
    assert third.status_code == 409
    assert third.get_json() == {"error": "每人最多参与 2 次，您的次数已用完", "code": "limit"}
    assert len(_rows(app, FaceScan, campaign_id=campaign_id)) == 2
    assert _tier_batches(app, campaign_id)[0][2] == 8


def test_a_sold_out_tier_falls_to_the_next_tier_down_then_to_none(app, client,
                                                                  local_provider):
    campaign_id = make_campaign(app, tiers=[
        {"amount": 50, "quantity": 1, "gender": "female"},
        {"amount": 10, "quantity": 1},
        {"amount": 88, "quantity": 5, "gender": "male"}])   # never matches the astronaut
    texts = []
    for _ in range(3):
        _member_id, token = new_member(app, phone())
        data = scan(client, campaign_id, token, astronaut_jpeg()).get_json()
        texts.append((data["result"], data["coupon"] and data["coupon"]["amount"],
                      data["text"].split(" · ")[-1]))
    assert texts == [("rewarded", "50", "获得 50 元优惠券"), ("rewarded", "10", "获得 10 元优惠券"),
                     ("sold_out", None, "优惠券已领完")]
    amounts = {str(a): r for a, _b, r in _tier_batches(app, campaign_id)}
    assert amounts == {"88.00": 5, "50.00": 0, "10.00": 0}


def test_no_matching_band_gives_no_coupon(app, client, local_provider):
    campaign_id = make_campaign(app, tiers=[{"amount": 30, "quantity": 5, "gender": "male"}])
    _member_id, token = new_member(app, phone())
    data = scan(client, campaign_id, token, astronaut_jpeg()).get_json()
    assert data["result"] == "no_match" and data["coupon"] is None
    assert data["text"].endswith(" · 未获得优惠券")


@pytest.fixture()
def tencent(app):
    fake = FakeTencentIai({SECRET_ID: SECRET_KEY}).start()
    previous = app.config["TENCENT_IAI_ENDPOINT"], app.config["TENCENT_IAI_TIMEOUT"]
    # a generous timeout: the fake runs a face detector, and CI machines can be busy
    app.config["TENCENT_IAI_ENDPOINT"], app.config["TENCENT_IAI_TIMEOUT"] = fake.endpoint, 120
    set_provider(app, provider="tencent", tencent_secret_id=SECRET_ID,
                 tencent_secret_key=SECRET_KEY, retention_days=0)
    yield fake
    app.config["TENCENT_IAI_ENDPOINT"], app.config["TENCENT_IAI_TIMEOUT"] = previous
    set_provider(app, provider="local", retention_days=0)
    fake.stop()


def test_tencent_beauty_bands_pick_the_tier(app, client, tencent):
    campaign_id = make_campaign(app, rule_mode="beauty", tiers=[
        {"amount": 50, "quantity": 5, "beauty_min": 90},
        {"amount": 20, "quantity": 5, "beauty_min": 80, "beauty_max": 89},
        {"amount": 5, "quantity": 5}])
    got = []
    for beauty, gender in ((87, 12), (95, 70), (40, 30)):
        tencent.attributes = {"Beauty": beauty, "Age": 26, "Gender": gender}
        _member_id, token = new_member(app, phone())
        response = scan(client, campaign_id, token, astronaut_jpeg())
        assert response.status_code == 201, response.get_json()
        got.append(response.get_json()["text"])
    assert got == ["颜值 87 分 · 女 · 26 岁 · 获得 20 元优惠券",
                   "颜值 95 分 · 男 · 26 岁 · 获得 50 元优惠券",
                   "颜值 40 分 · 女 · 26 岁 · 获得 5 元优惠券"]
    assert len(tencent.requests) == 3


def test_tencent_two_people_and_a_wrong_key(app, client, tencent):
    from app.models.face_coupon import FaceScan

    campaign_id = make_campaign(app, rule_mode="beauty", tiers=[{"amount": 5, "quantity": 5}])
    _member_id, token = new_member(app, phone())
    response = scan(client, campaign_id, token, two_people_jpeg())
    assert response.get_json() == {"error": "请只拍一个人", "code": "multi_face"}
    set_provider(app, tencent_secret_key="someoneElsesKey0000")
    response = scan(client, campaign_id, token, astronaut_jpeg())
    assert response.status_code == 503
    assert response.get_json()["error"] == "腾讯云密钥错误，请商家检查 SecretId 和 SecretKey"
    assert [r.result for r in _rows(app, FaceScan, campaign_id=campaign_id)] == ["multi_face"]
    assert _tier_batches(app, campaign_id)[0][2] == 5


def test_a_beauty_campaign_is_refused_while_the_provider_cannot_measure_it(app, client,
                                                                          local_provider):
    campaign_id = make_campaign(app, rule_mode="beauty", tiers=[{"amount": 5, "quantity": 5}])
    _member_id, token = new_member(app, phone())
    response = scan(client, campaign_id, token, astronaut_jpeg())
    assert response.status_code == 503
    assert response.get_json()["error"] == "当前识别服务不测颜值，活动暂不可用"
    info = client.get(f"/api/v1/face/campaigns/{campaign_id}", headers=auth(token)).get_json()
    assert info["measures_beauty"] is False and info["chances_left"] == 1


def test_retained_photos_are_encrypted_served_to_the_merchant_and_purged(app, client,
                                                                       local_provider,
                                                                       login_as):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.face_coupon import FacePhoto, FaceScan
    from app.services import face_coupon as service
    from app.tenancy import platform_scope

    set_provider(app, retention_days=3)
    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 5}])
    _member_id, token = new_member(app, phone())
    photo = astronaut_jpeg()
    data = scan(client, campaign_id, token, photo).get_json()
    (row,) = _rows(app, FaceScan, campaign_id=campaign_id)
    (kept,) = _rows(app, FacePhoto, scan_id=row.id)
    assert data["photo_kept_until"] and kept.expires_at == row.photo_expires_at
    assert photo not in bytes(kept.data) and photo[:64] not in bytes(kept.data)  # encrypted
    assert timedelta(days=2, hours=23) < kept.expires_at - china_now() <= timedelta(days=3)

    owner = login_as("owner_a")
    shown = owner.get(f"/facescanview/photo/{row.id}")
    assert shown.status_code == 200 and shown.data == photo
    assert shown.headers["Content-Type"] == "image/jpeg"
    assert login_as("owner_b").get(f"/facescanview/photo/{row.id}").status_code == 404

    with app.app_context(), platform_scope():
        assert service.purge_expired_photos(db.session, now=china_now()) == 0
        db.session.rollback()
    with app.app_context(), platform_scope():
        db.session.execute(FacePhoto.__table__.update().where(
            FacePhoto.__table__.c.id == kept.id).values(expires_at=china_now()))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["md", "face-purge"])
    assert result.exit_code == 0 and "deleted" in result.output
    assert not _rows(app, FacePhoto, scan_id=row.id)
    assert owner.get(f"/facescanview/photo/{row.id}").status_code == 404
    (row,) = _rows(app, FaceScan, campaign_id=campaign_id)
    assert row.image_sha256 == hashlib.sha256(photo).hexdigest()   # the record stays


def test_another_merchants_campaign_does_not_exist_for_the_token(app, client, local_provider):
    campaign_b = make_campaign(app, merchant=MERCHANT_B, tiers=[{"amount": 5, "quantity": 5}])
    _member_id, token = new_member(app, phone())
    assert client.get(f"/api/v1/face/campaigns/{campaign_b}", headers=auth(token)) \
        .status_code == 404
    response = scan(client, campaign_b, token, astronaut_jpeg())
    assert response.status_code == 404 and response.get_json()["error"] == "活动不存在"
    assert _tier_batches_b(app, campaign_b) == 5


def _tier_batches_b(app, campaign_id):
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_B)):
        return db.session.get(FaceCampaign, campaign_id).tiers[0].batch.remaining


def test_campaign_info_for_the_shopper_page(app, client, local_provider):
    campaign_id = make_campaign(app, tiers=[{"amount": 20, "quantity": 3},
                                            {"amount": 5.5, "quantity": 7}], limit=3)
    _member_id, token = new_member(app, phone())
    info = client.get(f"/api/v1/face/campaigns/{campaign_id}", headers=auth(token)).get_json()
    assert [(t["amount"], t["remaining"]) for t in info["tiers"]] == [("20", 3), ("5.5", 7)]
    assert info["chances_left"] == 3 and info["photo_max_mb"] == 5
    assert info["rules"] == "<p>每人限参与一次</p>" and re.match(r".+", info["shop"]["name"])


def test_paused_campaign_is_refused(app, client, local_provider):
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign
    from app.tenancy import tenant_scope

    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 5}])
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        db.session.get(FaceCampaign, campaign_id).status = "paused"
        db.session.commit()
    _member_id, token = new_member(app, phone())
    response = scan(client, campaign_id, token, astronaut_jpeg())
    assert response.status_code == 410 and response.get_json()["error"] == "活动已暂停"
