"""Shared column helpers for every business model."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Numeric, String

CHINA = ZoneInfo("Asia/Shanghai")


def china_now():
    """Naive datetime in China time: what merchants read on every screen and export."""
    return datetime.now(CHINA).replace(tzinfo=None)


def label(text, **info):
    """Column ``info``: the Chinese label shown in lists, forms and exports."""
    return {"label": text, **info}


def choice_column(choices, default, text, **kwargs):
    """A short string column whose values are codes and whose UI shows Chinese labels.

    ``choices`` is a list of ``(code, lazy label)`` pairs; forms render a select and lists,
    filters and exports show the label.
    """
    length = max(len(code) for code, _ in choices) + 8
    return Column(String(length), nullable=False, default=default, server_default=default,
                  info=label(text, choices=choices), **kwargs)


def money_column(text, **kwargs):
    """Money is Decimal in Numeric(12, 2), never float."""
    kwargs.setdefault("nullable", False)
    kwargs.setdefault("default", 0)
    return Column(Numeric(12, 2), info=label(text, money=True), **kwargs)


def created_at_column():
    return Column(DateTime, nullable=False, default=china_now, index=True,
                  info=label(_l("创建时间")))
