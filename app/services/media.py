"""素材库 rules: what may be uploaded, where it is stored, and where it is used.

Images (JPG, PNG, GIF, WEBP) are checked by content with Pillow, not by extension, and are
at most ``IMAGE_MAX_MB``; videos are MP4 (an ``ftyp`` box at the start) of at most
``VIDEO_MAX_MB``. Every file is stored under the merchant's own prefix ``m<id>/`` by a
storage backend: local disk (``MEDIA_STORAGE=local``, the default) or an S3-compatible
bucket (``MEDIA_STORAGE=s3``).

A file that a page, a product, a shop or another module references is not deleted: the
usage finders below name every place, and modules add their own with ``register_usage``.
No Flask here: the caller passes the limits and the storage.
"""
import hashlib
import io
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from app.models.base import china_now
from app.models.media import MediaFile, MediaGroup
from app.services.errors import N_, BusinessError
from app.tenancy import tenant_scope

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
                 "GIF": ("gif", "image/gif"), "WEBP": ("webp", "image/webp")}
VIDEO_EXTENSIONS = {".mp4"}
THUMB_SIZE = (240, 240)
NAME_MAX = 100
# The public path shop pages use for a library file (app/api/decoration.py); the token is
# 32 url-safe characters.
MEDIA_PATH_RE = re.compile(r"^/api/v1/media/([A-Za-z0-9_-]{20,48})$")

log = logging.getLogger(__name__)


class MediaError(BusinessError):
    """An upload or a library change was refused; ``params`` fill the message."""

    def __init__(self, message, code="invalid", status=None, **params):
        super().__init__(message, code, status)
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


# -- storage -------------------------------------------------------------------------------
# One small interface, two backends, so callers never branch on the kind of storage:
#   put(key, data, content_type)  store the bytes under ``key`` (``m<merchant>/...``);
#   open(key)                     a readable binary file object, or None when it is gone;
#   delete(key)                   remove it (a missing file is not an error).
# The back office and the public token URL both serve files through open(): the app checks
# who may see a file, the backend only holds the bytes (an S3 bucket stays private).
_KEY_RE = re.compile(r"^m\d+/[A-Za-z0-9_./-]{1,200}$")


def _check_key(key):
    """A key is ``m<merchant id>/...`` with no ``..`` step: nothing outside the prefixes."""
    if not key or not _KEY_RE.match(key) or ".." in key.split("/") or "//" in key:
        raise MediaError(N_("文件路径无效"), code="bad_key")
    return key


class LocalStorage:
    """Files under one root folder; keys are relative paths such as ``m3/2026/ab12.png``."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    def _path(self, key):
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise MediaError(N_("文件路径无效"), code="bad_key")
        return path

    def put(self, key, data, content_type=None):
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)

    def open(self, key):
        """A binary file object, or None when the file is gone."""
        path = self._path(key)
        return open(path, "rb") if os.path.isfile(path) else None

    def delete(self, key):
        path = self._path(key)
        if os.path.isfile(path):
            os.remove(path)


class S3Storage:
    """An S3-compatible bucket (Tencent COS, MinIO, AWS S3...). Objects are private (no
    ACL is set, so the bucket's default applies: keep the bucket private); the keys carry
    the merchant prefix ``m<id>/`` like local files. Network failures become a Chinese
    ``MediaError`` (status 503); the secret never appears in a message."""

    UNAVAILABLE = N_("素材存储暂时不可用，请稍后重试")

    def __init__(self, *, bucket, client):
        self.bucket, self.client = bucket, client

    def _call(self, method, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                return None
            raise MediaError(self.UNAVAILABLE, code="storage_unavailable", status=503) from exc
        except BotoCoreError as exc:
            raise MediaError(self.UNAVAILABLE, code="storage_unavailable", status=503) from exc

    def put(self, key, data, content_type=None):
        self._call("put_object", Key=_check_key(key), Body=data,
                   ContentType=content_type or "application/octet-stream")

    def open(self, key):
        found = self._call("get_object", Key=_check_key(key))
        return None if found is None else found["Body"]

    def delete(self, key):
        self._call("delete_object", Key=_check_key(key))


S3_SETTINGS = ("MEDIA_S3_ENDPOINT", "MEDIA_S3_BUCKET", "MEDIA_S3_REGION",
               "MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY")
_S3_CLIENTS = {}
_S3_LOCK = threading.Lock()


def _s3_client(endpoint, region, key_id, secret, addressing):
    """One client per settings (boto3 clients are thread-safe; creating one is slow)."""
    cache_key = (endpoint, region, key_id, hashlib.sha256(secret.encode()).hexdigest(),
                 addressing)
    with _S3_LOCK:
        client = _S3_CLIENTS.get(cache_key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint or None, region_name=region,
                aws_access_key_id=key_id, aws_secret_access_key=secret,
                config=Config(connect_timeout=5, read_timeout=30,
                              retries={"max_attempts": 2, "mode": "standard"},
                              signature_version="s3v4",
                              s3={"addressing_style": addressing}))
            _S3_CLIENTS[cache_key] = client
    return client


def storage_for(config):
    """The configured backend: ``MEDIA_STORAGE=local`` (default, MEDIA_FOLDER) or ``s3``
    (MEDIA_S3_* settings). Anything else, or an incomplete s3 setting, is refused at use
    rather than silently writing to local disk in a deployment that expects object
    storage."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config.get("MEDIA_FOLDER") or os.path.join(
            config["UPLOAD_FOLDER"], "media"))
    if kind == "s3":
        missing = [name for name in ("MEDIA_S3_BUCKET", "MEDIA_S3_ACCESS_KEY_ID",
                                     "MEDIA_S3_SECRET_ACCESS_KEY") if not config.get(name)]
        if missing:
            raise MediaError(N_("对象存储未配置完整，缺少 %(names)s"), code="storage",
                             status=503, names="、".join(missing))
        addressing = (config.get("MEDIA_S3_ADDRESSING") or "auto").lower()
        if addressing not in ("auto", "path", "virtual"):
            addressing = "auto"
        client = _s3_client(config.get("MEDIA_S3_ENDPOINT") or "",
                            config.get("MEDIA_S3_REGION") or "us-east-1",
                            config["MEDIA_S3_ACCESS_KEY_ID"],
                            config["MEDIA_S3_SECRET_ACCESS_KEY"], addressing)
        return S3Storage(bucket=config["MEDIA_S3_BUCKET"], client=client)
    raise MediaError(N_("不支持的素材存储方式 %(kind)s，请设置 MEDIA_STORAGE=local 或 s3"),
                     code="storage", status=503, kind=kind)


