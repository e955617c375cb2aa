"""小程序设置 (live information, 小程序码, name / avatar / introduction within the live
quota) and 附近小程序 (add, list, delete through the API, at most 10)."""
import io
import json

from app.models.mini_program import NearbyPoi
from tests.conftest import merchant_id
from tests.fakes.mini_program import PNG
from tests.views.mini_program_fixtures import (MINI, bound, component, mini_config,  # noqa: F401
                                               rows)

IMAGE = PNG


# -- 小程序设置 ----------------------------------------------------------------------------
def test_settings_show_live_information_and_quotas(wechat, bound):
    wechat.apps[MINI]["nickname_used"] = 1
    page = bound.get("/miniprogram/settings/").get_data(as_text=True)
    for text in ("鲜果时光小店", "新鲜水果，当日送达", "已认证", "企业", "上海鲜果时光商贸有限公司",
                 "商家自营", "食品", "审核通过", "一个月内可申请修改 2 次", "本月还可修改 1 次",
                 "本月还可修改 5 次", "https://wx.qlogo.cn/mmopen/fake/0"):
        assert text in page, text
    wechat.apps[MINI]["signature_quota"] = 9  # quotas are read, never assumed
    assert "一个月内可申请修改 9 次" in bound.get("/miniprogram/settings/").get_data(as_text=True)


def test_settings_without_a_mini_program_say_so(login_as):
    page = login_as("owner_b").get("/miniprogram/settings/")
    assert page.status_code == 200 and "请先在“开通小程序”中开通或绑定小程序" in page.get_data(
        as_text=True)


def test_wxa_code_downloads_as_png(wechat, bound):
    response = bound.post("/miniprogram/settings/code",
                          data={"csrf_token": bound.csrf("/miniprogram/settings/")})
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.get_data() == PNG and "attachment" in response.headers["Content-Disposition"]
    assert json.loads(wechat.received("/wxa/getwxacodeunlimit")[0]["body"])["scene"] == "home"


def _post(client, path, **data):
    data["csrf_token"] = client.csrf()
    return client.post(f"/miniprogram/settings/{path}", data=data,
                       content_type="multipart/form-data")


def test_name_change_checks_input_then_the_live_quota(app, wechat, bound):
    response = _post(bound, "name", name="鲜")
    assert response.status_code == 422 and "小程序名称须为 4-30 个字符" in response.get_data(
        as_text=True)
    assert wechat.received("/wxa/setnickname") == []
    assert _post(bound, "name", name="鲜果时光旗舰店").status_code == 302
    assert wechat.apps[MINI]["nickname"] == "鲜果时光旗舰店"
    assert mini_config(app, merchant_id(app, "鲜果时光")).name == "鲜果时光旗舰店"
    wechat.apps[MINI]["nickname_used"] = 2  # this month's quota is used up
    response = _post(bound, "name", name="鲜果时光二号店")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "本月名称修改次数已用完" in body
    assert 'value="鲜果时光二号店"' in body
    assert len(wechat.received("/wxa/setnickname")) == 1


def test_intro_change_and_wechats_own_refusal(wechat, bound):
    assert _post(bound, "intro", intro="当季水果，产地直发").status_code == 302
    assert wechat.apps[MINI]["signature"] == "当季水果，产地直发"
    assert _post(bound, "intro", intro="短").status_code == 422
    wechat.apps[MINI]["signature_used"] = 5
    body = _post(bound, "intro", intro="当季水果，冷链直发").get_data(as_text=True)
    assert "本月介绍修改次数已用完" in body
    assert len(wechat.received("/cgi-bin/account/modifysignature")) == 1


def test_avatar_upload_is_checked_then_sent(wechat, bound):
    bad = _post(bound, "avatar", avatar=(io.BytesIO(b"GIF89a....."), "logo.png"))
    assert bad.status_code == 422 and "文件内容与格式不符" in bad.get_data(as_text=True)
    wrong = _post(bound, "avatar", avatar=(io.BytesIO(IMAGE), "logo.gif"))
    assert "文件格式须为 png、jpeg、jpg、bmp" in wrong.get_data(as_text=True)
    assert wechat.received("/cgi-bin/media/upload") == []
    assert _post(bound, "avatar", avatar=(io.BytesIO(IMAGE), "logo.png")).status_code == 302
    [upload] = wechat.received("/cgi-bin/media/upload")
    assert upload["upload"] == IMAGE
    assert wechat.apps[MINI]["head_used"] == 1


def test_wechat_down_changes_nothing(wechat, bound):
    wechat.down = True
    response = _post(bound, "intro", intro="当季水果，产地直发")
    assert response.status_code == 422 and "网络错误" in response.get_data(as_text=True)
    wechat.down = False
    assert wechat.apps[MINI]["signature"] == "新鲜水果，当日送达"


