"""Image uploads for columns declared with ``info={"image": True}`` (a shop logo...).

The base view gives such a column a file field, checks type, size and content (Pillow
must recognise the bytes as an image: the extension alone proves nothing), stores the file
under UPLOAD_FOLDER with a random name and shows a thumbnail served by the view's checked
``/download/<filename>`` route.
"""
import io
import os
import uuid

from flask import current_app, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from PIL import Image, UnidentifiedImageError
from wtforms import FileField
from wtforms.validators import Optional

from app.services.errors import BusinessError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp"}


def image_field(label, description=None):
    mb = current_app.config["IMAGE_MAX_MB"] if current_app else 2
    return FileField(label, validators=[Optional()], description=description or _l(
        "支持 JPG、PNG、GIF、WEBP 图片，不超过 %(mb)s MB；不选择文件则保留原图", mb=mb))


def save_image(storage):
    """Validate and store an uploaded image; returns its stored file name."""
    max_bytes = current_app.config["IMAGE_MAX_MB"] * 1024 * 1024
    name = (storage.filename or "").lower()
    if os.path.splitext(name)[1] not in IMAGE_EXTENSIONS:
        raise BusinessError(_("只支持 JPG、PNG、GIF、WEBP 格式的图片"), code="image_type")
    data = storage.read(max_bytes + 1)
    if not data:
        raise BusinessError(_("上传的图片是空文件"), code="image_empty")
    if len(data) > max_bytes:
        raise BusinessError(_("图片不能超过 %(mb)d MB", mb=current_app.config["IMAGE_MAX_MB"]),
                            code="image_size")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BusinessError(_("文件内容不是有效的图片"), code="image_content") from exc
    if kind not in IMAGE_FORMATS:
        raise BusinessError(_("只支持 JPG、PNG、GIF、WEBP 格式的图片"), code="image_type")
    stored = f"{uuid.uuid4().hex}.{IMAGE_FORMATS[kind]}"
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stored), "wb") as fh:
        fh.write(data)
    return stored


def store_uploads(form, columns):
    """Replace uploaded files in ``form`` by their stored names; a column left empty keeps
    its current value (the field is dropped before populate_obj)."""
    for name in columns:
        field = form._fields.get(name)
        if field is None:
            continue
        storage = field.data
        if storage is not None and getattr(storage, "filename", ""):
            field.data = save_image(storage)
        else:
            del form[name]


def thumbnail(endpoint):
    def render(filename):
        if not filename:
            return ""
        src = url_for(f"{endpoint}.download", filename=filename)
        return Markup('<img class="md-thumb" src="{0}" alt="" height="40">').format(src)

    return render
