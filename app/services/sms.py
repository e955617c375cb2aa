"""SMS providers: one small interface, one HTTP gateway implementation.

``SmsProvider.send(phone, template, params)`` sends one templated message and returns the
provider's message id, or raises ``SmsError`` with a Chinese, user-readable message.

``HttpGatewayProvider`` speaks a plain signed JSON protocol that SMS gateways (and the
relays in front of Aliyun / Tencent Cloud SMS) offer:

    POST <url>   Content-Type: application/json
    X-Sms-Timestamp: <unix seconds>
    X-Sms-Signature: hex HMAC-SHA256(key, "<timestamp>\\n<body>")
    {"phone": "138...", "sign_name": "鲜果时光", "template": "binding_code",
     "params": {"code": "123456", "minutes": 5}}

    -> {"code": "OK", "biz_id": "..."}  or  {"code": "<error code>", "message": "..."}

Configured by SMS_GATEWAY_URL, SMS_GATEWAY_KEY and SMS_SIGN_NAME; the test suite points the
URL at its loopback fake (tests/fakes/sms.py).
"""
import hashlib
import hmac
import json
import logging
import time

import requests

from app.services.errors import BusinessError, N_

log = logging.getLogger(__name__)
TIMEOUT = 10

# Gateway error codes the shopper can act on.
ERRORS = {
    "MOBILE_NUMBER_ILLEGAL": N_("手机号格式不正确"),
    "BUSINESS_LIMIT_CONTROL": N_("该手机号获取短信过于频繁，请稍后再试"),
    "AMOUNT_NOT_ENOUGH": N_("商家短信余额不足，请联系商家"),
}


class SmsError(BusinessError):
    status = 502


class SmsProvider:
    """Interface: send one templated SMS; returns the provider's message id."""

    def send(self, phone, template, params):
        raise NotImplementedError


class HttpGatewayProvider(SmsProvider):
    def __init__(self, url, key, sign_name, session=None):
        self.url = url
        self.key = key
        self.sign_name = sign_name
        self.session = session or requests.Session()

    def sign(self, timestamp, body):
        return hmac.new(self.key.encode("utf-8"), f"{timestamp}\n".encode("utf-8") + body,
                        hashlib.sha256).hexdigest()

    def send(self, phone, template, params):
        body = json.dumps({"phone": phone, "sign_name": self.sign_name, "template": template,
                           "params": params}, ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        try:
            response = self.session.post(
                self.url, data=body, timeout=TIMEOUT,
                headers={"Content-Type": "application/json; charset=utf-8",
                         "X-Sms-Timestamp": timestamp,
                         "X-Sms-Signature": self.sign(timestamp, body)})
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("SMS gateway unreachable: %s", exc)
            raise SmsError(N_("短信服务暂时无法连接，请稍后重试"), code="sms_network") from exc
        code = str(data.get("code") or "")
        if code != "OK":
            log.info("SMS gateway refused %s: %s %s", template, code, data.get("message"))
            raise SmsError(ERRORS.get(code, N_("短信发送失败，请稍后重试")), code=f"sms_{code}")
        return str(data.get("biz_id") or "")


def provider_from_config(config):
    """The configured provider, or None when the deployment has no SMS gateway."""
    if not config.get("SMS_GATEWAY_URL"):
        return None
    return HttpGatewayProvider(config["SMS_GATEWAY_URL"], config.get("SMS_GATEWAY_KEY") or "",
                               config.get("SMS_SIGN_NAME") or "")