# -- uploads -------------------------------------------------------------------------------
@dataclass
class Checked:
    kind: str
    ext: str
    content_type: str
    width: int = None
    height: int = None
    thumb: bytes = None


def check_image(data, max_mb):
    """Pillow must recognise the bytes as one of the four formats; the size is checked
    first so a huge file is never decoded."""
    if not data:
        raise MediaError(N_("上传的文件是空文件"), code="empty")
    if len(data) > max_mb * 1024 * 1024:
        raise MediaError(N_("图片不能超过 %(mb)s MB"), code="image_size", mb=max_mb)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            thumb = ImageOps.exif_transpose(image) if kind == "JPEG" else image.copy()
            thumb = thumb.convert("RGBA" if thumb.mode in ("RGBA", "LA", "P") else "RGB")
            thumb.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            thumb.save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MediaError(N_("文件内容不是有效的图片"), code="image_content") from exc
    if kind not in IMAGE_FORMATS:
        raise MediaError(N_("只支持 JPG、PNG、GIF、WEBP 格式的图片"), code="image_type")
    ext, content_type = IMAGE_FORMATS[kind]
    return Checked("image", ext, content_type, width, height, out.getvalue())


def check_video(data, max_mb):
    """An MP4 starts with an ``ftyp`` box (bytes 4-8); the extension alone proves nothing."""
    if not data:
        raise MediaError(N_("上传的文件是空文件"), code="empty")
    if len(data) > max_mb * 1024 * 1024:
        raise MediaError(N_("视频不能超过 %(mb)s MB"), code="video_size", mb=max_mb)
    if len(data) < 12 or data[4:8] != b"ftyp":
        raise MediaError(N_("文件内容不是有效的 MP4 视频"), code="video_content")
    return Checked("video", "mp4", "video/mp4")


ONLY_KIND_MESSAGES = {"image": N_("这里只能上传 JPG、PNG、GIF、WEBP 格式的图片"),
                      "video": N_("这里只能上传 MP4 视频")}


def check_upload(filename, data, *, image_max_mb, video_max_mb, only_kind=None):
    """What the upload is; ``only_kind`` ("image" / "video", from a picker in that mode)
    refuses the other kind by extension before any content is read."""
    ext = os.path.splitext((filename or "").lower())[1]
    if only_kind in ONLY_KIND_MESSAGES:
        is_video = ext in VIDEO_EXTENSIONS
        if (only_kind == "video") != is_video:
            raise MediaError(ONLY_KIND_MESSAGES[only_kind], code="kind_only")
    if ext in VIDEO_EXTENSIONS:
        return check_video(data, video_max_mb)
    if ext in {".jpg", ".jpeg", ".png", ".gif", ".webp"}:
        return check_image(data, image_max_mb)
    raise MediaError(N_("只支持 JPG、PNG、GIF、WEBP 图片和 MP4 视频"), code="type")


