"""WeChat Pay v2 through wechatpy: credential checks, refunds, red packets, notifications.

Callers pass a ``PayAccount`` (plain values) and amounts in yuan as Decimal; fen exist only
inside this module. Every failure is one ``WeChatError`` with a Chinese message, the fix,
and the raw WeChat code. wechatpy never checks the signature of a reply, and checks
notifications with MD5 only (notes/wechat.md), so both are checked here.
"""
import contextlib
import logging
import secrets
import xml.parsers.expat
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import requests
import xmltodict
from flask_babel import lazy_gettext as _l
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, calculate_signature_hmac

from app.wechat.certs import days_left, pem_files
from app.wechat.errors import PAY_ERRCODES, WeChatError, pay_error
from app.wechat.transport import TIMEOUT, new_session

log = logging.getLogger(__name__)

# A notification body larger than this is not WeChat's (theirs are about 1 KB).
MAX_NOTIFICATION_BYTES = 64 * 1024
CENT = Decimal("0.01")


@dataclass
class PayAccount:
    """What one payment call needs. In 服务商代开 mode, appid/mch_id/api_key/cert are the
    service provider's and ``sub_mch_id`` (and ``sub_appid``) the merchant's."""

    appid: str
    mch_id: str
    api_key: str
    sub_mch_id: str = None
    sub_appid: str = None
    cert_pem: str = None
    key_pem: str = None
    cert_expires_at: datetime = None


def yuan_to_fen(amount):
    amount = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise WeChatError(_l("金额必须大于 0"), code="amount")
    return int(amount * 100)


def fen_to_yuan(fen):
    return (Decimal(int(fen)) / 100).quantize(CENT)


def new_idempotency_key(prefix=""):
    """A 28-character out_* number: date, then randomness (WeChat allows 32)."""
    return f"{prefix}{datetime.now():%Y%m%d%H%M%S}{secrets.randbelow(10 ** 14):014d}"[:32]


def signature_ok(data, api_key):
    """Check ``data['sign']`` with MD5 or HMAC-SHA256 (by ``sign_type``, else by length)."""
    data = dict(data)
    sign = data.pop("sign", None)
    if not sign or not api_key:
        return False
    sign_type = data.get("sign_type") or ("HMAC-SHA256" if len(sign) == 64 else "MD5")
    if sign_type == "HMAC-SHA256":
        expected = calculate_signature_hmac(data, api_key)
    elif sign_type == "MD5":
        expected = calculate_signature(data, api_key)
    else:
        return False
    return secrets.compare_digest(expected, sign.upper())


@contextlib.contextmanager
def pay_client(account, need_cert=False):
    if need_cert:
        if not (account.cert_pem and account.key_pem):
            raise WeChatError(_l("未上传 API 证书，退款、红包等操作需要证书"), code="cert_missing",
                              fix=_l("请在支付设置中上传 apiclient_cert.p12。"))
        left = days_left(account.cert_expires_at)
        if left is not None and left < 0:
            raise pay_error("cert_expired")
    with pem_files(account.cert_pem, account.key_pem) as paths:
        client = WeChatPay(account.appid, account.api_key, account.mch_id,
                           sub_mch_id=account.sub_mch_id or None,
                           mch_cert=paths[0] if paths else None,
                           mch_key=paths[1] if paths else None,
                           timeout=TIMEOUT, sub_appid=account.sub_appid or None)
        client._http = new_session()
        yield client


