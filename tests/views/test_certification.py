"""商城实名认证 and 消费者保障: the merchant submits, the platform operator reviews in its own
queue, and the shop API shows a badge only after approval."""
import io

from PIL import Image
from sqlalchemy import delete, select

from tests.conftest import merchant_id

GOOD_CODE = "91350100M000100Y43"


def png():
    stream = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(stream, format="PNG")
    return stream.getvalue()


def reset(app, merchant_name):
    """Each test starts from a merchant with no certification and no guarantee record."""
    from app.extensions import db
    from app.models.content import Certification, Guarantee
    from app.tenancy import platform_scope

    mid = merchant_id(app, merchant_name)
    with app.app_context(), platform_scope():
        db.session.execute(delete(Certification).where(Certification.merchant_id == mid))
        db.session.execute(delete(Guarantee).where(Guarantee.merchant_id == mid))
        db.session.commit()


def record(app, merchant_name, model_name):
    from app.extensions import db
    from app.models import content
    from app.tenancy import platform_scope

    model = getattr(content, model_name)
    with app.app_context(), platform_scope():
        row = db.session.execute(select(model).where(
            model.merchant_id == merchant_id(app, merchant_name))).scalar()
        db.session.expunge_all()  # readable after the session closes
        db.session.rollback()
        return row


def badges(app, merchant_name):
    from app.extensions import db
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        shop = db.session.execute(select(Shop.id).where(
            Shop.merchant_id == merchant_id(app, merchant_name)).limit(1)).scalar()
    return app.test_client().get(f"/api/v1/shops/{shop}/badges").get_json()


def submit(client, **overrides):
    form = {"company_name": "福州鲜果时光贸易有限公司", "credit_code": GOOD_CODE,
            "legal_person": "张三", "contact_name": "李四", "contact_phone": "13800000001",
            "csrf_token": client.csrf("/certification/"),
            "licence_image": (io.BytesIO(png()), "licence.png")}
    form.update(overrides)
    return client.post("/certification/submit", data=form, content_type="multipart/form-data")


def test_bad_submission_is_refused_at_the_field_and_nothing_is_saved(app, login_as):
    reset(app, "鲜果时光")
    client = login_as("owner_a")
    response = submit(client, credit_code="91350100M000100Y44", contact_phone="123",
                      company_name="福州鲜果时光贸易有限公司")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "统一社会信用代码校验位不正确" in text and "请填写 11 位手机号" in text
    assert "福州鲜果时光贸易有限公司" in text  # typed values are kept
    assert record(app, "鲜果时光", "Certification") is None
    response = submit(client, licence_image=(io.BytesIO(b"not an image"), "x.png"))
    assert response.status_code == 422
    assert "文件内容不是有效的图片" in response.get_data(as_text=True)
    assert record(app, "鲜果时光", "Certification") is None
    response = submit(client, licence_image=(io.BytesIO(b""), ""))
    assert "请上传营业执照图片" in response.get_data(as_text=True)


def test_submit_review_reject_resubmit_approve_and_badge(app, login_as):
    reset(app, "鲜果时光")
    owner = login_as("owner_a")
    assert badges(app, "鲜果时光")["certified"] is False
    assert submit(owner, credit_code=GOOD_CODE.lower()).status_code == 302
    cert = record(app, "鲜果时光", "Certification")
    assert (cert.status, cert.credit_code, cert.submit_count) == ("pending", GOOD_CODE, 1)
    page = owner.get("/certification/").get_data(as_text=True)
    assert "平台审核中" in page and "提交审核" not in page
    assert owner.get("/certification/licence").data == png()
    # Pending: a second submission is refused.
    submit(owner, company_name="改名公司")
    assert record(app, "鲜果时光", "Certification").company_name == "福州鲜果时光贸易有限公司"
    assert badges(app, "鲜果时光")["certified"] is False

    # The merchant has no access to the platform queue.
    for url in ("/certificationreviewview/list/", f"/certificationreviewview/reject/{cert.id}"):
        assert owner.get(url).status_code in (302, 403), url
    owner.post(f"/certificationreviewview/action/approve/{cert.id}",
               data={"csrf_token": owner.csrf()})
    assert record(app, "鲜果时光", "Certification").status == "pending"

    platform = login_as("platform")
    listed = platform.get("/certificationreviewview/list/?_flt_0_status=pending").get_data(
        as_text=True)
    assert "福州鲜果时光贸易有限公司" in listed and "驳回" in listed
    token = platform.csrf("/certificationreviewview/list/")
    response = platform.post(f"/certificationreviewview/reject/{cert.id}",
                             data={"reason": "", "csrf_token": token})
    assert response.status_code == 422 and "请填写驳回原因" in response.get_data(as_text=True)
    platform.post(f"/certificationreviewview/reject/{cert.id}",
                  data={"reason": "营业执照照片不清晰", "csrf_token": token})
    cert = record(app, "鲜果时光", "Certification")
    assert (cert.status, cert.reject_reason) == ("rejected", "营业执照照片不清晰")
    assert cert.reviewer and cert.reviewed_at
    assert badges(app, "鲜果时光")["certified"] is False

    # Rejected: the merchant sees why and resubmits; the old licence is kept if none chosen.
    page = owner.get("/certification/").get_data(as_text=True)
    assert "营业执照照片不清晰" in page and "重新提交审核" in page
    assert submit(owner, licence_image=(io.BytesIO(b""), "")).status_code == 302
    again = record(app, "鲜果时光", "Certification")
    assert (again.status, again.submit_count, again.reject_reason) == ("pending", 2, None)
    assert again.licence_image == cert.licence_image

    platform.post(f"/certificationreviewview/action/approve/{again.id}",
                  data={"csrf_token": token})
    assert record(app, "鲜果时光", "Certification").status == "approved"
    shown = badges(app, "鲜果时光")
    assert shown["certified"] is True and shown["company_name"] == "福州鲜果时光贸易有限公司"
    # Approving twice, or rejecting after approval, changes nothing and says why.
    response = platform.post(f"/certificationreviewview/action/approve/{again.id}",
                             data={"csrf_token": token}, follow_redirects=True)
    assert "已被审核" in response.get_data(as_text=True)
    platform.post(f"/certificationreviewview/reject/{again.id}",
                  data={"reason": "晚到的驳回", "csrf_token": token})
    assert record(app, "鲜果时光", "Certification").status == "approved"
    # Approved: no more submissions from the merchant.
    submit(owner, company_name="改名公司")
    assert record(app, "鲜果时光", "Certification").company_name == "福州鲜果时光贸易有限公司"
    # The other merchant's badge is untouched.
    assert badges(app, "茶语小铺")["certified"] is False


