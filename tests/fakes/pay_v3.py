"""WeChat Pay APIv3 on the loopback fake (api.mch.weixin.qq.com/v3/...), written from the
published algorithms with ``cryptography`` alone, independent of wechatpayv3:

* each request must carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
  signature=..,timestamp=..,serial_no=..``, an RSA-SHA256 signature over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` made with the private key of the
  merchant's API certificate ``serial_no``; a bad one gets 401 SIGN_ERROR, unsigned;
* every other reply is signed with the fake's own platform key: ``Wechatpay-Signature`` over
  ``TIMESTAMP\\nNONCE\\nBODY\\n``, with ``-Timestamp``, ``-Nonce``, ``-Serial`` (the platform
  certificate's serial) and ``-Signature-Type``;
* ``GET /v3/certificates`` delivers the platform certificate encrypted with the merchant's
  APIv3 key (AEAD_AES_256_GCM, associated data "certificate"), as the real API does.

``fake.forge_replies`` signs replies with a stranger's key, as a forger would.
"""
import base64
import json
import re
import secrets
import time
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CHINA = timezone(timedelta(hours=8))
MAX_CLOCK_SKEW = 300  # seconds, as WeChat Pay allows


class Platform:
    """The fake's platform key and its certificate (WeChat Pay's 平台证书)."""

    def __init__(self, days=365):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        start = datetime.now(timezone.utc) - timedelta(days=1)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com")])
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(start).not_valid_after(start + timedelta(days=days))
                     .sign(self.key, hashes.SHA256()))
        self.serial = format(self.cert.serial_number, "X")


def platform(fake):
    if fake.v3_platform is None:
        fake.v3_platform = Platform()
    return fake.v3_platform


def enable_v3(fake, mch_id, apiv3_key, p12, password=None):
    """Turn on APIv3 for a merchant the fake knows: its APIv3 key, and the API certificate
    (from the merchant's .p12) whose key must sign the requests."""
    merchant = fake.merchants[mch_id]
    _key, cert, _extra = pkcs12.load_key_and_certificates(
        p12, (mch_id if password is None else password).encode("utf-8"))
    merchant.apiv3_key = apiv3_key
    merchant.v3_public_keys[format(cert.serial_number, "X")] = cert.public_key()
    platform(fake)
    return merchant


def _rsa_sign(key, text):
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(),
                                     hashes.SHA256())).decode("ascii")


def _reply(fake, status, data, signed=True):
    body = json.dumps(data, ensure_ascii=False)
    headers = {"Request-ID": secrets.token_hex(16)}
    if signed:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        key = platform(fake).key
        if fake.forge_replies:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        headers.update({"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                        "Wechatpay-Serial": platform(fake).serial,
                        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
                        "Wechatpay-Signature": _rsa_sign(key, f"{timestamp}\n{nonce}\n{body}\n")})
    return status, "application/json; charset=utf-8", body.encode("utf-8"), headers


def _error(fake, status, code, message, signed=True):
    return _reply(fake, status, {"code": code, "message": message}, signed)


def _authorized_merchant(fake, record):
    """The merchant whose API certificate signed the request, or an error reply."""
    header = record["headers"].get("Authorization") or ""
    scheme, _space, rest = header.partition(" ")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    if scheme != SIGNATURE_TYPE or not all(
            fields.get(k) for k in ("mchid", "nonce_str", "signature", "timestamp", "serial_no")):
        return None, _error(fake, 401, "SIGN_ERROR", "Authorization 格式错误", signed=False)
    merchant = fake.merchants.get(fields["mchid"])
    if merchant is None or merchant.apiv3_key is None:
        return None, _error(fake, 400, "MCH_NOT_EXISTS", "商户号不存在", signed=False)
    public_key = merchant.v3_public_keys.get(fields["serial_no"].upper())
    if public_key is None:
        return None, _error(fake, 401, "SIGN_ERROR",
                            "商户证书序列号有误。请使用签名私钥匹配的证书序列号", signed=False)
    stamp = fields["timestamp"]
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_CLOCK_SKEW:
        return None, _error(fake, 401, "SIGN_ERROR", "请求时间戳已过期", signed=False)
    text = (f"{record['method']}\n{record['raw_path']}\n{fields['timestamp']}\n"
            f"{fields['nonce_str']}\n{record['body'].decode('utf-8')}\n")
    try:
        public_key.verify(base64.b64decode(fields["signature"]), text.encode("utf-8"),
                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return None, _error(fake, 401, "SIGN_ERROR", "错误的签名，验签失败", signed=False)
    return merchant, None


def _certificates(fake, merchant, record):
    cert = platform(fake).cert
    nonce = secrets.token_hex(6)  # 12 characters, used as bytes, like WeChat's
    pem = cert.public_bytes(Encoding.PEM)
    ciphertext = AESGCM(merchant.apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), pem, b"certificate")
    return _reply(fake, 200, {"data": [{
        "serial_no": platform(fake).serial,
        "effective_time": cert.not_valid_before_utc.astimezone(CHINA).isoformat(),
        "expire_time": cert.not_valid_after_utc.astimezone(CHINA).isoformat(),
        "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce,
                                "associated_data": "certificate",
                                "ciphertext": base64.b64encode(ciphertext).decode("ascii")},
    }]})


def _order(fake, merchant, record, out_trade_no):
    if (record["query"].get("mchid") or [None])[0] != merchant.mch_id:
        return _error(fake, 400, "PARAM_ERROR", "mchid与请求头中的mchid不一致")
    order = fake.orders.get((merchant.mch_id, out_trade_no))
    if order is None:
        return _error(fake, 404, "ORDER_NOT_EXIST", "订单不存在")
    return _reply(fake, 200, {
        "mchid": merchant.mch_id, "out_trade_no": out_trade_no,
        "transaction_id": order["transaction_id"], "trade_type": "JSAPI",
        "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
        "amount": {"total": order["total_fee"], "payer_total": order["total_fee"],
                   "currency": "CNY", "payer_currency": "CNY"}})


ORDER_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/?]+)$")


def route_v3(fake, record):
    merchant, refusal = _authorized_merchant(fake, record)
    if refusal is not None:
        return refusal
    if record["method"] == "GET" and record["path"] == "/v3/certificates":
        return _certificates(fake, merchant, record)
    match = ORDER_PATH.match(record["path"])
    if record["method"] == "GET" and match:
        return _order(fake, merchant, record, match.group(1))
    return _error(fake, 404, "NOT_FOUND", "接口不存在")
