"""微信会员卡: fields and images checked before any call, images through uploadimg, the card
through card/create, the claim QR through card/qrcode/create (fake WeChat, real wechatpy)."""
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models.official_account import MemberCard
from app.models.wechat import OfficialAccountConfig
from app.tenancy import platform_scope
from tests.conftest import merchant_id

APPID = "wx33445566778899ef"
SECRET = "c" * 32


@pytest.fixture()
def oa(app, wechat):
    mid = merchant_id(app, "鲜果时光")
    with app.app_context(), platform_scope():
        db.session.add(OfficialAccountConfig(merchant_id=mid, appid=APPID, app_secret=SECRET,
                                             token="tok123", message_mode="plain"))
        db.session.commit()
    state = wechat.add_app(APPID, SECRET)
    yield {"merchant_id": mid, "state": state}
    with app.app_context(), platform_scope():
        db.session.execute(OfficialAccountConfig.__table__.delete().where(
            OfficialAccountConfig.merchant_id == mid))
        db.session.execute(MemberCard.__table__.delete())
        db.session.commit()


def image(size, fmt="PNG", name="logo.png", pad=0):
    stream = io.BytesIO()
    Image.new("RGB", size, (20, 160, 90)).save(stream, format=fmt)
    return (io.BytesIO(stream.getvalue() + b"\0" * pad), name)


def card_form(client, **overrides):
    data = {"csrf_token": client.csrf("/membercard/"), "brand_name": "鲜果时光",
            "title": "会员卡", "color": "Color010", "confirm": "1",
            "prerogative": "会员卡绑定后，积分查询，消费查询，在线充值，充值查询，接收通知提醒，消费返利",
            "link0_name": "会员充值", "link0_tips": "优惠", "link0_url": "https://shop.example.test/r",
            "link1_name": "会员签到", "link1_tips": "赚积分", "link1_url": "https://shop.example.test/s",
            "link2_name": "大转盘", "link2_tips": "抽大奖", "link2_url": "https://shop.example.test/w",
            "logo": image((300, 300)),
            "background": image((1000, 600), "JPEG", "bg.jpg")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _cards(app):
    with app.app_context(), platform_scope():
        return db.session.execute(select(MemberCard)).scalars().all()


def test_page_warns_that_a_card_cannot_be_deleted(app, login_as, oa):
    page = login_as("owner_a").get("/membercard/").get_data(as_text=True)
    assert "微信会员卡创建后无法删除" in page
    assert page.count('name="color"') == 14 and "300*300 像素以下，小于 1M" in page


def test_create_uploads_images_creates_the_card_and_shows_the_qr(app, login_as, wechat, oa):
    client = login_as("owner_a")
    response = client.post("/membercard/", data=card_form(client),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(wechat.received("/cgi-bin/media/uploadimg")) == 2
    (card_id, body), = oa["state"]["cards"].items()
    member_card = body["card"]["member_card"]
    base = member_card["base_info"]
    assert base["brand_name"] == "鲜果时光" and base["color"] == "Color010"
    assert base["logo_url"] in oa["state"]["images"]
    assert member_card["background_pic_url"] in oa["state"]["images"]
    assert member_card["custom_cell1"]["name"] == "大转盘"
    qr_call = json.loads(wechat.received("/card/qrcode/create")[0]["body"])
    assert qr_call["action_info"]["card"]["card_id"] == card_id
    (card,) = _cards(app)
    assert card.card_id == card_id and card.qr_url.startswith("http://weixin.qq.com/q/")
    page = client.get("/membercard/").get_data(as_text=True)
    assert 'id="card-qr" src="data:image/png;base64,' in page and card_id in page
    assert "showqrcode?ticket=" in page and 'id="card-form"' not in page
    # A card cannot be created twice.
    again = client.post("/membercard/", data=card_form(client), content_type="multipart/form-data",
                        follow_redirects=True)
    assert "微信会员卡创建后无法删除或重复创建" in again.get_data(as_text=True)
    assert len(oa["state"]["cards"]) == 1


@pytest.mark.parametrize("overrides,field_message", [
    ({"logo": image((301, 300))}, "图片尺寸须在 300×300 像素以内（现为 301×300）"),
    ({"logo": image((200, 200), pad=1024 * 1024)}, "图片不能超过 1 MB"),
    ({"logo": image((200, 200), "GIF", "logo.gif")}, "只支持 jpg、png、jpeg 格式的图片"),
    ({"logo": None}, "请选择商户 logo 图片"),
    ({"background": image((1001, 600), "JPEG", "bg.jpg")}, "图片尺寸须在 1000×600 像素以内"),
    ({"color": "Color999"}, "请从微信卡券颜色中选择卡面颜色"),
    ({"link1_name": "", "link1_tips": "", "link1_url": "", "link2_name": "", "link2_tips": "",
      "link2_url": ""}, "请填写 2 到 3 个自定义链接"),
    ({"link0_url": "javascript:alert(1)"}, "请填写以 http:// 或 https:// 开头的链接"),
    ({"title": "超过九个字的会员卡名称"}, "券名最多 9 个字"),
    ({"prerogative": ""}, "请填写特权说明"),
    ({"confirm": None}, "请确认已核对图片与商户信息"),
])
def test_bad_input_is_refused_before_any_call(app, login_as, wechat, oa, overrides,
                                              field_message):
    client = login_as("owner_a")
    response = client.post("/membercard/", data=card_form(client, **overrides),
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and field_message in body
    assert 'value="鲜果时光"' in body  # input kept
    assert wechat.received("/cgi-bin/media/uploadimg") == []
    assert wechat.received("/card/create") == []
    assert _cards(app) == []


def test_wechat_down_saves_nothing(app, login_as, wechat, oa):
    client = login_as("owner_a")
    wechat.down = True
    response = client.post("/membercard/", data=card_form(client),
                           content_type="multipart/form-data")
    assert response.status_code == 502
    assert "创建会员卡失败：网络错误" in response.get_data(as_text=True)
    assert _cards(app) == []


def test_regenerate_the_claim_qr_code(app, login_as, wechat, oa):
    client = login_as("owner_a")
    created = client.post("/membercard/", data=card_form(client),
                          content_type="multipart/form-data")
    assert created.status_code == 302, created.get_data(as_text=True)[-3000:]
    first = _cards(app)[0].qr_ticket
    response = client.post("/membercard/qrcode", data={"csrf_token": client.csrf("/membercard/")},
                           follow_redirects=True)
    assert "领卡二维码已生成" in response.get_data(as_text=True)
    assert _cards(app)[0].qr_ticket != first


def test_images_survive_a_token_refresh(app, login_as, wechat, oa):
    """WeChat invalidated the cached access token: wechatpy fetches a new one and repeats
    the upload, which must still carry the image."""
    client = login_as("owner_a")
    client.post("/officialmenu/pull", data={"csrf_token": client.csrf("/officialmenu/")})
    assert wechat.tokens  # a token is cached now
    wechat.tokens.clear()
    response = client.post("/membercard/", data=card_form(client),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert len(oa["state"]["images"]) == 2 and len(_cards(app)) == 1
