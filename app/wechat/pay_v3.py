"""WeChat Pay APIv3 through wechatpayv3: platform certificates, order query, credential check.

wechatpayv3 2.0.4 sends with module-level ``requests.get/post``, which no transport adapter
reaches. ``SessionCore`` is its ``Core`` with the same request signing and reply checks,
sending through ``app.wechat.transport.new_session()`` like every other WeChat client.
It also checks what wechatpayv3 leaves unchecked: the signature of the platform
certificate download (with the certificate it delivers) and of error replies, so that a
"订单不存在" only proves the credentials when WeChat Pay signed it.

Callers pass a ``V3Account`` (plain values; amounts come back in yuan as Decimal) and get
one ``WeChatError`` with a Chinese message and the fix for every failure.
"""
import json
import logging
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask_babel import lazy_gettext as _l
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType
from wechatpayv3.utils import aes_decrypt, build_authorization, rsa_verify

from app.models.base import CHINA
from app.wechat.errors import WeChatError, pay_error
from app.wechat.pay import fen_to_yuan, new_idempotency_key
from app.wechat.transport import TIMEOUT, new_session

log = logging.getLogger(__name__)

CERTIFICATES_PATH = "/v3/certificates"
SIGNATURE_HEADER = "Wechatpay-Signature"


@dataclass
class V3Account:
    """What an APIv3 call needs: the merchant's mch_id, APIv3 key, and the API certificate
    (its serial number and private key, converted from the uploaded .p12)."""

    mch_id: str
    apiv3_key: str
    cert_serial: str
    key_pem: str
    appid: str = None


def account_from_config(config):
    """The V3Account of a merchant's own PaymentConfig; WeChatError when something the v3
    API needs is missing."""
    if not config.apiv3_key:
        raise WeChatError(_l("未填写 APIv3 密钥"), code="v3_no_key",
                          fix=_l("请在第 2 步填写商户平台设置的 32 位 APIv3 密钥。"))
    if not (config.key_pem and config.cert_serial):
        raise WeChatError(_l("APIv3 需要 API 证书"), code="cert_missing",
                          fix=_l("请在第 2 步上传 apiclient_cert.p12，APIv3 请求用证书私钥签名。"))
    return V3Account(mch_id=config.mch_id, apiv3_key=config.apiv3_key,
                      cert_serial=config.cert_serial, key_pem=config.key_pem,
                      appid=config.appid)


V3_KEY_ERROR = (_l("APIv3 密钥错误"),
                _l("平台证书无法用该密钥解密。请在微信支付商户平台【账户中心 - API 安全 - 设置 APIv3 "
                   "密钥】核对或重新设置 32 位 APIv3 密钥后重新填写。"))


class ReplySignatureError(Exception):
    """A reply whose WeChat Pay signature does not verify."""


class NoPlatformCertificate(Exception):
    """No usable platform certificate came back; ``reply`` is the download's response."""

    def __init__(self, reply, problem):
        super().__init__(problem)
        self.reply = reply
        self.problem = problem