def _reply_data(exc):
    """The parsed XML of a failed call, or None."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    try:
        return xmltodict.parse(response.content).get("xml")
    except (xml.parsers.expat.ExpatError, AttributeError, ValueError):
        return None


def classify(exc):
    """The outcome kind of a WeChatPayException (notes/wechat.md's table)."""
    if exc.return_code is None:
        return "network"
    errcode = (exc.errcode or "").upper()
    if errcode in PAY_ERRCODES:
        return PAY_ERRCODES[errcode]
    message = exc.return_msg or ""
    if "签名" in message or "sign" in message.lower():
        return "sign_error"
    if "mch_id" in message or "商户号" in message:
        return "unknown_account"
    if "appid" in message.lower():
        return "unknown_account"
    if "证书" in message or "cert" in message.lower():
        return "cert_invalid"
    return None


def _call(account, operation, need_cert=False, ok_codes=()):
    """Run ``operation(client)``; return (data, None) on success, or (data, errcode) when
    WeChat answered with one of ``ok_codes`` (a business "not found" that proves the
    credentials). Raises WeChatError otherwise. Reply signatures are checked here."""
    try:
        with pay_client(account, need_cert=need_cert) as client:
            try:
                data = operation(client)
            except WeChatPayException as exc:
                data = _reply_data(exc)
                if exc.return_code == "SUCCESS" and (exc.errcode or "") in ok_codes:
                    if not data or not signature_ok(data, account.api_key):
                        raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign")
                    return data, exc.errcode
                kind = classify(exc)
                log.info("WeChat Pay refused: %s %s %s", exc.return_code, exc.errcode,
                         exc.return_msg)
                if kind is None:
                    raise WeChatError(
                        _l("微信支付返回错误：%(msg)s", msg=exc.errmsg or exc.return_msg or ""),
                        code=exc.errcode or exc.return_code, raw=exc.return_msg) from exc
                raise pay_error(kind, code=exc.errcode or exc.return_code,
                                raw=exc.errmsg or exc.return_msg) from exc
    except requests.RequestException as exc:
        log.info("WeChat Pay unreachable: %s", exc)
        if isinstance(exc, requests.exceptions.SSLError) and need_cert:
            raise pay_error("cert_invalid", code="ssl") from exc
        raise pay_error("network", code="network") from exc
    if not isinstance(data, dict) or not signature_ok(data, account.api_key):
        raise WeChatError(_l("微信支付返回的签名校验失败"), code="reply_sign")
    return data, None


def verify_credentials(account):
    """立即验证: prove the key (and the certificate, when there is one) without moving money.

    Returns None when all is well; raises WeChatError naming what is wrong."""
    probe = new_idempotency_key("MDV")
    _call(account, lambda c: c.order.query(out_trade_no=probe), ok_codes=("ORDERNOTEXIST",))
    if account.cert_pem:
        _call(account, lambda c: c.redpack.query(new_idempotency_key("MDV")), need_cert=True,
              ok_codes=("NOT_FOUND",))


def refund(account, *, out_refund_no, total, amount, transaction_id=None, out_trade_no=None,
           reason=None, notify_url=None):
    """申请退款 of ``amount`` yuan out of ``total``; ``out_refund_no`` is the idempotency key
    (WeChat refunds a repeated number once). Returns {"refund_id", "out_refund_no", "amount"}."""
    data, _code = _call(account, lambda c: c.refund.apply(
        yuan_to_fen(total), yuan_to_fen(amount), out_refund_no, transaction_id=transaction_id,
        out_trade_no=out_trade_no, refund_desc=reason, notify_url=notify_url), need_cert=True)
    return {"refund_id": data.get("refund_id"), "out_refund_no": data.get("out_refund_no"),
            "amount": fen_to_yuan(data.get("refund_fee") or 0)}


REFUND_STATUS = {"SUCCESS": "success", "PROCESSING": "processing", "REFUNDCLOSE": "closed",
                 "CHANGE": "failed"}


def query_refund(account, out_refund_no):
    """Returns {"status": success|processing|closed|failed, "amount", "refund_id"}."""
    data, _code = _call(account, lambda c: c.refund.query(out_refund_no=out_refund_no))
    return {"status": REFUND_STATUS.get(data.get("refund_status_0"), "processing"),
            "amount": fen_to_yuan(data.get("refund_fee_0") or data.get("refund_fee") or 0),
            "refund_id": data.get("refund_id_0")}


def send_redpack(account, *, openid, amount, mch_billno, send_name, act_name, wishing, remark,
                 client_ip):
    """发放现金红包 of ``amount`` yuan; ``mch_billno`` is the idempotency key. Returns
    {"send_listid", "mch_billno", "amount"}."""
    data, _code = _call(account, lambda c: c.redpack.send(
        openid, yuan_to_fen(amount), send_name[:32], act_name[:32], wishing[:128], remark[:256],
        client_ip=client_ip, out_trade_no=mch_billno), need_cert=True)
    return {"send_listid": data.get("send_listid"), "mch_billno": data.get("mch_billno"),
            "amount": fen_to_yuan(data.get("total_amount") or 0)}


REDPACK_STATUS = {"SENDING": "sending", "SENT": "sent", "FAILED": "failed",
                  "RECEIVED": "received", "RFUND_ING": "refunding", "REFUND": "refunded"}


def query_redpack(account, mch_billno):
    """Returns {"status": sending|sent|failed|received|refunding|refunded, "amount"}."""
    data, _code = _call(account, lambda c: c.redpack.query(mch_billno), need_cert=True)
    return {"status": REDPACK_STATUS.get(data.get("status"), "sending"),
            "amount": fen_to_yuan(data.get("total_amount") or 0)}


def read_notification(body):
    """The fields of a 支付结果通知 body, unverified; raises WeChatError when it is not
    WeChat Pay XML. Use ``verify_notification`` before trusting any of it."""
    if not body or len(body) > MAX_NOTIFICATION_BYTES:
        raise WeChatError(_l("通知内容为空或过大"), code="notify_size")
    try:
        parsed = xmltodict.parse(body, disable_entities=True)
    except (xml.parsers.expat.ExpatError, ValueError) as exc:
        raise WeChatError(_l("通知内容不是有效的 XML"), code="notify_xml") from exc
    data = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(data, dict) or any(not isinstance(v, (str, type(None)))
                                          for v in data.values()):
        raise WeChatError(_l("通知内容格式错误"), code="notify_xml")
    return data


def verify_notification(data, account):
    """Check a notification's signature (MD5 or HMAC-SHA256) and that it belongs to this
    account; returns {"out_trade_no", "transaction_id", "amount", "openid", "time_end"}."""
    if not signature_ok(data, account.api_key):
        raise WeChatError(_l("通知签名错误"), code="notify_sign")
    if data.get("mch_id") != account.mch_id or (
            account.sub_mch_id and data.get("sub_mch_id") != account.sub_mch_id):
        raise WeChatError(_l("通知的商户号与配置不一致"), code="notify_mch")
    if data.get("return_code") != "SUCCESS" or data.get("result_code") != "SUCCESS":
        raise WeChatError(_l("支付未成功"), code="notify_not_paid")
    if not data.get("out_trade_no") or not data.get("transaction_id"):
        raise WeChatError(_l("通知缺少订单号"), code="notify_fields")
    try:
        amount = fen_to_yuan(data.get("total_fee"))
    except (TypeError, ValueError) as exc:
        raise WeChatError(_l("通知金额格式错误"), code="notify_fields") from exc
    return {"out_trade_no": data["out_trade_no"], "transaction_id": data["transaction_id"],
            "amount": amount, "openid": data.get("openid") or data.get("sub_openid"),
            "time_end": data.get("time_end")}


def signed_reply(account, **fields):
    """A signed XML answer to WeChat Pay (Native callback)."""
    from wechatpy.pay.utils import dict_to_xml

    data = {"return_code": "SUCCESS", "appid": account.appid, "mch_id": account.mch_id,
            "nonce_str": secrets.token_hex(16), **fields}
    return dict_to_xml(data, calculate_signature(data, account.api_key))


def notification_reply(ok, message="OK"):
    code = "SUCCESS" if ok else "FAIL"
    return (f"<xml><return_code><![CDATA[{code}]]></return_code>"
            f"<return_msg><![CDATA[{message}]]></return_msg></xml>")


def native_order(account, *, out_trade_no, amount, body, notify_url, client_ip, product_id):
    """统一下单, trade_type NATIVE (扫码支付模式二): returns {"code_url", "prepay_id"}; the
    page shows ``code_url`` as a QR code and the payment arrives at ``notify_url``."""
    data, _code = _call(account, lambda c: c.order.create(
        "NATIVE", body[:128], yuan_to_fen(amount), notify_url, client_ip=client_ip,
        out_trade_no=out_trade_no, product_id=product_id))
    if not data.get("code_url"):
        raise WeChatError(_l("微信支付未返回支付二维码"), code="no_code_url")
    return {"code_url": data["code_url"], "prepay_id": data.get("prepay_id")}
