"""商城实名认证 and 消费者保障 rules, and the article rules that need no database."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.services.certification import (certification_problems, credit_check_digit,
                                        credit_code_problem, guarantee_problems,
                                        normalize_credit_code)
from app.services.content import is_public, publish, status_label
from app.services.errors import BusinessError

# Real, published codes (GB 32100-2015 check digits).
VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T"]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes_pass(code):
    assert credit_code_problem(code) is None
    assert credit_code_problem(code.lower()) is None  # typed in lower case: normalised
    assert credit_code_problem(f" {code[:9]} {code[9:]} ") is None


def test_check_digit_is_computed_as_the_standard_says():
    # 91350100M000100Y4 -> sum of value * weight mod 31 = 28 -> 31 - 28 = 3
    assert credit_check_digit("91350100M000100Y4") == "3"
    # A remainder of 0 gives check value 0, not 31.
    for code in VALID_CODES:
        assert credit_check_digit(code[:17]) == code[17]


@pytest.mark.parametrize("code, message", [
    ("", "请填写统一社会信用代码"),
    ("91350100M000100Y4", "统一社会信用代码应为 18 位"),
    ("91350100M000100Y433", "统一社会信用代码应为 18 位"),
    ("91350100M000100I43", "不含 I、O、S、V、Z"),
    ("91350100M000100Z43", "不含 I、O、S、V、Z"),
    ("9135A100M000100Y43", "行政区划码"),
    ("91350100M000100Y44", "校验位不正确"),
    ("91110000600037341K", "校验位不正确"),
])
def test_invalid_credit_codes_are_refused_with_a_reason(code, message):
    assert message in credit_code_problem(code)


def test_every_single_character_change_breaks_the_check_digit():
    code = VALID_CODES[0]
    from app.services.certification import CREDIT_CODE_CHARS

    for position in range(17):
        for ch in CREDIT_CODE_CHARS:
            if ch == code[position]:
                continue
            changed = code[:position] + ch + code[position + 1:]
            if not changed[2:8].isdigit():
                continue
            assert credit_code_problem(changed) is not None, changed


def test_submission_fields_have_limits():
    good = {"company_name": "福州某某科技有限公司", "credit_code": VALID_CODES[0],
            "legal_person": "张三", "contact_name": "李四", "contact_phone": "13800000001",
            "licence_image": "x.png"}
    assert certification_problems(good) == {}
    bad = dict(good, company_name="某", legal_person="", contact_phone="12345",
               licence_image=None, credit_code="123")
    problems = certification_problems(bad)
    assert set(problems) == {"company_name", "legal_person", "contact_phone", "licence_image",
                             "credit_code"}
    assert certification_problems(dict(good, contact_phone="0591-87654321")) == {}
    assert normalize_credit_code(" 91350100m000100y43 ") == VALID_CODES[0]


def test_guarantee_values_are_checked():
    today = date(2026, 11, 28)
    good = {"amount": "1000.00", "paid_on": today, "payment_ref": "TX20261128", "note": ""}
    assert guarantee_problems(good, today) == {}
    assert "amount" in guarantee_problems(dict(good, amount="abc"), today)
    assert "amount" in guarantee_problems(dict(good, amount="99.99"), today)
    assert "amount" in guarantee_problems(dict(good, amount="100.001"), today)
    assert "amount" in guarantee_problems(dict(good, amount="NaN"), today)
    assert "paid_on" in guarantee_problems(dict(good, paid_on=today + timedelta(days=1)),
                                           today)
    assert "paid_on" in guarantee_problems(dict(good, paid_on=None), today)
    assert "payment_ref" in guarantee_problems(dict(good, payment_ref="1"), today)
    assert "note" in guarantee_problems(dict(good, note="长" * 201), today)


def test_publish_needs_a_body_and_keeps_a_set_time():
    now = datetime(2026, 11, 28, 10, 0)
    article = SimpleNamespace(body="", published=False, visible=False, published_at=None)
    with pytest.raises(BusinessError):
        publish(article, now)
    assert not article.published
    article.body = "<p>正文</p>"
    publish(article, now)
    assert (article.published, article.visible, article.published_at) == (True, True, now)
    assert is_public(article, now) and status_label(article, now) == "已发布"
    later = SimpleNamespace(body="<p>x</p>", published=False, visible=True,
                            published_at=now + timedelta(days=1))
    publish(later, now)
    assert later.published_at == now + timedelta(days=1)
    assert not is_public(later, now) and status_label(later, now) == "定时发布"
    later.visible = False
    assert status_label(later, now) == "已隐藏"
