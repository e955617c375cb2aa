"""公众号设置 rules without the app: menu limits, template data, card fields and images."""
import io

import pytest
from PIL import Image

from app.services import official_account as service


def _slots(**fields):
    return service.slots_from_form(fields.get)


def _codes(errors):
    return {key: str(error) for key, error in errors.items()}


def test_name_units_count_chinese_as_two():
    assert service.name_units("会员") == 4
    assert service.name_units("VIP会员") == 7
    assert service.name_units("") == 0


def test_top_level_name_limit_is_four_chinese_characters_or_eight_letters():
    ok = _slots(b0_name="会员中心", b0_type="click", b0_key="K")
    assert service.build_menu(ok)[1] == {}
    ok = _slots(b0_name="ABCDEFGH", b0_type="click", b0_key="K")
    assert service.build_menu(ok)[1] == {}
    for name in ("会员中心啊", "ABCDEFGHI", "会员ABCDE"):
        errors = service.build_menu(_slots(b0_name=name, b0_type="click", b0_key="K"))[1]
        assert "一级菜单名称最多 4 个汉字或 8 个字母" in _codes(errors)["b0_name"]


def test_sub_button_name_limit_is_eight_chinese_characters():
    base = dict(b0_name="会员", b0_s0_type="click", b0_s0_key="K")
    assert service.build_menu(_slots(b0_s0_name="八个汉字的菜单名", **base))[1] == {}
    errors = service.build_menu(_slots(b0_s0_name="九个汉字的菜单名称", **base))[1]
    assert "二级菜单名称最多 8 个汉字" in _codes(errors)["b0_s0_name"]


def test_a_button_with_sub_buttons_drops_its_own_action():
    menu, errors = service.build_menu(_slots(
        b0_name="会员", b0_type="view", b0_url="https://a.test/",
        b0_s0_name="签到", b0_s0_type="click", b0_s0_key="SIGN"))
    assert errors == {}
    assert menu == {"button": [{"name": "会员", "sub_button": [
        {"type": "click", "name": "签到", "key": "SIGN"}]}]}


def test_json_over_the_limits_is_refused():
    menu = {"button": [{"type": "click", "name": f"B{i}", "key": "k"} for i in range(4)]}
    slots, _skipped = service.slots_from_menu(menu)
    assert len([s for s in slots if s["name"]]) == 3  # the designer keeps at most 3
    too_many = service.empty_slots() + [service.empty_slots()[0]]
    assert "menu" in service.build_menu(too_many)[1]
    six = service.empty_slots()
    six[0]["name"] = "会员"
    six[0]["subs"].append(service.empty_slot())
    for sub in six[0]["subs"]:
        sub.update(name="子菜单", type="click", key="K")
    assert "每个一级菜单下最多 5 个二级菜单" in _codes(service.build_menu(six)[1])["b0_name"]


def test_click_key_and_url_limits():
    errors = service.build_menu(_slots(b0_name="A", b0_type="click", b0_key="k" * 129))[1]
    assert "128" in _codes(errors)["b0_key"]
    errors = service.build_menu(_slots(b0_name="A", b0_type="view",
                                       b0_url="https://a.test/" + "x" * 1020))[1]
    assert "b0_url" in errors


def test_pulled_menu_skips_types_the_designer_does_not_edit():
    slots, skipped = service.slots_from_menu({"button": [
        {"type": "location_select", "name": "位置", "key": "L"},
        {"name": "更多", "sub_button": {"list": [
            {"type": "view", "name": "官网", "url": "https://a.test/"}]}}]})
    assert skipped == ["位置"]
    assert slots[1]["subs"][0]["name"] == "官网"


def test_template_data_accepts_plain_values_and_wechats_shape():
    assert service.template_data({"first": "您好", "keyword1": {"value": 12, "color": "#f00"},
                                  "remark": None}) == {
        "first": {"value": "您好"}, "keyword1": {"value": "12", "color": "#f00"},
        "remark": {"value": ""}}


def _image(size, fmt="PNG"):
    stream = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(stream, format=fmt)
    return stream.getvalue()


def test_card_images_are_checked_for_type_size_and_pixels():
    assert service.check_card_image(_image((300, 300)), "logo.png", "logo",
                                    service.LOGO_MAX) == "PNG"
    assert service.check_card_image(_image((1000, 600), "JPEG"), "bg.jpg", "background",
                                    service.BACKGROUND_MAX) == "JPEG"
    with pytest.raises(service.OfficialError) as exc:
        service.check_card_image(_image((301, 300)), "logo.png", "logo", service.LOGO_MAX)
    assert "300×300" in str(exc.value) and exc.value.field == "logo"
    with pytest.raises(service.OfficialError, match="只支持 jpg、png"):
        service.check_card_image(_image((100, 100), "GIF"), "logo.gif", "logo",
                                 service.LOGO_MAX)
    with pytest.raises(service.OfficialError, match="只支持 jpg、png"):
        service.check_card_image(_image((100, 100), "GIF"), "logo.png", "logo",
                                 service.LOGO_MAX)
    with pytest.raises(service.OfficialError, match="不能超过 1 MB"):
        service.check_card_image(b"x" * (1024 * 1024 + 1), "logo.png", "logo",
                                 service.LOGO_MAX)
    with pytest.raises(service.OfficialError, match="不是有效的图片"):
        service.check_card_image(b"not an image", "logo.png", "logo", service.LOGO_MAX)


CARD = {"brand_name": "鲜果时光", "title": "会员卡", "color": "Color010",
        "prerogative": "会员卡绑定后，积分查询，消费查询，在线充值",
        "links": [("会员充值", "优惠", "https://a.test/recharge"),
                  ("会员签到", "赚积分", "https://a.test/sign"), ("", "", "")]}


def test_card_fields_need_two_or_three_links_and_wechats_lengths():
    assert service.card_fields_errors(CARD) == {}
    one_link = dict(CARD, links=[CARD["links"][0], ("", "", ""), ("", "", "")])
    assert "links" in service.card_fields_errors(one_link)
    bad = dict(CARD, brand_name="一" * 13, title="", color="Color999",
               links=[("会员充值优惠多", "", "ftp://x"), CARD["links"][1], ("", "", "")])
    errors = _codes(service.card_fields_errors(bad))
    assert set(errors) == {"brand_name", "title", "color", "link0_name", "link0_url"}
    assert errors["brand_name"] == "商户名字最多 12 个字"


def test_card_payload_maps_links_to_wechats_fields():
    three = dict(CARD, links=CARD["links"][:2] + [("大转盘", "抽大奖", "https://a.test/w")])
    card = service.card_payload(three, "http://mmbiz/logo", "http://mmbiz/bg")["card"]
    member_card = card["member_card"]
    base = member_card["base_info"]
    assert card["card_type"] == "MEMBER_CARD"
    assert (base["custom_url_name"], base["custom_url_sub_title"]) == ("会员充值", "优惠")
    assert base["promotion_url"] == "https://a.test/sign"
    assert member_card["custom_cell1"] == {"name": "大转盘", "tips": "抽大奖",
                                           "url": "https://a.test/w"}
    assert member_card["background_pic_url"] == "http://mmbiz/bg"
    assert base["color"] == "Color010" and base["logo_url"] == "http://mmbiz/logo"
