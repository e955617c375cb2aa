"""素材库: the merchant's images and videos, in groups; uploads from the library page and
from every picker (JSON), files served by id to their own merchant only.

The public URL shop pages use is ``/api/v1/media/<token>`` (app/api/decoration.py).
"""
from flask import current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select, update
from wtforms.validators import DataRequired, Length

from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.media import MediaFile, MediaGroup
from app.services import media as service
from app.services.errors import BusinessError
from app.views import add


def _storage():
    return service.storage_for(current_app.config)


def _limits():
    return {"image_max_mb": current_app.config["IMAGE_MAX_MB"],
            "video_max_mb": current_app.config.get("VIDEO_MAX_MB", 20)}


def media_json(media):
    return {"id": media.id, "name": media.name, "kind": media.kind, "url": media.public_path,
            "thumb": url_for("MediaView.file", pk=media.id, thumb=1),
            "preview": url_for("MediaView.file", pk=media.id),
            "width": media.width, "height": media.height, "size": media.size}


class MediaGroupView(TenantModelView):
    datamodel = AdminInterface(MediaGroup)
    list_columns = ["name", "sort", "created_at"]
    search_columns = ["name"]
    add_columns = edit_columns = ["name", "sort"]
    show_columns = ["name", "sort", "created_at"]
    base_order = ("sort", "asc")
    validators_columns = {"name": [DataRequired(_l("请填写分组名称")),
                                   Length(max=30, message=_l("分组名称不能超过 30 个字符"))]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]

    def pre_delete(self, item):
        # The files stay in the library, ungrouped (SQLite does not enforce SET NULL).
        db.session.execute(update(MediaFile).where(MediaFile.group_id == item.id)
                           .values(group_id=None))


class MediaView(TenantModelView):
    datamodel = AdminInterface(MediaFile)
    list_template = "media/list.html"
    list_columns = ["preview", "name", "kind", "group", "size", "created_at"]
    search_columns = ["name", "kind", "group", "created_at"]
    edit_columns = ["name", "group"]
    show_columns = ["preview", "name", "kind", "group", "size", "width", "height", "created_at"]
    label_columns = {"preview": _l("预览")}
    validators_columns = {"name": [DataRequired(_l("请填写素材名称")),
                                   Length(max=100, message=_l("素材名称不能超过 100 个字符"))]}
    base_permissions = ["can_list", "can_show", "can_edit", "can_delete", "can_upload"]
    formatters_columns = {
        "preview": lambda pk: Markup(
            '<img class="md-thumb" src="{0}" alt="" height="48" loading="lazy">').format(
            url_for("MediaView.file", pk=pk, thumb=1)),
        "size": lambda n: f"{(n or 0) / 1024:.0f} KB",
    }

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("media_groups", service.groups(db.session))
        return super().render_template(template, **kwargs)

    def pre_delete(self, item):
        service.check_deletable(db.session, item)
        _storage()  # a broken storage setting refuses the delete before the row goes

    def post_delete(self, item):
        service.remove_files(_storage(), item)

    def _upload(self):
        """Store every posted file; returns (stored rows, Chinese errors per file)."""
        group = None
        group_id = request.form.get("group_id", "")
        if group_id.isdigit():
            group = db.session.get(MediaGroup, int(group_id))
            if group is None:
                return [], [_("分组不存在")]
        stored, errors = [], []
        only_kind = request.args.get("kind")  # a picker in image or video mode
        only_kind = only_kind if only_kind in ("image", "video") else None
        for storage in request.files.getlist("file")[:20]:
            limit = max(_limits().values()) * 1024 * 1024 + 1
            data = storage.read(limit)
            try:
                stored.append(service.upload_media(
                    db.session, merchant_id=self._merchant_id(), storage=_storage(),
                    filename=storage.filename, data=data, group=group, only_kind=only_kind,
                    **_limits()))
            except BusinessError as exc:
                errors.append(f"{storage.filename}：{exc}")
        if not stored and not errors:
            errors.append(_("请选择要上传的文件"))
        if stored:
            with audit_action(_("上传素材")):
                db.session.commit()
        return stored, errors

    def _merchant_id(self):
        from app.admin.pages import merchant_id_or_403

        return merchant_id_or_403()

    @expose("/upload", methods=["POST"])
    @has_access
    @permission_name("upload")
    def upload(self):
        """Upload from the library page (form) or from a picker (``?format=json``; with
        ``&kind=image|video`` only that kind is accepted)."""
        stored, errors = self._upload()
        if request.args.get("format") == "json":
            status = 200 if stored else 422
            return jsonify(files=[media_json(m) for m in stored], errors=errors), status
        for message in errors:
            flash(message, "danger")
        if stored:
            flash(_("已上传 %(n)d 个文件", n=len(stored)), "success")
        return redirect(url_for("MediaView.list"))

    @expose("/picker")
    @has_access
    @permission_name("list")
    def picker(self):
        """The picker's page of files (JSON): ?kind=image|video&group=&q=&page=."""
        self._merchant_id()
        query = select(MediaFile).order_by(MediaFile.id.desc())
        kind = request.args.get("kind")
        if kind in ("image", "video"):
            query = query.where(MediaFile.kind == kind)
        group = request.args.get("group", "")
        if group.isdigit():
            query = query.where(MediaFile.group_id == int(group))
        term = (request.args.get("q") or "").strip()[:50]
        if term:
            query = query.where(MediaFile.name.startswith(term, autoescape=True))
        try:
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            page = 1
        rows = db.session.execute(query.offset((page - 1) * 24).limit(25)).scalars().all()
        groups = [{"id": g.id, "name": g.name} for g in service.groups(db.session)]
        return jsonify(files=[media_json(m) for m in rows[:24]], more=len(rows) > 24,
                       groups=groups)

    @expose("/file/<pk>")
    @has_access
    @permission_name("list")
    def file(self, pk):
        """The file (or ?thumb=1 its thumbnail), to its own merchant only."""
        from flask import abort

        media = self.get_visible(pk)
        thumb = bool(request.args.get("thumb")) and media.thumb_key
        try:
            handle = _storage().open(media.thumb_key if thumb else media.storage_key)
        except BusinessError as exc:
            return str(exc), exc.status
        if handle is None:
            abort(404)
        return send_file(handle, mimetype="image/png" if thumb else media.content_type,
                         max_age=3600, conditional=False)


def register(appbuilder):
    add(appbuilder, MediaView, "media_library", _l("素材库"), "my_shop", "fa-picture-o")
    add(appbuilder, MediaGroupView, "media_groups", _l("素材分组"), "my_shop", "fa-folder-o")
