"""小程序设置管理 rules without the web app: codes, names, images, periods, charts."""
from datetime import date

import pytest

from app.services import mini_program as service
from app.services.wechat import FieldError

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.mark.parametrize("code,ok", [
    ("91350100M000100Y43", True),
    ("91110108551385082Q", True),
    ("91350100M000100Y44", False),   # wrong check character
    ("91350100M000100Y4", False),    # 17 characters
    ("91350100M000100I43", False),   # I is not in the code's alphabet
    ("", False),
])
def test_unified_social_credit_code_check_character(code, ok):
    assert service.uscc_valid(code) is ok


@pytest.mark.parametrize("number", ["310115000123456", "12345678-9", "1234567A-X",
                                    "91350100m000100y43", "9135010000000000001A"])
def test_licence_numbers_of_the_four_kinds_are_accepted(number):
    assert service.check_licence_number(f" {number} ") == number.upper()


@pytest.mark.parametrize("number", ["31011500012345", "3101150001234567", "123456789",
                                    "12345678-", "91350100M000100Y44", "913501000000000000A",
                                    "9135010000000000001-", "门店001"])
def test_bad_licence_numbers_are_refused_at_the_field(number):
    with pytest.raises(FieldError) as err:
        service.check_licence_number(number)
    assert err.value.field == "related_credential"
    assert "15位营业执照注册号" in str(err.value)


def test_names_count_chinese_characters_twice():
    assert service.name_width("鲜果Go") == 6
    assert service.check_name(" 鲜果 ") == "鲜果"
    with pytest.raises(FieldError):
        service.check_name("鲜")               # 2 characters
    with pytest.raises(FieldError):
        service.check_name("鲜" * 16)          # 32 characters
    assert service.check_name("鲜" * 15) == "鲜" * 15


def test_intro_length():
    assert service.check_intro("新鲜水果") == "新鲜水果"
    for text in ("短", "好" * 121):
        with pytest.raises(FieldError):
            service.check_intro(text)


def test_quota_is_read_not_assumed():
    service.check_quota({"used": 1, "quota": 2, "left": 1}, "名称")
    with pytest.raises(service.BusinessError) as err:
        service.check_quota({"used": 2, "quota": 2, "left": 0}, "名称")
    assert "本月名称修改次数已用完" in str(err.value)


@pytest.mark.parametrize("content,name,code", [
    (PNG, "证明.pdf", "bad_format"),
    (b"", "证明.png", "empty"),
    (PNG + b"\0" * (2 * 1024 * 1024), "证明.png", "too_big"),
    (b"GIF89a-not-a-png", "证明.png", "bad_content"),
    (b"%PDF-1.4", "证明.jpg", "bad_content"),
])
def test_proof_material_is_checked(content, name, code):
    with pytest.raises(FieldError) as err:
        service.check_image(content, name, field="proof", extensions=service.PROOF_EXTENSIONS,
                            max_bytes=service.MAX_PROOF_BYTES, size_message="大小不超过2M")
    assert err.value.code == code


@pytest.mark.parametrize("content,name", [(PNG, "a.PNG"), (b"\xff\xd8\xff\xe0", "a.jpeg"),
                                          (b"GIF87a", "a.gif"), (b"BM\0\0", "a.bmp")])
def test_proof_material_formats(content, name):
    assert service.check_image(content, name, field="proof",
                               extensions=service.PROOF_EXTENSIONS,
                               max_bytes=service.MAX_PROOF_BYTES, size_message="x")


def test_periods_cover_yesterday_last_month_and_thirty_days():
    spans = service.periods(date(2026, 3, 1))
    assert spans["summary"] == (date(2026, 2, 28), date(2026, 2, 28))
    assert spans["monthly"] == (date(2026, 2, 1), date(2026, 2, 28))
    assert spans["portrait"] == (date(2026, 1, 30), date(2026, 2, 28))
    assert service.periods(date(2026, 1, 15))["monthly"] == (date(2025, 12, 1),
                                                              date(2025, 12, 31))


def test_bars_give_shares_of_the_whole_series():
    rows = service.bars([{"name": "男", "value": 1}, {"name": "女", "value": 3}])
    assert rows == [{"name": "女", "value": 3, "percent": 75.0},
                    {"name": "男", "value": 1, "percent": 25.0}]
    assert service.bars([]) == []
    assert service.bars([{"name": "x", "value": 0}])[0]["percent"] == 0.0
