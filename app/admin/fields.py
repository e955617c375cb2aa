"""Relation fields for large related tables: options come page by page from the view's
``/related/<column>`` endpoint through select2 AJAX instead of the whole table on every
form render (notes/fab.md). Submitted ids are checked against the same tenant-filtered
query, and an unknown id is an error, never silently dropped."""
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import inspect as sa_inspect
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import html_params


class AjaxSelectWidget:
    def __call__(self, field, **kwargs):
        selected = field.selected_objects()
        params = {
            "id": field.id, "name": field.name, "class": "form-control md-ajax-select",
            "data-related-url": field.related_url or "",
            "data-placeholder": _("输入关键字搜索"),
        }
        if field.multiple:
            params["multiple"] = True
        options = "".join(
            f'<option value="{escape(pk)}" selected>{escape(text)}</option>'
            for pk, text in selected)
        if not field.multiple and not selected:
            options = '<option value=""></option>'
        return Markup(f"<select {html_params(**params)}>{options}</select>")


class AjaxRelatedField(Field):
    """A many-to-one (``multiple=False``) or many-to-many relation picked by AJAX.

    ``query_func`` returns the query of allowed rows (already tenant-filtered); the base
    view fills ``related_url`` when it builds the form.
    """

    widget = AjaxSelectWidget()

    def __init__(self, label=None, validators=None, query_func=None, get_label=str,
                 multiple=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.query_func = query_func
        self.get_label = get_label
        self.multiple = multiple
        self.related_url = None
        self._ids = []
        self._invalid = False

    def _model(self):
        return self.query_func().column_descriptions[0]["entity"]

    def _load(self, ids):
        if not ids:
            return []
        model = self._model()
        pk = sa_inspect(model).primary_key[0]
        return self.query_func().filter(pk.in_(ids)).all()

    def selected_objects(self):
        objects = self.data if self.multiple else ([self.data] if self.data else [])
        return [(sa_inspect(o).identity[0], self.get_label(o)) for o in objects or []]

    def process_formdata(self, valuelist):
        ids = []
        for value in valuelist:
            for part in str(value).split(","):
                part = part.strip()
                if not part:
                    continue
                if not part.isdigit():
                    self._invalid = True
                    continue
                ids.append(int(part))
        self._ids = ids
        found = self._load(ids)
        if len(found) != len(set(ids)):
            self._invalid = True
        self.data = found if self.multiple else (found[0] if found else None)

    def pre_validate(self, form):
        if self._invalid:
            raise StopValidation(_("所选内容无效或已被删除，请重新选择"))


def bind_related_urls(form, view):
    """Point every AJAX relation field of ``form`` at ``view``'s related endpoint."""
    from flask import url_for

    for field in form:
        if isinstance(field, AjaxRelatedField):
            field.related_url = url_for(f"{view.endpoint}.related", column=field.name)

