"""A form field that takes a file from the merchant's 素材库 (media library).

The field holds the library URL (``/api/v1/media/<token>``); its widget shows a thumbnail,
"从素材库选择" (choose, or upload into the library, in a dialog: app/static/js/media_picker.js)
and "清除". ``media_validator`` checks on the server that the URL is one of the current
merchant's library files of the right kind, so a forged value is refused at the field; a
value the row already had (an image uploaded before the library existed) is kept as it is.

Usage in a view::

    add_form_extra_fields = {"cover": MediaField(_l("封面图"), kind="image")}
    def form_ready(self, form, item=None):
        form.cover.validators = [media_validator("image", item and item.cover)]

The places that use a library file are registered with ``media.register_usage`` by the
module that owns them, so a file in use is not deleted.
"""
import json

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import StopValidation

from app.services import media as media_service
from app.services.errors import BusinessError


def picker_config():
    """What media_picker.js needs: the picker and upload URLs, the CSRF token, the texts."""
    return {
        "list": url_for("MediaView.picker"),
        "upload": url_for("MediaView.upload", format="json"),
        "csrf": generate_csrf(),
        "texts": {
            "titleImage": _("从素材库选择图片"), "titleVideo": _("从素材库选择视频"),
            "search": _("按名称搜索"), "upload": _("上传到素材库"), "more": _("加载更多"),
            "uploading": _("正在上传…"), "empty": _("没有找到素材，可以先上传"),
            "failed": _("请求失败，请稍后重试"), "denied": _("没有素材库的权限，请联系管理员"),
            "wrongKind": _("上传成功，但文件类型与这里需要的不同"),
            "allGroups": _("全部分组"), "group": _("分组"),
        },
    }


def picker_config_json():
    return Markup(json.dumps(picker_config(), ensure_ascii=False).replace("</", "<\\/"))


def media_preview(value, legacy_url=None):
    """The thumbnail URL of a stored value: a library file, or an older uploaded file."""
    if not value:
        return ""
    if media_service.token_of(value):
        return value + "/thumb"
    return legacy_url(value) if legacy_url else ""


class MediaPickerWidget:
    """Image mode shows a thumbnail; video mode (MP4 only) shows a small player of the
    library file. Both open the same dialog (media_picker.js) in their mode."""

    def __init__(self, kind, legacy_url=None):
        self.kind, self.legacy_url = kind, legacy_url

    def __call__(self, field, **kwargs):
        value = field._value() or ""
        video = self.kind == "video"
        preview = media_preview(value, self.legacy_url) if not video else (
            value if media_service.token_of(value) else "")
        choose = _("从素材库选择视频") if video else _("从素材库选择图片")
        hidden = Markup("") if preview else Markup(' style="display:none"')
        if video:
            shown = Markup('<video class="md-media-pick-preview md-media-pick-video" '
                           'preload="metadata" controls src="{0}"{1}></video>').format(
                preview, hidden)
        else:
            shown = Markup('<img class="md-media-pick-preview" alt="" src="{0}"{1}>').format(
                preview, hidden)
        legacy = value if value and not preview else ""
        return Markup(
            '<div class="md-media-pick" data-kind="{kind}" data-config="{config}">'
            '<input type="hidden" name="{name}" id="{id}" value="{value}">'
            '{shown}'
            '<span class="md-media-pick-name text-muted">{legacy}</span> '
            '<button type="button" class="btn btn-default btn-sm md-media-pick-open">'
            '<i class="fa {icon}"></i> {choose}</button> '
            '<button type="button" class="btn btn-link btn-sm md-media-pick-clear">{clear}</button>'
            '</div><script src="{script}"></script>').format(
            kind=self.kind, config=json.dumps(picker_config(), ensure_ascii=False),
            name=field.name, id=field.id, value=value, shown=shown, legacy=legacy,
            icon="fa-film" if video else "fa-picture-o",
            choose=choose, clear=_("清除"),
            script=url_for("static", filename="js/media_picker.js"))


class MediaField(StringField):
    """A library file (its ``/api/v1/media/<token>`` URL); empty means none."""

    def __init__(self, label=None, validators=None, kind="image", legacy_url=None, **kwargs):
        super().__init__(label, validators, widget=MediaPickerWidget(kind, legacy_url), **kwargs)
        self.kind = kind

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip() or None


def media_validator(kind, current=None, required_message=None):
    """The value must be this merchant's library file of ``kind``; ``current`` (the row's
    stored value) is accepted unchanged; empty is refused only with ``required_message``."""

    def check(form, field):
        from app.extensions import db
        from app.tenancy import current_merchant_id

        value = field.data
        if not value:
            if required_message:
                raise StopValidation(str(required_message))
            return
        if current and value == current:
            return
        try:
            media_service.check_media_url(db.session, current_merchant_id(), value, kind=kind)
        except BusinessError as exc:
            raise StopValidation(str(exc)) from exc

    return check


VIDEO_HELP = _l("从素材库选择 MP4 视频，或在弹出的窗口中上传到素材库；"
                "视频被使用时不能从素材库删除")
MEDIA_HELP = _l("从素材库选择，或在弹出的窗口中上传到素材库（JPG、PNG、GIF、WEBP）；"
                "素材被使用时不能从素材库删除")