def test_another_merchant_sees_and_reviews_nothing(app, login_as):
    reset(app, "鲜果时光")
    reset(app, "茶语小铺")
    submit(login_as("owner_a"))
    cert = record(app, "鲜果时光", "Certification")
    other = login_as("owner_b")
    page = other.get("/certification/").get_data(as_text=True)
    assert "福州鲜果时光贸易有限公司" not in page and GOOD_CODE not in page
    placeholder = other.get("/certification/licence")
    assert placeholder.mimetype == "image/svg+xml" and "未上传营业执照" in placeholder.get_data(
        as_text=True)
    for url in (f"/certificationreviewview/show/{cert.id}",
                f"/certificationreviewview/reject/{cert.id}",
                f"/certificationreviewview/download/{cert.licence_image}"):
        assert other.get(url).status_code in (302, 403, 404), url
    other.post(f"/certificationreviewview/reject/{cert.id}",
               data={"reason": "B 驳回", "csrf_token": other.csrf()})
    assert record(app, "鲜果时光", "Certification").status == "pending"
    # Staff of the same merchant without the permission cannot submit either.
    verifier = login_as("verifier_a")
    assert verifier.get("/certification/").status_code in (302, 403)
    # The platform sees the licence through the queue's checked download route.
    platform = login_as("platform")
    assert platform.get(f"/certificationreviewview/download/{cert.licence_image}").data == png()


def test_guarantee_recorded_by_merchant_confirmed_by_platform(app, login_as):
    reset(app, "茶语小铺")
    owner = login_as("owner_b")
    token = owner.csrf("/certification/")
    response = owner.post("/certification/guarantee", data={
        "amount": "50", "paid_on": "2999-01-01", "payment_ref": "1", "csrf_token": token})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "保证金金额须在 100 - 1000000 元之间" in text
    assert "缴纳日期不能晚于今天" in text and "付款流水号须为 4-64 个字符" in text
    assert record(app, "茶语小铺", "Guarantee") is None
    owner.post("/certification/guarantee", data={
        "amount": "2000.00", "paid_on": "2026-11-01", "payment_ref": "TX-2026-1101",
        "csrf_token": token})
    row = record(app, "茶语小铺", "Guarantee")
    assert row.status == "pending" and str(row.amount) == "2000.00"
    assert badges(app, "茶语小铺")["guarantee"] is False

    platform = login_as("platform")
    ptoken = platform.csrf("/guaranteereviewview/list/")
    platform.post(f"/guaranteereviewview/reject/{row.id}",
                  data={"reason": "未查到到账记录", "csrf_token": ptoken})
    assert record(app, "茶语小铺", "Guarantee").status == "rejected"
    assert "未查到到账记录" in owner.get("/certification/").get_data(as_text=True)
    owner.post("/certification/guarantee", data={
        "amount": "2000.00", "paid_on": "2026-11-02", "payment_ref": "TX-2026-1102",
        "csrf_token": token})
    row = record(app, "茶语小铺", "Guarantee")
    assert row.status == "pending" and row.payment_ref == "TX-2026-1102"
    platform.post("/guaranteereviewview/action_post", data={
        "action": "approve", "rowid": [str(row.id)], "csrf_token": ptoken})
    assert record(app, "茶语小铺", "Guarantee").status == "confirmed"
    shown = badges(app, "茶语小铺")
    assert shown["guarantee"] is True and shown["guarantee_amount"] == "2000.00"
    assert "已加入" in owner.get("/certification/").get_data(as_text=True)