# -- 附近小程序 ----------------------------------------------------------------------------
def _add(client, proof=(IMAGE, "营业执照.png"), **override):
    data = {"related_name": "鲜果时光徐汇店", "related_credential": "310115000123456",
            "related_address": "上海市徐汇区漕溪北路 88 号"}
    data.update(override)
    data["csrf_token"] = client.csrf("/nearbypoi/addpoi")
    if proof is not None:
        data["proof"] = (io.BytesIO(proof[0]), proof[1])
    return client.post("/nearbypoi/addpoi", data=data, content_type="multipart/form-data")


def _mine(app):
    return [p for p in rows(app, NearbyPoi, merchant_id=merchant_id(app, "鲜果时光"))
            if not (p.poi_id or "").startswith("demo")]


def test_add_poi_refuses_bad_input_before_any_call(app, wechat, bound):
    response = _add(bound, related_credential="1234", related_name="",
                    proof=(b"%PDF-1.4", "证明.pdf"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in ("请填写15位营业执照注册号", "请填写营业执照名称", "文件格式须为 bmp、png、jpeg、jpg、gif"):
        assert text in body
    assert 'value="1234"' in body
    big = _add(bound, proof=(IMAGE + b"\0" * (2 * 1024 * 1024), "大.png"))
    assert "相关证明材料大小不超过2M" in big.get_data(as_text=True)
    fake = _add(bound, proof=(b"not an image", "假.jpg"))
    assert "文件内容与格式不符" in fake.get_data(as_text=True)
    assert wechat.received("/wxa/addnearbypoi") == [] and _mine(app) == []


def test_add_list_sync_and_delete_pois(app, wechat, bound):
    for credential in ("310115000123456", "12345678-9", "91350100M000100Y43"):
        assert _add(bound, related_credential=credential).status_code == 302
    sent = [json.loads(r["body"]) for r in wechat.received("/wxa/addnearbypoi")]
    assert [s["related_credential"] for s in sent] == ["310115000123456", "12345678-9",
                                                        "91350100M000100Y43"]
    assert all(s["related_proof_material"] in wechat.apps[MINI]["media"] for s in sent)
    mine = _mine(app)
    assert {p.audit_status for p in mine} == {"auditing"} and all(p.poi_id for p in mine)
    listing = bound.get("/nearbypoi/list/").get_data(as_text=True)
    assert "鲜果时光徐汇店" in listing and "审核中" in listing
    # WeChat audits: one passes, one is refused; 同步审核状态 reads getnearbypoilist.
    pois = wechat.apps[MINI]["pois"]
    first, second = mine[0].poi_id, mine[1].poi_id
    pois[first].update(audit_status=5, display_status=1)
    pois[second].update(audit_status=4, refuse_reason="证明材料不清晰")
    bound.post("/nearbypoi/sync", data={"csrf_token": bound.csrf("/nearbypoi/list/")})
    states = {p.poi_id: (p.audit_status, p.refuse_reason) for p in _mine(app)}
    assert states[first] == ("passed", None) and states[second] == ("rejected", "证明材料不清晰")
    assert "证明材料不清晰" in bound.get("/nearbypoi/list/").get_data(as_text=True)
    # 删除: from WeChat and from the list.
    target = next(p for p in _mine(app) if p.poi_id == first)
    response = bound.post("/nearbypoi/action_post", data={
        "csrf_token": bound.csrf("/nearbypoi/list/"), "action": "delete_poi",
        "rowid": str(target.id)})
    assert response.status_code == 302
    assert first not in pois and len(_mine(app)) == 2
    assert json.loads(wechat.received("/wxa/delnearbypoi")[0]["body"]) == {"poi_id": first}


def test_at_most_ten_addresses(app, wechat, bound):
    existing = len(rows(app, NearbyPoi, merchant_id=merchant_id(app, "鲜果时光")))
    for n in range(10 - existing):
        assert _add(bound, related_credential=f"31011500012{n:04d}").status_code == 302
    response = _add(bound, related_credential="310115000199999")
    assert response.status_code == 422
    assert "最多绑定 10 个地址" in response.get_data(as_text=True)
    assert len(wechat.received("/wxa/addnearbypoi")) == 10 - existing


def test_add_poi_with_wechat_down_stores_nothing(app, wechat, bound):
    wechat.down = True
    response = _add(bound)
    assert response.status_code == 422 and "网络错误" in response.get_data(as_text=True)
    assert _mine(app) == []


def test_home_quick_link_opens_the_settings(login_as):
    home = login_as("owner_a").get("/").get_data(as_text=True)
    assert '<a class="md-quick" href="/miniprogram/settings/">' in home
    staff = login_as("manager_a")
    assert '<a class="md-quick" href="/miniprogram/settings/">' not in staff.get("/").get_data(
        as_text=True)
    assert staff.get("/miniprogram/settings/").status_code in (302, 403)
