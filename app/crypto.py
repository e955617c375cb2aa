"""Secrets at rest (AppSecret, API keys, EncodingAESKey, cloud keys): Fernet-encrypted in
the database, masked on screen (app/admin/labels.py: mask_secret), never exported.

The key is FIELD_ENCRYPTION_KEY (a Fernet key) or, when unset, derived from SECRET_KEY.
Rotating SECRET_KEY without setting FIELD_ENCRYPTION_KEY makes stored secrets unreadable:
production should set FIELD_ENCRYPTION_KEY explicitly.
"""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_fernet = None


def configure(secret_key, field_key=""):
    global _fernet
    key = field_key.encode() if field_key else base64.urlsafe_b64encode(
        hashlib.sha256(("merchantdesk-fields:" + secret_key).encode()).digest())
    _fernet = Fernet(key)


def encrypt(text):
    if _fernet is None:
        raise RuntimeError("app.crypto is not configured (create_app does it)")
    return _fernet.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token):
    if _fernet is None:
        raise RuntimeError("app.crypto is not configured (create_app does it)")
    try:
        return _fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("stored secret cannot be decrypted with the current key") from exc


def encrypt_bytes(data):
    """Binary payloads at rest (a retained AI 刷脸 photo): a Fernet token, as bytes."""
    if _fernet is None:
        raise RuntimeError("app.crypto is not configured (create_app does it)")
    return _fernet.encrypt(bytes(data))


def decrypt_bytes(token):
    if _fernet is None:
        raise RuntimeError("app.crypto is not configured (create_app does it)")
    try:
        return _fernet.decrypt(bytes(token))
    except InvalidToken as exc:
        raise ValueError("stored data cannot be decrypted with the current key") from exc


class EncryptedText(TypeDecorator):
    """A text column stored encrypted. Declare it with ``info={"secret": True}`` so lists,
    diffs and exports mask it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None or value == "" else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
