"""Chinese labels, choices and formats derived from the models' own declarations."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect


def model_label(model):
    """The business name of a model (``__label__``), e.g. 商城."""
    return getattr(model, "__label__", None) or model.__name__


def column_info(model, name):
    """``info`` of a column or relationship, following a relationship to its FK column."""
    mapper = sa_inspect(model)
    if name in mapper.columns:
        return mapper.columns[name].info
    if name in mapper.relationships:
        rel = mapper.relationships[name]
        if rel.info:
            return rel.info
        local = list(rel.local_columns)
        if len(local) == 1 and local[0].info:
            return local[0].info
    return {}


def column_label(model, name):
    if "." in name:
        head, _, tail = name.partition(".")
        rel = sa_inspect(model).relationships.get(head)
        if rel is not None:
            return column_label(rel.mapper.class_, tail)
    info = column_info(model, name)
    if info.get("label"):
        return info["label"]
    return {"id": _l("ID")}.get(name, name)


def choices_of(model, name):
    return column_info(model, name).get("choices")


def choice_text(choices, value):
    for code, text in choices:
        if code == value:
            return str(text)
    return "" if value is None else str(value)


def is_secret(model, name):
    return bool(column_info(model, name).get("secret")) or name == "password"


def mask_secret(value):
    """``****1234``: enough for a merchant to recognise a key, never enough to use it."""
    if value in (None, ""):
        return ""
    text = str(value)
    return "****" + text[-4:] if len(text) > 8 else "****"


def display_value(value):
    """Plain text for lists and diffs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
