"""Official account (公众号): callback signature and safe-mode crypto, message parsing and
replies, and the API client with shared access tokens.

WeChat calls the merchant's server URL; ``read_callback`` accepts a request only when its
signature is right and, in safe mode, when it decrypts for the configured AppID.
"""
import logging
import secrets
import string
import xml.parsers.expat
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from app.wechat import api
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)

# WeChat's messages are a few KB; anything far larger is not from WeChat.
MAX_CALLBACK_BYTES = 64 * 1024


@dataclass
class OfficialAccount:
    appid: str
    app_secret: str = None
    token: str = None
    encoding_aes_key: str = None
    safe_mode: bool = True


def new_token(length=32):
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_encoding_aes_key():
    """43 letters and digits, as the official account platform generates."""
    return new_token(43)


def valid_echo(account, args):
    """GET verification: WeChat sends signature, timestamp, nonce and echostr."""
    try:
        check_signature(account.token or "", args.get("signature", ""),
                        args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return True


class CallbackRejected(Exception):
    """A callback that is not WeChat's: logged, answered without touching state."""


def read_callback(account, args, body):
    """The wechatpy message of a POSTed callback, or CallbackRejected."""
    if not body or len(body) > MAX_CALLBACK_BYTES:
        raise CallbackRejected("empty or oversize body")
    if not valid_echo(account, args):
        raise CallbackRejected("bad signature")
    if args.get("encrypt_type") == "aes" or account.safe_mode:
        if args.get("encrypt_type") != "aes":
            raise CallbackRejected("plain message in safe mode")
        crypto = WeChatCrypto(account.token, account.encoding_aes_key, account.appid)
        try:
            body = crypto.decrypt_message(body, args.get("msg_signature", ""),
                                          args.get("timestamp", ""), args.get("nonce", ""))
        except (InvalidSignatureException, InvalidAppIdException) as exc:
            raise CallbackRejected(type(exc).__name__) from exc
        except Exception as exc:  # noqa: BLE001 - malformed ciphertext, XML or padding
            raise CallbackRejected(f"undecryptable: {exc!r}") from exc
    try:
        message = parse_message(body)
    except (xml.parsers.expat.ExpatError, KeyError, TypeError, ValueError,
            AttributeError) as exc:
        raise CallbackRejected(f"malformed xml: {exc!r}") from exc
    if message is None:
        raise CallbackRejected("empty message")
    return message


def text_reply(account, message, content, args):
    """The XML answer to ``message``; encrypted in safe mode."""
    xml = TextReply(message=message, content=content).render()
    if args.get("encrypt_type") == "aes":
        crypto = WeChatCrypto(account.token, account.encoding_aes_key, account.appid)
        return crypto.encrypt_message(xml, args.get("nonce", ""), args.get("timestamp"))
    return xml


def client(account):
    """A WeChatClient for the account's API, sharing its access token across processes."""
    if not account.appid or not account.app_secret:
        raise WeChatError(_l("请先填写公众号的 AppID 和 AppSecret"), code="no_credentials")
    return api.new_client(account.appid, account.app_secret)
