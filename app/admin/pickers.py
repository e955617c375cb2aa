"""Searchable pickers (选择器) instead of raw ids in forms: type a name or a phone number,
pick from the matches, the choices show as removable chips, and the form still posts the
same text field (ids joined by commas, phones one per line), so the view's parsing and
its Chinese errors stay as they are.

Three parts, built once for every form:
- ``Picker``: a source of choices (a tenant model, the columns searched, how a row is
  shown and what value it posts). ``PRODUCT_PICKER`` and ``MEMBER_PICKER`` are ready.
- ``PickerMixin`` for a view: ``pickers = {"product_ids": PRODUCT_PICKER}`` exposes
  ``<view>/picker?field=product_ids&q=苹果``, a JSON endpoint behind the view's own list
  permission, tenant-scoped by the ORM guard; ``self.picker_chips(field, text)`` gives the
  chips of the current value for the template.
- the ``picker`` macro (templates/admin/picker.html) plus static/js/picker.js. Without
  JavaScript the plain text field stays and works as before.
"""
from flask import abort, jsonify, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from sqlalchemy import or_, select

MAX_QUERY = 40
MAX_RESULTS = 20
MAX_CHIPS = 500


class Picker:
    """``model``: a TenantMixin model. ``columns``: text columns matched by prefix (an
    index on (merchant_id, column) serves them) and ``contains``: ones matched anywhere
    (small tables only). A query of digits also matches the id. ``value``: the column
    posted ("id" or e.g. "phone"); ``label(row)``: the chip text; ``where``: extra
    conditions (e.g. not deleted); ``separator``: how the posted text joins values."""

    def __init__(self, name, model_path, *, columns=(), contains=(), value="id", label=str,
                 where=None, separator=",", order_by="id"):
        self.name = name
        self.model_path = model_path
        self.columns = tuple(columns)
        self.contains = tuple(contains)
        self.value = value
        self.label = label
        self.where = where
        self.separator = separator
        self.order_by = order_by

    @property
    def model(self):
        module, _dot, cls = self.model_path.rpartition(".")
        return getattr(__import__(module, fromlist=[cls]), cls)

    def _base(self):
        model = self.model
        query = select(model)
        if self.where is not None:
            query = query.where(*self.where(model))
        return query

    def search(self, session, text, limit=MAX_RESULTS):
        """Rows matching ``text`` (all rows, newest first, when it is empty)."""
        model = self.model
        text = (text or "").strip()[:MAX_QUERY]
        query = self._base()
        if text:
            terms = [getattr(model, c).startswith(text, autoescape=True) for c in self.columns]
            terms += [getattr(model, c).contains(text, autoescape=True) for c in self.contains]
            if text.isdigit() and len(text) <= 9:
                terms.append(model.id == int(text))
            query = query.where(or_(*terms))
        query = query.order_by(getattr(model, self.order_by).desc()).limit(limit)
        return session.execute(query).scalars().all()

    def split(self, text):
        """The values in a posted text: "1, 2，3" or one phone per line."""
        text = (text or "").replace("，", ",").replace("\n", ",").replace("、", ",")
        seen, values = set(), []
        for part in text.split(","):
            part = part.strip()
            if part and part not in seen:
                seen.add(part)
                values.append(part)
        return values[:MAX_CHIPS]

    def resolve(self, session, text):
        """Chips of the rows the text names, in its order; unknown values are left out
        (the form's own check reports them)."""
        values = self.split(text)
        if not values:
            return []
        model = self.model
        column = getattr(model, self.value)
        if self.value == "id":
            values = [int(v) for v in values if v.isdigit() and len(v) <= 9]
        rows = session.execute(self._base().where(column.in_(values))).scalars().all()
        by_value = {str(getattr(row, self.value)): row for row in rows}
        return [self.item(by_value[str(v)]) for v in values if str(v) in by_value]

    def item(self, row):
        return {"value": str(getattr(row, self.value)), "label": str(self.label(row))}


def _product_label(product):
    return f"{product.name}（ID {product.id}）"


def _member_label(member):
    return f"{member.nickname or ''} {member.phone or ''}".strip()


PRODUCT_PICKER = Picker("products", "app.models.catalog.Product", columns=("code",),
                        contains=("name",), label=_product_label)
MEMBER_PICKER = Picker("members", "app.models.member.Member", columns=("phone", "nickname"),
                       value="phone", label=_member_label,
                       where=lambda m: [m.phone.isnot(None)], separator="\n")


class PickerMixin:
    """For a TenantModelView whose custom forms take ids or phones as text: declare
    ``pickers = {field name: Picker}``; the endpoint needs the view's list permission."""

    pickers = {}

    @expose("/picker")
    @has_access
    @permission_name("list")
    def picker(self):
        return self.picker_response(self.pickers)

    def picker_response(self, pickers):
        """The JSON of ``?field=...&q=...`` over ``pickers``. A view whose picker needs
        another permission than list exposes its own endpoint with it and calls this (e.g.
        派发's member picker behind 派发, ``CouponBatchView.issue_picker``)."""
        from app.extensions import db

        picker = pickers.get(request.args.get("field", ""))
        if picker is None:
            abort(404)
        rows = picker.search(db.session, request.args.get("q", ""))
        return jsonify(items=[picker.item(row) for row in rows])

    def picker_url(self, field, endpoint="picker"):
        return url_for(f"{self.endpoint}.{endpoint}", field=field)

    def picker_chips(self, field, text):
        from app.extensions import db

        return self.pickers[field].resolve(db.session, text)

    def picker_context(self, values, pickers=None, endpoint="picker"):
        """What the ``picker`` macro needs per field: {field: {url, chips, separator}};
        ``pickers`` and ``endpoint`` default to the view's ``pickers`` and ``picker``."""
        from app.extensions import db

        pickers = self.pickers if pickers is None else pickers
        return {field: {"url": self.picker_url(field, endpoint),
                        "chips": picker.resolve(db.session, values.get(field) or ""),
                        "separator": picker.separator}
                for field, picker in pickers.items()}
