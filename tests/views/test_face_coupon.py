"""AI 刷脸 admin pages (插件管理): 设置基本信息 with its field errors, 设置优惠券 ("+" rows
backed by real published coupon batches, all or nothing), 查看发放状态, 刷脸记录 and its
export, 识别服务设置 (keys encrypted and masked), the H5 demo page and permissions."""
import io
import itertools
from datetime import timedelta

from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, text

from tests.conftest import merchant_id
from tests.views.face_fixtures import (MERCHANT_A, astronaut_jpeg, local_provider,  # noqa: F401
                                       make_campaign, new_member, scan, set_provider)

_phones = itertools.count(1)


def _count(app, model, **where):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.execute(query).scalar()


def _shop_id(app):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        return db.session.execute(select(Shop.id).order_by(Shop.id)).scalars().first()


def _form(client, path, **fields):
    data = {"csrf_token": client.csrf(path)}
    data.update(fields)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_list_says_the_local_provider_does_not_measure_beauty(login_as, local_provider):
    owner = login_as("owner_a")
    html = owner.get("/facecampaignview/list/").get_data(as_text=True)
    assert "AI 刷脸设置" in html and "本地识别不测颜值" in html
    assert "新增活动" in html and "识别服务设置" in html


def test_basic_information_errors_are_shown_at_their_fields_and_nothing_is_saved(
        app, login_as, local_provider):
    from app.models.face_coupon import FaceCampaign

    owner = login_as("owner_a")
    before = _count(app, FaceCampaign)
    response = _form(owner, "/facecampaignview/new", name="刷", shop_id="", rules="字" * 10001,
                     share_title="题" * 51, status="active", participation_limit="abc",
                     rule_mode="beauty")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("活动名称请输入 2-50 个字符", "请选择优惠券使用的商城", "活动规则不能超过 10000 个字符",
                    "分享标题不能超过 50 个字符", "请输入整数",
                    "本地识别不测颜值：请选择按年龄和性别发券，或在识别服务设置中改用腾讯云"):
        assert message in html, message
    assert 'value="刷"' in html                      # what was typed is kept
    assert _count(app, FaceCampaign) == before
    response = _form(owner, "/facecampaignview/new", name="周末刷脸", shop_id=str(_shop_id(app)),
                     rules="", status="active", participation_limit="0", rule_mode="age_gender")
    assert "每人参与次数须为 1 到 100 之间的整数" in response.get_data(as_text=True)
    assert _count(app, FaceCampaign) == before