class SessionCore(Core):
    """wechatpayv3's Core over a requests session (see the module docstring)."""

    def __init__(self, *, session, **kwargs):
        self._session = session
        self.certificate_reply = None   # the last /v3/certificates response
        self.certificate_problem = None  # "v3_key" or "reply_sign" when none was usable
        self.last_reply_signed = False   # the last reply carried a valid WeChat Pay signature
        try:
            super().__init__(**kwargs)
        except (requests.RequestException, ReplySignatureError):
            raise
        except Exception as exc:  # noqa: BLE001 - wechatpayv3 raises bare Exception
            if getattr(self, "_certificates", None):
                raise
            raise NoPlatformCertificate(self.certificate_reply,
                                        self.certificate_problem) from exc

    def request(self, path, method=RequestType.GET, data=None, skip_verify=False,
                sign_data=None, files=None, cipher_data=False, headers=None):
        if files:
            raise NotImplementedError("APIv3 media uploads are not used by this app")
        body = data if isinstance(data, str) else (json.dumps(data) if data else "")
        headers = dict(headers or {})
        headers.update({"Content-Type": "application/json", "Accept": "application/json",
                        "User-Agent": "merchantdesk (wechatpayv3)"})
        if self._public_key_id or cipher_data:
            headers["Wechatpay-Serial"] = (self._public_key_id or
                                           format(self._last_certificate().serial_number, "X"))
        headers["Authorization"] = build_authorization(
            path, method.value, self._mchid, self._cert_serial_no, self._private_key,
            data=sign_data if sign_data else body)
        response = self._session.request(
            method.value, self._gate_way + path, data=body.encode("utf-8") if body else None,
            headers=headers, timeout=self._timeout or TIMEOUT)
        text = response.text
        if path.startswith(CERTIFICATES_PATH):
            self.certificate_reply = response
        self.last_reply_signed = False
        if not skip_verify and (200 <= response.status_code < 300
                                or response.headers.get(SIGNATURE_HEADER)):
            # wechatpayv3 checks 2xx only; a signed error reply is checked too.
            if not self._verify_signature(response.headers, text):
                raise ReplySignatureError(path)
            self.last_reply_signed = True
        is_json = "application/json" in response.headers.get("Content-Type", "")
        return response.status_code, text if is_json else response.content

    def _verify_signature(self, headers, body):
        try:
            return super()._verify_signature(headers, body)
        except requests.RequestException:
            raise  # fetching a new platform certificate failed: a network error
        except Exception:  # noqa: BLE001 - an unknown signature type: not WeChat's reply
            return False

    def _update_certificates(self):
        super()._update_certificates()
        reply = self.certificate_reply
        if reply is None or reply.status_code != 200:
            return
        if not self._certificates:
            self.certificate_problem = "v3_key" if self._undecryptable(reply) else None
            return
        # wechatpayv3 skips the download's own signature: check it with what it delivered.
        serial = reply.headers.get("Wechatpay-Serial", "")
        signer = next((c for c in self._certificates
                       if format(c.serial_number, "X") == serial.upper()), None)
        if signer is None or not rsa_verify(reply.headers.get("Wechatpay-Timestamp", ""),
                                            reply.headers.get("Wechatpay-Nonce", ""),
                                            reply.text, reply.headers.get(SIGNATURE_HEADER, ""),
                                            signer.public_key()):
            self._certificates.clear()
            self.certificate_problem = "reply_sign"

    def _undecryptable(self, reply):
        try:
            items = json.loads(reply.text).get("data") or []
        except (ValueError, AttributeError):
            return False
        for item in items:
            encrypted = item.get("encrypt_certificate") or {}
            if aes_decrypt(nonce=encrypted.get("nonce", ""),
                           ciphertext=encrypted.get("ciphertext", ""),
                           associated_data=encrypted.get("associated_data", ""),
                           apiv3_key=self._apiv3_key) is not None:
                return False
        return bool(items)


class SessionWeChatPay(WeChatPay):
    """wechatpayv3's WeChatPay API methods on a SessionCore."""

    def __init__(self, core, appid=None, wechatpay_type=WeChatPayType.JSAPI, notify_url=None,
                 partner_mode=False):
        self._type = wechatpay_type
        self._mchid = core._mchid
        self._appid = appid
        self._notify_url = notify_url
        self._core = core
        self._partner_mode = partner_mode


def _reply_error(status, text):
    """WeChatError for a refused v3 call (status, JSON body with code/message)."""
    try:
        data = json.loads(text) if isinstance(text, (str, bytes)) else {}
    except ValueError:
        data = {}
    code = (data or {}).get("code") or str(status)
    message = (data or {}).get("message") or ""
    if status >= 500 and code == str(status):
        return pay_error("network", code="network", raw=message)
    if code == "SIGN_ERROR":
        return pay_error("cert_invalid", code=code, raw=message)
    if code in ("MCH_NOT_EXISTS", "MCHID_NOT_EXIST"):
        return pay_error("unknown_account", code=code, raw=message)
    if code in ("APPID_MCHID_NOT_MATCH",):
        return pay_error("appid_mismatch", code=code, raw=message)
    if code in ("NO_AUTH",):
        return pay_error("no_auth", code=code, raw=message)
    if code in ("SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED"):
        return pay_error("system_error", code=code, raw=message)
    return WeChatError(_l("微信支付返回错误：%(msg)s", msg=message or code), code=code,
                       raw=message)


