"""The official-account / mini-program JSON API: one client factory, one error mapping.

``new_client`` gives a wechatpy ``WeChatClient`` (its ``.wxa``, ``.card``, ``.menu``...
sub-APIs included) whose access token lives in shared storage; ``call`` runs an operation
and turns WeChat's refusals and network failures into ``WeChatError``. Calls wechatpy has
no method for are ``client.post(absolute_url, data=...)`` inside ``call`` (notes/wechat.md).
"""
import logging

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from app.wechat.errors import NETWORK_ERROR, WeChatError, api_error
from app.wechat.storage import storage_for
from app.wechat.transport import TIMEOUT, new_session

log = logging.getLogger(__name__)


def new_client(appid, secret, access_token=None):
    """A client for ``appid``; its token is shared by every process (Redis or database)."""
    redis_url = current_app.config.get("REDIS_URL")
    client = WeChatClient(appid, secret, access_token=access_token, timeout=TIMEOUT,
                          session=storage_for(f"app:{appid}", redis_url))
    client._http = new_session()
    return client


def call(operation):
    """Run ``operation()``; WeChat's refusals and network failures become WeChatError with
    a Chinese message (and the raw errcode)."""
    try:
        return operation()
    except WeChatClientException as exc:
        log.info("WeChat API refused: %s %s", exc.errcode, exc.errmsg)
        if exc.errcode is None:  # an HTTP error status: WeChat (or the way to it) is down
            raise WeChatError(NETWORK_ERROR, code="network") from exc
        raise api_error(exc.errcode, exc.errmsg) from exc
    except requests.RequestException as exc:
        log.info("WeChat API unreachable: %s", exc)
        raise WeChatError(NETWORK_ERROR, code="network") from exc
