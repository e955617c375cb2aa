"""WeChat Pay API certificates: merchants upload ``apiclient_cert.p12`` (password = mch_id by
default); wechatpy wants PEM files, so convert once, store both PEMs encrypted, and write
them to private temporary files only for the duration of a call."""
import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                          PrivateFormat, pkcs12)
from flask_babel import lazy_gettext as _l

from app.models.base import CHINA
from app.wechat.errors import WeChatError

MAX_P12_BYTES = 64 * 1024  # a real apiclient_cert.p12 is about 3 KB


@dataclass
class Certificate:
    cert_pem: str
    key_pem: str
    serial: str
    expires_at: datetime  # naive, China time
    subject: str


def load_p12(data, password):
    """Convert an uploaded .p12; raises WeChatError with a Chinese message on any problem."""
    if not data:
        raise WeChatError(_l("请上传 API 证书文件（apiclient_cert.p12）"), code="cert_missing")
    if len(data) > MAX_P12_BYTES:
        raise WeChatError(_l("证书文件过大，请上传微信支付商户平台下载的 apiclient_cert.p12"),
                          code="cert_too_big")
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(
            data, (password or "").encode("utf-8"))
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "mac" in text or "decrypt" in text:
            raise WeChatError(_l("证书密码错误（默认为商户号）"), code="cert_password") from exc
        raise WeChatError(_l("不是有效的 p12 证书文件，请上传 apiclient_cert.p12"),
                          code="cert_format") from exc
    if key is None or cert is None:
        raise WeChatError(_l("证书文件中缺少证书或私钥，请上传 apiclient_cert.p12"),
                          code="cert_format")
    expires = cert.not_valid_after_utc.astimezone(CHINA).replace(tzinfo=None)
    return Certificate(
        cert_pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
        key_pem=key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                  NoEncryption()).decode("ascii"),
        serial=format(cert.serial_number, "X"),
        expires_at=expires,
        subject=cert.subject.rfc4514_string(),
    )


def load_upload(upload, password=None, mch_id=None):
    """An uploaded ``apiclient_cert.p12`` (a werkzeug FileStorage) converted, as both the
    merchant's payment wizard and the platform's service-provider form take it: a .p12 name,
    the password defaulting to the mch_id. Raises WeChatError with a Chinese message."""
    if upload is None or not getattr(upload, "filename", ""):
        return load_p12(b"", password)
    if not upload.filename.lower().endswith(".p12"):
        raise WeChatError(_l("请上传 .p12 格式的证书文件（apiclient_cert.p12）"), code="cert_format")
    return load_p12(upload.read(MAX_P12_BYTES + 1), password or mch_id)


def days_left(expires_at, now=None):
    if expires_at is None:
        return None
    now = now or datetime.now(timezone.utc).astimezone(CHINA).replace(tzinfo=None)
    return (expires_at - now).days


@contextlib.contextmanager
def pem_files(cert_pem, key_pem):
    """(cert path, key path) in a private directory, removed afterwards."""
    if not cert_pem or not key_pem:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="md-cert-")
    try:
        paths = []
        for name, text in (("cert.pem", cert_pem), ("key.pem", key_pem)):
            path = os.path.join(directory, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            paths.append(path)
        yield tuple(paths)
    finally:
        for name in ("cert.pem", "key.pem"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, name))
        os.rmdir(directory)