def _check_key(account):
    try:
        load_pem_private_key((account.key_pem or "").encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise pay_error("cert_invalid", code="v3_private_key") from exc


def client(account):
    """A SessionWeChatPay for ``account``, with the platform certificates downloaded and
    checked. Raises WeChatError (APIv3 密钥错误, 证书无效, 签名校验失败, 网络错误...)."""
    _check_key(account)
    try:
        core = SessionCore(session=new_session(), mchid=account.mch_id,
                           cert_serial_no=account.cert_serial, private_key=account.key_pem,
                           apiv3_key=account.apiv3_key, timeout=TIMEOUT)
    except NoPlatformCertificate as exc:
        reply = exc.reply
        if exc.problem == "v3_key":
            message, fix = V3_KEY_ERROR
            raise WeChatError(message, code="v3_key", fix=fix) from None
        if exc.problem == "reply_sign":
            raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign") from None
        if reply is not None and reply.status_code != 200:
            raise _reply_error(reply.status_code, reply.text) from None
        raise WeChatError(_l("没有可用的微信支付平台证书"), code="v3_no_certificate",
                          fix=_l("请稍后重试；如持续失败，请在商户平台确认 APIv3 已开通。")) from None
    except ReplySignatureError:
        raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign") from None
    except requests.RequestException as exc:
        log.info("WeChat Pay v3 unreachable: %s", exc)
        raise pay_error("network", code="network") from exc
    return SessionWeChatPay(core, appid=account.appid)


def _china_time(value):
    return value.astimezone(CHINA).replace(tzinfo=None)


def platform_certificates(pay):
    """[{"serial", "expires_at"}] of a client's checked platform certificates."""
    return [{"serial": format(cert.serial_number, "X"),
             "expires_at": _china_time(cert.not_valid_after_utc)}
            for cert in pay._core._certificates]


def download_platform_certificates(account):
    """下载平台证书: decrypted with the APIv3 key and signature-checked.
    Returns [{"serial", "expires_at" (China time)}]."""
    return platform_certificates(client(account))


def _query(pay, out_trade_no):
    try:
        status, text = pay.query(out_trade_no=out_trade_no)
    except ReplySignatureError:
        raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign") from None
    except requests.RequestException as exc:
        log.info("WeChat Pay v3 unreachable: %s", exc)
        raise pay_error("network", code="network") from exc
    if status == 404 and '"ORDER_NOT_EXIST"' in (text if isinstance(text, str) else ""):
        if not pay._core.last_reply_signed:  # an unsigned "not found" proves nothing
            raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign")
        return None
    if not 200 <= status < 300:
        raise _reply_error(status, text)
    data = json.loads(text)
    amount = data.get("amount") or {}
    return {"out_trade_no": data.get("out_trade_no"),
            "transaction_id": data.get("transaction_id"),
            "trade_state": data.get("trade_state"),
            "amount": fen_to_yuan(amount.get("total") or 0)}


def query_order_v3(account, out_trade_no):
    """查询订单 (APIv3): None when WeChat Pay says the order does not exist, else
    {"out_trade_no", "transaction_id", "trade_state", "amount" (yuan)}."""
    return _query(client(account), out_trade_no)


def verify_credentials_v3(account):
    """立即验证 for APIv3, moving no money: download the platform certificates (proves the
    API certificate signs for this mch_id and the APIv3 key decrypts), then query a random,
    nonexistent order (a signed ORDER_NOT_EXIST). Returns the platform certificates."""
    pay = client(account)
    found = _query(pay, new_idempotency_key("MDV3"))
    if found is not None:  # a random number that exists: not a harmless probe any more
        log.warning("v3 probe order unexpectedly exists for %s", account.mch_id)
    return platform_certificates(pay)
