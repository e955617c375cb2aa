"""Tolerant parsing of FAB's list query strings.

Stock FAB parses ``page_X``, ``psize_X`` with ``int()`` and answers a 500 for ``abc``,
and ``psize`` has no maximum (notes/fab.md). These replacements ignore what does not
parse, clamp the page size, and are installed into ``flask_appbuilder.baseviews``, which
imported the originals by name.
"""
import logging
import re

from flask import current_app, request

log = logging.getLogger(__name__)


def _int_arg(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def get_page_args():
    pages = {}
    for arg in request.args:
        match = re.fullmatch(r"page_(.+)", arg)
        if match:
            value = _int_arg(request.args.get(arg))
            if value is not None and 0 <= value <= 1_000_000:
                pages[match.group(1)] = value
    return pages


def get_page_size_args():
    limit = current_app.config.get("LIST_MAX_PAGE_SIZE", 100)
    sizes = {}
    for arg in request.args:
        match = re.fullmatch(r"psize_(.+)", arg)
        if match:
            value = _int_arg(request.args.get(arg))
            if value is not None:
                sizes[match.group(1)] = min(max(value, 1), limit)
    return sizes


def get_order_args():
    orders = {}
    for arg in request.args:
        match = re.fullmatch(r"_oc_(.+)", arg)
        if match:
            direction = request.args.get("_od_" + match.group(1))
            if direction in ("asc", "desc"):
                orders[match.group(1)] = (request.args.get(arg), direction)
    return orders


def get_filter_args(filters, disallow_if_not_in_search=True):
    """FAB's version, but an unknown column or filter index is skipped, not a 500."""
    filters.clear_filters()
    allowed = filters.get_search_filters()
    for arg in sorted(set(request.args)):
        match = re.fullmatch(r"_flt_(\d+)_(.+)", arg)
        if not match:
            continue
        index, column = int(match.group(1)), match.group(2)
        if column not in allowed:
            if disallow_if_not_in_search:
                continue
            try:
                filters.add_filter_index(column, index, request.args.getlist(arg))
            except Exception:  # unknown column or index from a hand-made URL
                log.info("ignored filter %s", arg)
            continue
        if index >= len(allowed[column]):
            continue
        filters.add_filter_index(column, index, request.args.getlist(arg))


def install():
    import flask_appbuilder.baseviews as baseviews

    baseviews.get_page_args = get_page_args
    baseviews.get_page_size_args = get_page_size_args
    baseviews.get_order_args = get_order_args
    baseviews.get_filter_args = get_filter_args
