"""素材库 rules: what may be uploaded, where it is stored, and where it is used.

Images (JPG, PNG, GIF, WEBP) are checked by content with Pillow, not by extension, and are
at most ``IMAGE_MAX_MB``; videos are MP4 (an ``ftyp`` box at the start) of at most
``VIDEO_MAX_MB``. Every file is stored under the merchant's own prefix ``m<id>/`` by a
storage backend; local disk is the only backend today (``MEDIA_STORAGE=local``).

A file that a page, a product, a shop or another module references is not deleted: the
usage finders below name every place, and modules add their own with ``register_usage``.
No Flask here: the caller passes the limits and the storage.
"""
import io
import os
import re
import secrets
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


class MediaError(BusinessError):
    """An upload or a library change was refused; ``params`` fill the message."""

    def __init__(self, message, code="invalid", status=None, **params):
        super().__init__(message, code, status)
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


# -- storage -------------------------------------------------------------------------------
class LocalStorage:
    """Files under one root folder; keys are relative paths such as ``m3/2026/ab12.png``."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    def _path(self, key):
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise MediaError(N_("文件路径无效"), code="bad_key")
        return path

    def put(self, key, data):
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


def storage_for(config):
    """The configured backend. Only ``local`` exists; anything else is refused at use rather
    than silently writing to local disk in a deployment that expects object storage."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind != "local":
        raise MediaError(N_("素材存储方式 %(kind)s 尚未支持，请设置 MEDIA_STORAGE=local"),
                         code="storage", kind=kind)
    return LocalStorage(config.get("MEDIA_FOLDER") or os.path.join(config["UPLOAD_FOLDER"],
                                                                   "media"))


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


def check_upload(filename, data, *, image_max_mb, video_max_mb):
    ext = os.path.splitext((filename or "").lower())[1]
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
                 image_max_mb=2, video_max_mb=20):
    """Check and store one upload under the merchant's prefix; adds the row (no commit)."""
    checked = check_upload(filename, data, image_max_mb=image_max_mb, video_max_mb=video_max_mb)
    if group is not None and group.merchant_id != merchant_id:
        raise MediaError(N_("分组不存在"), code="group", status=404)
    stem = secrets.token_hex(16)
    folder = f"m{int(merchant_id)}/{china_now():%Y%m}"
    key = f"{folder}/{stem}.{checked.ext}"
    storage.put(key, data)
    thumb_key = None
    if checked.thumb is not None:
        thumb_key = f"{folder}/{stem}_thumb.png"
        storage.put(thumb_key, checked.thumb)
    base = os.path.basename(filename or "") or f"{stem}.{checked.ext}"
    media = MediaFile(merchant_id=merchant_id, group=group, name=clean_name(base[:NAME_MAX]),
                      kind=checked.kind, storage_key=key, thumb_key=thumb_key,
                      token=secrets.token_urlsafe(24), content_type=checked.content_type,
                      size=len(data), width=checked.width, height=checked.height)
    session.add(media)
    return media


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
