"""A loopback fake of WeChat's servers that speaks the real protocols.

* WeChat Pay v2 (api.mch.weixin.qq.com): XML in and out, requests checked and replies signed
  with MD5 or HMAC-SHA256 by this module's own code (not wechatpy's, so a signing bug in one
  cannot cancel itself out); TLS client certificates are emulated: the transport adapter
  forwards the certificate file's PEM in a header, the way a TLS-terminating proxy does.
* WeChat Pay APIv3 (api.mch.weixin.qq.com/v3/...): JSON, RSA request and reply signatures,
  platform certificates encrypted with the APIv3 key (tests/fakes/pay_v3.py).
* Official account / mini program / component (api.weixin.qq.com): JSON with errcode.

The app reaches it through ``FakeWeChatAdapter``, a requests transport adapter mounted on
every WeChat client session by ``app.wechat.transport`` (the app itself has no test switch).
Every request is recorded in ``fake.requests`` so tests can assert what was sent.
"""
import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID
from requests.adapters import HTTPAdapter

WECHAT_HOSTS = ("api.mch.weixin.qq.com", "api.weixin.qq.com")


# -- WeChat Pay v2 signing, written from the published algorithm ---------------------------
def pay_sign(params, key, sign_type="MD5"):
    pairs = "&".join(f"{k}={params[k]}" for k in sorted(params)
                     if k != "sign" and params[k] not in (None, ""))
    text = f"{pairs}&key={key}".encode("utf-8")
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode("utf-8"), text, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(text).hexdigest().upper()


def to_xml(params):
    body = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in params.items() if v is not None)
    return f"<xml>{body}</xml>"


def from_xml(body):
    root = ElementTree.fromstring(body)
    return {child.tag: (child.text or "") for child in root}


