"""Where wechatpy keeps access tokens and tickets: Redis when REDIS_URL is set, the
database otherwise, so every process and worker shares one token per AppID (WeChat
invalidates the previous token each time one is fetched)."""
import json
import time

from sqlalchemy import delete, select
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from app.extensions import db
from app.models.wechat import WeChatToken


class DatabaseStorage(SessionStorage):
    """wechatpy SessionStorage on the ``wechat_token`` table. Writes use their own
    connection and commit at once, independent of the request's transaction."""

    def __init__(self, prefix):
        self.prefix = prefix

    def _key(self, key):
        return f"{self.prefix}:{key}"[:191]

    def get(self, key, default=None):
        with db.engine.connect() as conn:
            row = conn.execute(select(WeChatToken.value, WeChatToken.expires_at)
                               .where(WeChatToken.key == self._key(key))).first()
        if row is None or (row.expires_at is not None and row.expires_at <= time.time()):
            return default
        return json.loads(row.value)

    def set(self, key, value, ttl=None):
        if value is None:
            return
        expires = int(time.time() + ttl) if ttl else None
        with db.engine.begin() as conn:
            conn.execute(delete(WeChatToken).where(WeChatToken.key == self._key(key)))
            # The column type encrypts the value on the way in.
            conn.execute(WeChatToken.__table__.insert().values(
                key=self._key(key), value=json.dumps(value), expires_at=expires))

    def delete(self, key):
        with db.engine.begin() as conn:
            conn.execute(delete(WeChatToken).where(WeChatToken.key == self._key(key)))


def storage_for(prefix, redis_url=None):
    """Token storage under its own prefix (notes: component keys are global otherwise)."""
    if redis_url:
        import redis

        return RedisStorage(redis.Redis.from_url(redis_url), prefix=f"md:wechat:{prefix}")
    return DatabaseStorage(f"md:{prefix}")