def clean_name(name):
    name = (name or "").strip()
    if not name:
        raise MediaError(N_("请填写素材名称"), code="name")
    if len(name) > NAME_MAX:
        raise MediaError(N_("素材名称不能超过 %(n)d 个字符"), code="name", n=NAME_MAX)
    return name


def upload_media(session, *, merchant_id, storage, filename, data, group=None,
                 image_max_mb=2, video_max_mb=20, only_kind=None):
    """Check and store one upload under the merchant's prefix; adds the row (no commit).
    ``only_kind`` limits it to images or videos (a picker in that mode)."""
    checked = check_upload(filename, data, image_max_mb=image_max_mb, video_max_mb=video_max_mb,
                           only_kind=only_kind)
    if group is not None and group.merchant_id != merchant_id:
        raise MediaError(N_("分组不存在"), code="group", status=404)
    stem = secrets.token_hex(16)
    folder = f"m{int(merchant_id)}/{china_now():%Y%m}"
    key = f"{folder}/{stem}.{checked.ext}"
    storage.put(key, data, checked.content_type)
    thumb_key = None
    if checked.thumb is not None:
        thumb_key = f"{folder}/{stem}_thumb.png"
        try:
            storage.put(thumb_key, checked.thumb, "image/png")
        except MediaError:
            _forget(storage, key)
            raise
    base = os.path.basename(filename or "") or f"{stem}.{checked.ext}"
    media = MediaFile(merchant_id=merchant_id, group=group, name=clean_name(base[:NAME_MAX]),
                      kind=checked.kind, storage_key=key, thumb_key=thumb_key,
                      token=secrets.token_urlsafe(24), content_type=checked.content_type,
                      size=len(data), width=checked.width, height=checked.height)
    session.add(media)
    return media


def _forget(storage, *keys):
    """Best-effort removal of stored files whose row will not exist (or no longer does)."""
    for key in keys:
        if key:
            try:
                storage.delete(key)
            except MediaError:
                log.warning("media: could not remove %s from storage", key)


def remove_files(storage, media):
    """After the row is deleted: its file and thumbnail go too (failures are logged: the
    row is already gone, so an orphan object is the worst outcome)."""
    _forget(storage, media.storage_key, media.thumb_key)


# -- references ------------------------------------------------------------------------------
def token_of(url):
    match = MEDIA_PATH_RE.match((url or "").strip())
    return match.group(1) if match else None


def check_media_url(session, merchant_id, url, kind=None):
    """The merchant's own library file behind ``url`` (``/media/<token>``); refuses any other
    URL, another merchant's file, or a file of the wrong kind (image / video)."""
    token = token_of(url)
    if token is None:
        raise MediaError(N_("只能使用素材库中的文件"), code="media_outside")
    with tenant_scope(merchant_id):
        media = session.execute(select(MediaFile).where(MediaFile.token == token)).scalar()
    if media is None:
        raise MediaError(N_("素材不存在或不属于本商家"), code="media_unknown")
    if kind and media.kind != kind:
        raise MediaError(N_("所选素材类型不对，这里需要%(kind)s"), code="media_kind",
                         kind=N_("图片") if kind == "image" else N_("视频"))
    return media


# Usage finders: fn(session, media) -> [place, ...], each place a short Chinese text such as
# "装修页面《首页》（草稿）". They run inside the media's tenant scope.
_USAGE_FINDERS = []


def register_usage(finder):
    """Add a finder (another module's tables that reference library files)."""
    if finder not in _USAGE_FINDERS:
        _USAGE_FINDERS.append(finder)
    return finder


def where_used(session, media):
    places = []
    with tenant_scope(media.merchant_id):
        for finder in _USAGE_FINDERS:
            places.extend(finder(session, media))
    return places


def check_deletable(session, media):
    """A library file still in use is not deleted; the refusal names every place."""
    places = where_used(session, media)
    if places:
        shown = "、".join(places[:10]) + ("……" if len(places) > 10 else "")
        raise MediaError(N_("素材“%(name)s”正在使用中，不能删除：%(places)s"), code="in_use",
                         name=media.name, places=shown)


def groups(session):
    return session.execute(select(MediaGroup).order_by(MediaGroup.sort, MediaGroup.id)).scalars().all()


@register_usage
def _used_by_catalog(session, media):
    """Product descriptions and image addresses, category icons, shop logos."""
    from app.models.catalog import Product
    from app.models.shop import Shop

    path = media.public_path
    places = []
    rows = session.execute(select(Product.id, Product.name).where(
        Product.description.contains(path) | Product.image_urls.contains(path)).limit(20)).all()
    places += [N_("商品《%s》") % name for _id, name in rows]
    rows = session.execute(select(Shop.name).where(Shop.logo == path).limit(20)).all()
    places += [N_("商城《%s》的 Logo") % name for (name,) in rows]
    return places