# -- certificates --------------------------------------------------------------------------
def make_p12(mch_id, password=None, days=365, not_before=None):
    """An apiclient_cert.p12 like WeChat Pay issues: returns (p12 bytes, serial hex)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = not_before or datetime.now(timezone.utc) - timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{mch_id}"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .sign(key, hashes.SHA256()))
    password = mch_id if password is None else password
    data = pkcs12.serialize_key_and_certificates(
        b"Tenpay Certificate", key, cert, None,
        BestAvailableEncryption(password.encode("utf-8")))
    return data, format(cert.serial_number, "X")


@dataclass
class FakeMerchant:
    mch_id: str
    api_key: str
    appids: set
    balance_fen: int = 1_000_000
    cert_serials: set = field(default_factory=set)
    apiv3_key: str = None
    v3_public_keys: dict = field(default_factory=dict)  # API certificate serial -> public key


class FakeWeChat:
    def __init__(self):
        self.merchants = {}
        self.orders = {}        # (mch_id, out_trade_no) -> order dict
        self.refunds = {}       # (mch_id, out_refund_no) -> refund dict
        self.redpacks = {}      # (mch_id, mch_billno) -> redpack dict
        self.requests = []
        self.apps = {}          # appid -> {"secret": ..., state kept by the API routes}
        self.tokens = {}        # access_token -> appid
        self.down = False       # True: every request gets HTTP 502, as when WeChat is down
        self.forge_replies = False  # True: replies are signed with a wrong key
        self.v3_platform = None     # the fake's own RSA platform key and certificate (v3)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.merchants.clear()
            self.orders.clear()
            self.refunds.clear()
            self.redpacks.clear()
            self.requests.clear()
            self.apps.clear()
            self.tokens.clear()
            self.down = False
            self.forge_replies = False

    def adapter(self):
        return FakeWeChatAdapter(self.port)

    # -- set-up helpers ---------------------------------------------------------------------
    def add_merchant(self, mch_id, api_key, appids, balance_fen=1_000_000, cert_serials=()):
        merchant = FakeMerchant(mch_id, api_key, set(appids), balance_fen, set(cert_serials))
        self.merchants[mch_id] = merchant
        return merchant

    def add_order(self, mch_id, out_trade_no, total_fee, transaction_id=None):
        self.orders[(mch_id, out_trade_no)] = {
            "total_fee": total_fee, "refunded": 0,
            "transaction_id": transaction_id or f"4200{secrets.randbelow(10 ** 24):024d}"}

    def payment_notification(self, mch_id, appid, out_trade_no, total_fee, sign_type="MD5",
                             key=None, transaction_id=None, **extra):
        """The XML body WeChat Pay posts to the notify URL after a payment."""
        merchant = self.merchants[mch_id]
        params = {"appid": appid, "mch_id": mch_id, "nonce_str": secrets.token_hex(16),
                  "result_code": "SUCCESS", "return_code": "SUCCESS", "openid": "oFAKEopenid",
                  "trade_type": "JSAPI", "bank_type": "CMC", "total_fee": str(total_fee),
                  "cash_fee": str(total_fee), "out_trade_no": out_trade_no,
                  "transaction_id": transaction_id or f"4200{secrets.randbelow(10 ** 24):024d}",
                  "time_end": datetime.now().strftime("%Y%m%d%H%M%S"), **extra}
        if sign_type == "HMAC-SHA256":
            params["sign_type"] = "HMAC-SHA256"
        params["sign"] = pay_sign(params, key or merchant.api_key, sign_type)
        return to_xml(params)

    def received(self, path):
        return [r for r in self.requests if r["path"] == path]

    # -- the HTTP side ----------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def _dispatch(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                host = self.headers.get("X-Fake-Host", "")
                record = {"method": method, "host": host, "path": parts.path,
                          "query": parse_qs(parts.query), "body": body,
                          "cert": self.headers.get("X-Client-Cert"),
                          "raw_path": self.path, "headers": dict(self.headers.items())}
                with fake.lock:
                    fake.requests.append(record)
                    extra = {}
                    if fake.down:
                        status, ctype, payload = 502, "text/plain", b"Bad Gateway"
                    else:
                        status, ctype, payload, *more = fake.route(record)
                        extra = more[0] if more else {}
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for name, value in extra.items():  # v3 reply signature headers
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def route(self, record):
        if record["host"] == "api.mch.weixin.qq.com" and record["path"].startswith("/v3/"):
            from tests.fakes.pay_v3 import route_v3

            return route_v3(self, record)
        if record["host"] == "api.mch.weixin.qq.com":
            handler = PAY_ROUTES.get(record["path"].lstrip("/"))
            if handler is None:
                return 404, "text/plain", b"not found"
            reply = self._pay(record, handler)
            return 200, "text/xml", to_xml(reply).encode("utf-8")
        handler = API_ROUTES.get(record["path"].lstrip("/"))
        if handler is None:
            return 404, "application/json", json.dumps({"errcode": 404}).encode()
        try:
            payload = json.loads(record["body"] or b"{}")
        except ValueError:
            payload = None
        if handler.needs_token:
            appid = self.tokens.get(_first(record["query"], "access_token"))
            if appid is None:
                return self._json({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            record["appid"] = appid
        if payload is None:
            return self._json({"errcode": 47001, "errmsg": "data format error"})
        result = handler(self, record, payload)
        if isinstance(result, tuple):  # (content type, bytes): a file such as a wxa code
            return 200, result[0], result[1]
        return self._json(result)

    def _json(self, data):
        return 200, "application/json", json.dumps(data, ensure_ascii=False).encode("utf-8")

    # -- official account / mini program accounts -----------------------------------------
    def add_app(self, appid, secret, **state):
        """An official account or mini program the fake knows: its secret and any state
        the API routes keep for it (menus, POIs, ...)."""
        self.apps[appid] = {"secret": secret, **state}
        return self.apps[appid]

    def issue_token(self, appid):
        token = f"TOKEN-{appid}-{secrets.token_hex(8)}"
        self.tokens[token] = appid
        return token

    # -- Pay v2 -----------------------------------------------------------------------------
    def _pay(self, record, handler):
        try:
            data = from_xml(record["body"])
        except ElementTree.ParseError:
            return {"return_code": "FAIL", "return_msg": "XML格式错误"}
        merchant = self.merchants.get(data.get("mch_id"))
        if merchant is None:
            return {"return_code": "FAIL", "return_msg": "mch_id参数格式错误或商户号不存在"}
        sign_type = data.get("sign_type") or "MD5"
        if data.get("sign") != pay_sign(data, merchant.api_key, sign_type):
            return {"return_code": "FAIL", "return_msg": "签名错误"}
        appid = data.get("appid") or data.get("wxappid")
        if appid not in merchant.appids:
            return self._signed(merchant, sign_type, "APPID_MCHID_NOT_MATCH",
                                "appid和mch_id不匹配")
        if handler.needs_cert and not self._cert_ok(merchant, record["cert"]):
            return self._signed(merchant, sign_type, "CA_ERROR",
                                "CA证书出错，请登录微信支付商户平台下载证书")
        return handler(self, merchant, data, sign_type)

    def _cert_ok(self, merchant, header):
        if not header:
            return False
        try:
            cert = x509.load_pem_x509_certificate(base64.b64decode(header))
        except ValueError:
            return False
        now = datetime.now(timezone.utc)
        return (format(cert.serial_number, "X") in merchant.cert_serials
                and cert.not_valid_before_utc <= now <= cert.not_valid_after_utc)

    def _signed(self, merchant, sign_type, err_code=None, err_code_des=None, **fields):
        reply = {"return_code": "SUCCESS", "return_msg": "OK", "mch_id": merchant.mch_id,
                 "nonce_str": secrets.token_hex(16),
                 "result_code": "FAIL" if err_code else "SUCCESS", **fields}
        if err_code:
            reply.update(err_code=err_code, err_code_des=err_code_des)
        key = "0" * 32 if self.forge_replies else merchant.api_key
        reply["sign"] = pay_sign(reply, key, sign_type)
        return reply


def _pay_route(path, needs_cert=False):
    def decorator(fn):
        fn.needs_cert = needs_cert
        PAY_ROUTES[path] = fn
        return fn
    return decorator


PAY_ROUTES = {}


@_pay_route("pay/orderquery")
def _order_query(fake, merchant, data, sign_type):
    order = fake.orders.get((merchant.mch_id, data.get("out_trade_no")))
    if order is None:
        return fake._signed(merchant, sign_type, "ORDERNOTEXIST", "订单不存在")
    return fake._signed(merchant, sign_type, trade_state="SUCCESS",
                        out_trade_no=data["out_trade_no"],
                        transaction_id=order["transaction_id"],
                        total_fee=str(order["total_fee"]))


@_pay_route("secapi/pay/refund", needs_cert=True)
def _refund(fake, merchant, data, sign_type):
    key = (merchant.mch_id, data["out_refund_no"])
    if key in fake.refunds:  # WeChat refunds one out_refund_no once
        refund = fake.refunds[key]
        return fake._signed(merchant, sign_type, out_refund_no=data["out_refund_no"],
                            refund_id=refund["refund_id"], refund_fee=str(refund["fee"]))
    order = fake.orders.get((merchant.mch_id, data.get("out_trade_no"))) or next(
        (o for (m, _n), o in fake.orders.items()
         if m == merchant.mch_id and o["transaction_id"] == data.get("transaction_id")), None)
    if order is None:
        return fake._signed(merchant, sign_type, "ORDERNOTEXIST", "订单不存在")
    fee = int(data["refund_fee"])
    if fee > order["total_fee"] - order["refunded"]:
        return fake._signed(merchant, sign_type, "INVALID_REQUEST", "退款金额超过订单可退金额")
    if fee > merchant.balance_fen:
        return fake._signed(merchant, sign_type, "NOTENOUGH", "基本账户余额不足，请充值后重新发起")
    merchant.balance_fen -= fee
    order["refunded"] += fee
    refund = {"refund_id": f"5030{secrets.randbelow(10 ** 24):024d}", "fee": fee,
              "status": "SUCCESS"}
    fake.refunds[key] = refund
    return fake._signed(merchant, sign_type, out_refund_no=data["out_refund_no"],
                        refund_id=refund["refund_id"], refund_fee=str(fee))


@_pay_route("pay/refundquery")
def _refund_query(fake, merchant, data, sign_type):
    refund = fake.refunds.get((merchant.mch_id, data.get("out_refund_no")))
    if refund is None:
        return fake._signed(merchant, sign_type, "REFUNDNOTEXIST", "退款订单查询失败")
    return fake._signed(merchant, sign_type, refund_count="1",
                        out_refund_no_0=data["out_refund_no"], refund_id_0=refund["refund_id"],
                        refund_fee_0=str(refund["fee"]), refund_status_0=refund["status"])


@_pay_route("mmpaymkttransfers/sendredpack", needs_cert=True)
def _send_redpack(fake, merchant, data, sign_type):
    key = (merchant.mch_id, data["mch_billno"])
    amount = int(data["total_amount"])
    if key in fake.redpacks:
        return fake._signed(merchant, sign_type, mch_billno=data["mch_billno"],
                            send_listid=fake.redpacks[key]["send_listid"],
                            total_amount=str(fake.redpacks[key]["amount"]),
                            re_openid=data["re_openid"], wxappid=data["wxappid"])
    if amount < 100 or amount > 20000:
        return fake._signed(merchant, sign_type, "MONEY_LIMIT", "每个红包的平均金额必须在1.00元到200.00元之间")
    if amount > merchant.balance_fen:
        return fake._signed(merchant, sign_type, "NOTENOUGH", "帐号余额不足，请到商户平台充值后再重试")
    merchant.balance_fen -= amount
    redpack = {"send_listid": f"1000041701{secrets.randbelow(10 ** 18):018d}",
               "amount": amount, "status": "SENT", "openid": data["re_openid"]}
    fake.redpacks[key] = redpack
    return fake._signed(merchant, sign_type, mch_billno=data["mch_billno"],
                        send_listid=redpack["send_listid"], total_amount=str(amount),
                        re_openid=data["re_openid"], wxappid=data["wxappid"])


@_pay_route("mmpaymkttransfers/gethbinfo", needs_cert=True)
def _query_redpack(fake, merchant, data, sign_type):
    redpack = fake.redpacks.get((merchant.mch_id, data.get("mch_billno")))
    if redpack is None:
        return fake._signed(merchant, sign_type, "NOT_FOUND", "指定单号数据不存在")
    return fake._signed(merchant, sign_type, mch_billno=data["mch_billno"],
                        status=redpack["status"], total_amount=str(redpack["amount"]),
                        detail_id=redpack["send_listid"])


@_pay_route("pay/unifiedorder")
def _unified_order(fake, merchant, data, sign_type):
    """统一下单: NATIVE returns a code_url (weixin://wxpay/bizpayurl?pr=...); the order is
    kept so a test can post its payment notification (``payment_notification``)."""
    for name in ("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url",
                 "trade_type"):
        if not data.get(name):
            return fake._signed(merchant, sign_type, "PARAM_ERROR", f"缺少参数{name}")
    if data["trade_type"] == "NATIVE" and not data.get("product_id"):
        return fake._signed(merchant, sign_type, "PARAM_ERROR", "NATIVE支付缺少参数product_id")
    key = (merchant.mch_id, data["out_trade_no"])
    if key in fake.orders and fake.orders[key].get("paid"):
        return fake._signed(merchant, sign_type, "ORDERPAID", "该订单已支付")
    prepay_id = f"wx{secrets.token_hex(14)}"
    fake.orders[key] = {"total_fee": int(data["total_fee"]), "refunded": 0,
                        "transaction_id": f"4200{secrets.randbelow(10 ** 24):024d}",
                        "notify_url": data["notify_url"], "trade_type": data["trade_type"],
                        "prepay_id": prepay_id}
    reply = {"appid": data.get("appid"), "trade_type": data["trade_type"],
             "prepay_id": prepay_id}
    if data["trade_type"] == "NATIVE":
        reply["code_url"] = f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)}"
    return fake._signed(merchant, sign_type, **reply)


# -- official account / mini program JSON API (api.weixin.qq.com) ---------------------------
API_ROUTES = {}


def api_route(path, needs_token=True):
    """Register a JSON endpoint: ``fn(fake, record, payload) -> dict`` (or (ctype, bytes)).
    With ``needs_token`` the access_token query argument must be one the fake issued; the
    record then carries the token's ``appid``. Modules in tests/fakes/ add their routes."""
    def decorator(fn):
        fn.needs_token = needs_token
        API_ROUTES[path] = fn
        return fn
    return decorator


def _first(query, name):
    values = query.get(name) or [None]
    return values[0]


@api_route("cgi-bin/token", needs_token=False)
def _access_token(fake, record, payload):
    appid = _first(record["query"], "appid")
    app = fake.apps.get(appid)
    if app is None:
        return {"errcode": 40013, "errmsg": "invalid appid"}
    if _first(record["query"], "secret") != app["secret"]:
        return {"errcode": 40125, "errmsg": "invalid appsecret"}
    return {"access_token": fake.issue_token(appid), "expires_in": 7200}


# -- official-account callbacks to the app, written from WeChat's published algorithm -------
def callback_signature(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def encrypt_callback(xml, token, encoding_aes_key, appid, timestamp, nonce):
    """Safe-mode (安全模式) body and msg_signature for ``xml``, as WeChat sends them."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(encoding_aes_key + "=")
    body = xml.encode("utf-8")
    plain = (secrets.token_bytes(16) + len(body).to_bytes(4, "big") + body
             + appid.encode("utf-8"))
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypted = base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
    signature = callback_signature(token, timestamp, nonce, encrypted)
    envelope = (f"<xml><ToUserName><![CDATA[gh_fake]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
    return envelope, signature


def decrypt_reply(envelope, encoding_aes_key):
    """The plain XML of a safe-mode reply from the app."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encrypted = from_xml(envelope)["Encrypt"]
    key = base64.b64decode(encoding_aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[:-plain[-1]]
    length = int.from_bytes(plain[16:20], "big")
    return plain[20:20 + length].decode("utf-8")


def event_xml(openid, event=None, content=None, event_key=None, to="gh_fake"):
    """A message or event as WeChat posts it to the server URL."""
    parts = [f"<ToUserName><![CDATA[{to}]]></ToUserName>",
             f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{int(datetime.now().timestamp())}</CreateTime>"]
    if event:
        parts.append("<MsgType><![CDATA[event]]></MsgType>")
        parts.append(f"<Event><![CDATA[{event}]]></Event>")
        if event_key is not None:
            parts.append(f"<EventKey><![CDATA[{event_key}]]></EventKey>")
    else:
        parts.append("<MsgType><![CDATA[text]]></MsgType>")
        parts.append(f"<Content><![CDATA[{content}]]></Content>")
        parts.append(f"<MsgId>{secrets.randbelow(10 ** 18)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


class FakeWeChatAdapter(HTTPAdapter):
    """Sends https://*.weixin.qq.com/... to the fake on 127.0.0.1, keeping the host in a
    header and the client certificate (when requests was given one) in another."""

    def __init__(self, port):
        super().__init__()
        self.port = port

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        if parts.hostname not in WECHAT_HOSTS:
            raise AssertionError(f"unexpected host for the WeChat fake: {parts.hostname}")
        request.headers["X-Fake-Host"] = parts.hostname
        if cert:
            with open(cert[0] if isinstance(cert, tuple) else cert, "rb") as handle:
                request.headers["X-Client-Cert"] = base64.b64encode(handle.read()).decode()
        query = f"?{parts.query}" if parts.query else ""
        request.url = f"http://127.0.0.1:{self.port}{parts.path}{query}"
        return super().send(request, stream=stream, timeout=timeout, verify=verify,
                            cert=None, proxies=proxies)


import tests.fakes.official_account  # noqa: E402,F401  (公众号设置 routes)
import tests.fakes.mini_program  # noqa: E402,F401  (小程序设置管理 and component routes)
