"""用户绑定 rules without a database (app/services/binding.py): phone check, code digests,
follower tokens. The flows with SMS codes and requests are in
tests/views/test_official_account_binding.py."""
import time

import pytest

from app.services import binding
from app.services.official_account import OfficialError

SECRET = "unit-test-secret"


@pytest.mark.parametrize("phone", ["12800000000", "1380000000", "138000000001", "", None,
                                   "1380000000a"])
def test_bad_phones_are_refused_at_the_field(phone):
    with pytest.raises(OfficialError) as excinfo:
        binding.check_phone(phone)
    assert excinfo.value.field == "phone" and "11 位" in str(excinfo.value)


def test_code_digest_binds_phone_code_and_secret():
    digest = binding.code_digest("13800000001", "123456", SECRET)
    assert digest == binding.code_digest("13800000001", "123456", SECRET)
    assert digest != binding.code_digest("13800000002", "123456", SECRET)
    assert digest != binding.code_digest("13800000001", "123457", SECRET)
    assert digest != binding.code_digest("13800000001", "123456", "other")
    assert "123456" not in digest


def test_follower_token_round_trip_and_refusals():
    token = binding.issue_follower_token(7, "oOpenid123", SECRET)
    assert binding.read_follower_token(token, SECRET) == (7, "oOpenid123")
    with pytest.raises(OfficialError) as forged:
        binding.read_follower_token(token, "another-secret")
    assert forged.value.status == 401 and forged.value.code == "bad_token"
    with pytest.raises(OfficialError) as tampered:
        binding.read_follower_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), SECRET)
    assert tampered.value.code == "bad_token"
    time.sleep(1.1)
    with pytest.raises(OfficialError) as expired:
        binding.read_follower_token(token, SECRET, max_age=0)
    assert expired.value.code == "token_expired" and "过期" in str(expired.value)