def test_save_basic_information_sanitizes_rules_and_stores_the_share_image(
        app, login_as, local_provider):
    from app.extensions import db
    from app.models.face_coupon import FaceCampaign
    from app.tenancy import tenant_scope

    owner = login_as("owner_a")
    path = "/facecampaignview/new"
    response = owner.post(path, data={
        "csrf_token": owner.csrf(path), "name": "女神节刷脸", "shop_id": str(_shop_id(app)),
        "rules": '<p onclick="x()">规则<script>alert(1)</script></p>', "share_title": "刷脸领券",
        "status": "active", "participation_limit": "2", "rule_mode": "age_gender",
        "share_image": (io.BytesIO(astronaut_jpeg()), "share.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302 and "/facecampaignview/tiers/" in response.location
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        campaign = db.session.execute(select(FaceCampaign).where(
            FaceCampaign.name == "女神节刷脸")).scalar_one()
        assert campaign.rules == "<p>规则</p>"
        assert campaign.participation_limit == 2 and campaign.share_image.endswith(".jpg")
        pk, image = campaign.id, campaign.share_image
    assert owner.get(f"/facecampaignview/download/{image}").status_code == 200
    edit = f"/facecampaignview/edit-campaign/{pk}"
    assert "女神节刷脸" in owner.get(edit).get_data(as_text=True)
    response = _form(owner, edit, name="女神节刷脸2", shop_id=str(_shop_id(app)), rules="",
                     status="paused", participation_limit="3", rule_mode="age_gender")
    assert response.status_code == 302
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        campaign = db.session.get(FaceCampaign, pk)
        assert (campaign.name, campaign.status, campaign.share_image) == (
            "女神节刷脸2", "paused", image)


def test_tiers_plus_rows_create_published_coupon_batches(app, login_as, local_provider):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.face_coupon import FaceCampaign
    from app.models.marketing import CouponBatch
    from app.tenancy import tenant_scope

    campaign_id = make_campaign(app, tiers=[])
    owner = login_as("owner_a")
    path = f"/facecampaignview/tiers/{campaign_id}"
    page = owner.get(path).get_data(as_text=True)
    assert 'id="md-face-add-tier"' in page and "点击“+”可设置不同金额的优惠券" in page
    start = (china_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    end = (china_now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    rows = {"new_amount": ["20", "5"], "new_quantity": ["10", "100"],
            "new_valid_from": [start, start], "new_valid_to": [end, end],
            "new_gender": ["female", "any"], "new_age_min": ["18", ""],
            "new_age_max": ["35", ""], "new_beauty_min": ["", ""], "new_beauty_max": ["", ""]}
    response = owner.post(path, data={"csrf_token": owner.csrf(path), **rows})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        campaign = db.session.get(FaceCampaign, campaign_id)
        got = [(str(t.amount), t.quantity, t.gender, t.age_min, t.age_max, t.batch.status,
                t.batch.remaining, t.batch.kind) for t in campaign.tiers]
        assert got == [("20.00", 10, "female", 18, 35, "published", 10, "normal"),
                       ("5.00", 100, "any", None, None, "published", 100, "normal")]
        batch_ids = [t.batch_id for t in campaign.tiers]
        assert db.session.execute(select(func.count()).select_from(CouponBatch).where(
            CouponBatch.id.in_(batch_ids))).scalar() == 2
        tier_id = campaign.tiers[0].id
    # the coupon list of 营销设置管理 shows them: they are ordinary batches
    assert "20元券" in owner.get("/couponbatchview/list/?psize_CouponBatchView=100") \
        .get_data(as_text=True)
    # the band of an existing tier can change; its amount and quantity cannot
    response = owner.post(path, data={"csrf_token": owner.csrf(path),
                                      f"t{tier_id}_gender": "any", f"t{tier_id}_age_min": "20",
                                      f"t{tier_id}_age_max": "40"})
    assert response.status_code == 302
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        campaign = db.session.get(FaceCampaign, campaign_id)
        assert (campaign.tiers[0].gender, campaign.tiers[0].age_min) == ("any", 20)


def test_tier_errors_create_nothing(app, login_as, local_provider):
    from app.models.face_coupon import FaceCouponTier
    from app.models.marketing import CouponBatch

    campaign_id = make_campaign(app, tiers=[])
    owner = login_as("owner_a")
    path = f"/facecampaignview/tiers/{campaign_id}"
    tiers, batches = _count(app, FaceCouponTier), _count(app, CouponBatch)
    rows = {"new_amount": ["20", "-1", "abc"], "new_quantity": ["10", "5", "0"],
            "new_valid_from": ["2026-01-02T08:00", "2026-01-02T08:00", "2026-01-02T08:00"],
            "new_valid_to": ["2099-01-01T08:00", "2026-01-01T08:00", "2099-01-01T08:00"],
            "new_gender": ["any", "any", "any"], "new_age_min": ["50", "", ""],
            "new_age_max": ["20", "", ""]}
    html = owner.post(path, data={"csrf_token": owner.csrf(path), **rows}) \
        .get_data(as_text=True)
    for message in ("年龄上限不能小于下限", "优惠券金额须大于 0 且不超过 100000 元",
                    "结束时间须晚于开始时间", "请输入数字", "优惠券数量须为 1 到 100000 之间的整数"):
        assert message in html, message
    assert 'value="-1"' in html and 'value="abc"' in html      # nothing typed is lost
    assert (_count(app, FaceCouponTier), _count(app, CouponBatch)) == (tiers, batches)
    html = owner.post(path, data={"csrf_token": owner.csrf(path)}).get_data(as_text=True)
    assert "请至少设置一档优惠券" in html


def test_issuing_status_scan_records_and_export(app, client, login_as, local_provider):
    campaign_id = make_campaign(app, tiers=[{"amount": 20, "quantity": 4},
                                            {"amount": 5, "quantity": 9}], name="发放状态测试")
    for i in range(2):
        _member_id, token = new_member(app, f"1368800{next(_phones):04d}")
        assert scan(client, campaign_id, token, astronaut_jpeg()).status_code == 201
    owner = login_as("owner_a")
    html = owner.get(f"/facecampaignview/issuing/{campaign_id}").get_data(as_text=True)
    assert 'id="md-face-numbers"' in html
    assert "<td>2</td><td>2</td><td>2</td>" in html.replace("\n", "").replace(" ", "")
    tier_rows = html.split('id="md-face-tier-status"')[1]
    assert "<td>4</td><td>2</td><td>0</td><td>2</td>" in tier_rows.replace(" ", "")
    listing = owner.get("/facescanview/list/").get_data(as_text=True)
    assert "发放状态测试" in listing and "已获券" in listing
    # this campaign's records (the whole list may be big enough to export as a task)
    export = owner.get(f"/facescanview/export/?_flt_0_campaign={campaign_id}")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(0) \
        .to_python()
    header = rows[0]
    assert "照片 SHA-256" in header and "颜值" in header and "优惠码" in header
    assert len(rows) == 3 and all("发放状态测试" in r for r in rows[1:])
    assert all(r[header.index("结果")] == "已获券" for r in rows[1:])


def test_settings_encrypt_and_mask_the_tencent_keys(app, login_as, local_provider):
    from app.extensions import db

    set_provider(app, tencent_secret_id=None, tencent_secret_key=None)  # none stored yet
    owner = login_as("owner_a")
    path = "/facesettings/"
    html = _form(owner, path, provider="tencent", tencent_secret_id="", tencent_secret_key="",
                 tencent_region="ap-guangzhou", retention_days="9").get_data(as_text=True)
    assert "使用腾讯云需填写 SecretId" in html and "照片保留天数须为 0 到 7 之间的整数" in html
    response = _form(owner, path, provider="tencent", tencent_secret_id="AKIDsecretIdABCD1234",
                     tencent_secret_key="topSecretKeyWXYZ9876", tencent_region="ap-shanghai",
                     retention_days="2")
    assert response.status_code == 302
    html = owner.get(path).get_data(as_text=True)
    assert "****1234" in html and "****9876" in html
    assert "AKIDsecretIdABCD1234" not in html and "topSecretKeyWXYZ9876" not in html
    with app.app_context():
        raw = db.session.execute(text(
            "SELECT tencent_secret_id, tencent_secret_key FROM face_settings "
            "WHERE merchant_id = :m"), {"m": merchant_id(app, MERCHANT_A)}).one()
        assert "AKIDsecretIdABCD1234" not in raw[0] and "topSecretKeyWXYZ9876" not in raw[1]
    # blank keeps the stored keys
    response = _form(owner, path, provider="tencent", tencent_secret_id="",
                     tencent_secret_key="", tencent_region="ap-shanghai", retention_days="0")
    assert response.status_code == 302
    assert "****1234" in owner.get(path).get_data(as_text=True)
    # the campaign form now offers 颜值 rules
    assert "本地识别不测颜值" not in owner.get("/facecampaignview/list/").get_data(as_text=True)


def test_demo_page_is_phone_width_and_uses_the_shop_api(app, login_as, local_provider):
    campaign_id = make_campaign(app, tiers=[{"amount": 5, "quantity": 5}])
    member_id, _token = new_member(app, f"1369900{next(_phones):04d}")
    owner = login_as("owner_a")
    html = owner.get(f"/facecampaignview/demo/{campaign_id}?member={member_id}") \
        .get_data(as_text=True)
    assert 'id="md-face-phone"' in html and "width:375px" in html
    assert f"/api/v1/face/campaigns/{campaign_id}/scan" in html and 'data-token="' in html
    assert 'id="md-face-consent"' in html and 'accept="image/jpeg,image/png"' in html


def test_staff_without_the_permission_are_refused(login_as):
    verifier = login_as("verifier_a")
    for path in ("/facecampaignview/list/", "/facescanview/list/", "/facesettings/"):
        assert verifier.get(path).status_code in (302, 403), path
