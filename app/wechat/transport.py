"""HTTP sessions for every WeChat client.

Each wechatpy client keeps a ``requests.Session`` in ``._http``; the factories replace it
with ``new_session()``, which mounts the transport adapters registered on the app under
``app.extensions["wechat.adapters"]`` as ``(url prefix, adapter)`` pairs. A deployment can
mount an egress adapter (a proxy, metrics); the test suite mounts its loopback fake there.
"""
import requests
from flask import current_app, has_app_context

TIMEOUT = 10  # seconds; WeChat answers in well under a second when it is up


def register_adapter(app, prefix, adapter):
    app.extensions.setdefault("wechat.adapters", []).append((prefix, adapter))


def new_session():
    session = requests.Session()
    if has_app_context():
        for prefix, adapter in current_app.extensions.get("wechat.adapters", []):
            session.mount(prefix, adapter)
    return session
