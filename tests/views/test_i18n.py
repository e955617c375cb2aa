"""Translations: complete catalogs, no untranslated Flask-AppBuilder text on Chinese pages,
and a working language switch.

The page tests need the compiled catalogs (`make translations`, which `make test` runs).
"""
import html
import importlib.util
import json
import os
import re
from functools import lru_cache

import pytest
from babel.messages.pofile import read_po

from config import BASE_DIR

TRANSLATIONS = os.path.join(BASE_DIR, "translations")
POT = os.path.join(TRANSLATIONS, "messages.pot")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-+ #0]*\d*(?:\.\d+)?[sdifrxXeEgGc%]")

# Attributes whose text a user sees (tooltips, placeholders, image texts).
VISIBLE_ATTRIBUTES = re.compile(
    r'\s(?:title|placeholder|alt|aria-label|data-placeholder)\s*=\s*"([^"]*)"', re.I)
# FAB's permission views show stored identifiers: view-menu names such as "List Users" or
# "Security" (FAB's English menu names, saved as permission names), "can list on ShopView".
# Those table cells and select options are data, not chrome: they are left out of the
# check on these views' pages (titles, labels, buttons and the sidebar are still checked).
IDENTIFIER_VIEWS = {"ViewMenuModelView", "PermissionViewModelView", "RoleModelView",
                    "PermissionModelView"}
IDENTIFIER_DATA = re.compile(r"<td\b.*?(?:</td\s*>|(?=</tr\s*>))|<option\b.*?</option\s*>",
                             re.S | re.I)


def _read(path, locale=None):
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def _placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


@lru_cache(maxsize=1)
def _fab_template_module():
    path = os.path.join(BASE_DIR, "scripts", "i18n_zh_template.py")
    spec = importlib.util.spec_from_file_location("i18n_zh_template", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def fab_extracted():
    """{msgid: files} of the installed FAB, as `make translations-update` extracts them."""
    return _fab_template_module().fab_messages()


@lru_cache(maxsize=1)
def fab_msgids():
    """FAB's English msgids: extracted from the installed package (what it can display
    today) plus those of the zh catalog it ships."""
    module = _fab_template_module()
    ids = set(fab_extracted())
    bundled = os.path.join(module.fab_dir(), "translations", "zh", "LC_MESSAGES",
                           "messages.po")
    ids |= {m.id for m in _read(bundled, "zh") if m.id and isinstance(m.id, str)}
    return sorted(i for i in ids if len(re.findall(r"[A-Za-z]", i)) >= 4)


@lru_cache(maxsize=1)
def fab_pattern():
    # Longest first, so "Not Equal to" is reported rather than "Equal to" inside it.
    words = sorted(fab_msgids(), key=len, reverse=True)
    alternatives = "|".join(re.escape(w.strip()) for w in words if w.strip())
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])")


def visible_text(page, identifier_cells=False):
    """What a reader sees: text nodes and visible attributes, no scripts or styles."""
    page = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    if identifier_cells:
        page = IDENTIFIER_DATA.sub(" ", page)
    attributes = VISIBLE_ATTRIBUTES.findall(page)
    text = re.sub(r"<[^>]+>", "\n", page)
    lines = [line.strip() for line in html.unescape(text).splitlines()]
    return "\n".join([line for line in lines if line] + [html.unescape(a) for a in attributes])


def untranslated_fab_strings(page, identifier_cells=False):
    return sorted(set(fab_pattern().findall(visible_text(page, identifier_cells))))


# -- the catalogs --------------------------------------------------------------------------
def test_pot_holds_the_apps_strings():
    pot = _read(POT)
    ids = {m.id for m in pot if m.id}
    assert "商城列表" in ids and "%(name)s列表" in ids and "导出 Excel" in ids
    assert len([i for i in ids if CJK.search(str(i))]) > 200


def test_en_catalog_translates_every_chinese_msgid():
    pot = _read(POT)
    en = _read(os.path.join(TRANSLATIONS, "en", "LC_MESSAGES", "messages.po"), "en")
    missing, bad_placeholders, fuzzy, still_chinese = [], [], [], []
    for message in pot:
        if not message.id or not CJK.search(str(message.id)):
            continue
        entry = en.get(message.id, context=message.context)
        label = f"{message.context}|{message.id}" if message.context else message.id
        if entry is None or not entry.string or not str(entry.string).strip():
            missing.append(label)
            continue
        if entry.fuzzy:
            fuzzy.append(label)
        if CJK.search(entry.string):
            still_chinese.append(f"{label} -> {entry.string}")
        if _placeholders(message.id) != _placeholders(entry.string):
            bad_placeholders.append(f"{label} -> {entry.string}")
    assert not missing, f"en catalog lacks translations for: {missing}"
    assert not bad_placeholders, f"placeholders differ: {bad_placeholders}"
    assert not fuzzy, f"fuzzy entries in the en catalog: {fuzzy}"
    assert not still_chinese, f"Chinese left in en translations: {still_chinese}"


def test_zh_catalog_translates_every_fab_msgid():
    zh = _read(os.path.join(TRANSLATIONS, "zh", "LC_MESSAGES", "messages.po"), "zh")
    missing, bad_placeholders = [], []
    for msgid in fab_extracted():
        entry = zh.get(msgid)
        if entry is None or not entry.string or not CJK.search(entry.string):
            missing.append(msgid)
        elif _placeholders(msgid) != _placeholders(entry.string):
            bad_placeholders.append(f"{msgid} -> {entry.string}")
    assert not missing, ("zh catalog lacks Chinese for FAB's msgids (run "
                         f"`make translations-update`, then translate): {missing}")
    assert not bad_placeholders, f"placeholders differ: {bad_placeholders}"


def test_zh_catalog_leaves_our_chinese_msgids_to_the_fallback():
    zh = _read(os.path.join(TRANSLATIONS, "zh", "LC_MESSAGES", "messages.po"), "zh")
    copied = [m.id for m in zh if m.id and CJK.search(str(m.id))
              and m.string and m.string != m.id]
    assert not copied, f"zh msgstr differs from its Chinese msgid: {copied}"


# -- the pages -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compiled(app):
    """Fail clearly when the .mo files are missing or stale (`make translations`)."""
    stale = []
    for locale in ("zh", "en"):
        po = os.path.join(TRANSLATIONS, locale, "LC_MESSAGES", "messages.po")
        mo = po[:-2] + "mo"
        if not os.path.exists(mo) or os.path.getmtime(mo) < os.path.getmtime(po):
            stale.append(mo)
    if stale:
        pytest.fail(f"compiled catalogs missing or older than the .po: {stale}; "
                    "run `make translations`")
    return app


def _pages_for(app, client):
    """GET pages of every registered view this client can open: list, add and the show
    page of the first visible row, plus the sidebar's links."""
    pages = []
    for view in app.appbuilder.baseviews:
        if not hasattr(view, "datamodel") or not hasattr(view, "list"):
            continue  # not a model view (home, password, charts: see the menu links)
        base = view.route_base
        listing = client.get(f"{base}/list/")
        if listing.status_code != 200:
            continue
        page = listing.get_data(as_text=True)
        pages.append((type(view).__name__, f"{base}/list/", page))
        if "can_add" in (view.base_permissions or []):
            added = client.get(f"{base}/add")
            if added.status_code == 200:
                pages.append((type(view).__name__, f"{base}/add", added.get_data(as_text=True)))
        match = re.search(rf'href="{re.escape(base)}/show/([^"?/]+)', page)
        if match:
            url = f"{base}/show/{match.group(1)}"
            shown = client.get(url)
            assert shown.status_code == 200, url
            pages.append((type(view).__name__, url, shown.get_data(as_text=True)))
    home = client.get("/").get_data(as_text=True)
    pages.append(("HomeView", "/", home))
    seen = {url for _name, url, _page in pages}
    for url in re.findall(r'class="md-nav-item[^"]*" href="([^"]+)"', home):
        if url not in seen:
            response = client.get(url)
            if response.status_code == 200:
                pages.append(("menu", url, response.get_data(as_text=True)))
    pages.append(("PasswordView", "/account/password",
                  client.get("/account/password").get_data(as_text=True)))
    return pages


@pytest.mark.parametrize("who", ["owner_a", "platform"])
def test_zh_pages_show_no_untranslated_fab_strings(compiled, login_as, who):
    client = login_as(who)
    pages = _pages_for(compiled, client)
    offenders = []
    for name, url, page in pages:
        found = untranslated_fab_strings(page, identifier_cells=name in IDENTIFIER_VIEWS)
        if found:
            offenders.append(f"{url}: {found}")
    assert len(pages) >= 10, [url for _n, url, _p in pages]
    assert not offenders, "untranslated FAB strings on zh pages:\n" + "\n".join(offenders)


def test_zh_login_page_and_login_redirect_are_chinese(compiled, client):
    page = client.get("/login/").get_data(as_text=True)
    assert "登录商家后台" in page
    assert not untranslated_fab_strings(page)
    # A protected page sends a visitor to the login page with FAB's "Access is Denied".
    response = client.get("/shopview/list/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "请先登录后再访问" in page
    assert not untranslated_fab_strings(page)


def test_list_filters_and_widgets_are_chinese(compiled, login_as):
    # One row a page: the pagination and the page-size menu show too.
    page = login_as("owner_a").get("/shopview/list/?psize_ShopView=1").get_data(as_text=True)
    assert not untranslated_fab_strings(page)
    for text in ("添加过滤条件", "搜索", "每页条数", "共"):
        assert text in page, text
    # Filter names go to the filter widget's script as JSON (non-ASCII as \uXXXX).
    assert json.dumps("开头是")[1:-1] in page and "Starts with" not in page
    # The confirmation dialog FAB's JS opens.
    assert "请确认" in page and "取消" in page


def test_action_texts_are_safe_in_fabs_scripts(compiled):
    """FAB writes action labels and confirmations unescaped into JavaScript string literals
    ('...'): a quote in any language's text breaks every action of the list."""
    from flask_babel import force_locale

    unsafe = []
    with compiled.test_request_context():
        for view in compiled.appbuilder.baseviews:
            for action in (getattr(view, "actions", None) or {}).values():
                for locale in ("zh", "en"):
                    with force_locale(locale):
                        for text in (action.text, action.confirmation):
                            if text and set(str(text)) & set("'\"\\\n<"):
                                unsafe.append(f"{type(view).__name__}.{action.name} "
                                              f"[{locale}]: {text}")
    assert not unsafe, unsafe


# -- the language switch -------------------------------------------------------------------
def test_language_switch_to_english_and_back(compiled, login_as):
    client = login_as("owner_a")
    client.get("/lang/en")
    home = client.get("/").get_data(as_text=True)
    assert "Shortcuts" in home and "Change password" in home and "Log out" in home
    sidebar = visible_text(re.search(r'<nav class="md-sidebar".*?</nav>', home, re.S).group(0))
    for label in ("Home", "My shops", "Shop list", "Admins & roles", "Admin list", "Roles",
                  "Task center", "My tasks", "Audit log"):
        assert label in sidebar.splitlines(), label
    assert not CJK.search(sidebar), sidebar
    assert "首页" not in visible_text(home) and "商城列表" not in home
    listing = client.get("/shopview/list/").get_data(as_text=True)
    text = visible_text(listing)
    for english in ("Shop list", "Export Excel", "Shop name", "Shop type", "Add Filter",
                    "Search", "Total"):
        assert english in text, english
    assert "导出 Excel" not in text and "商城名称" not in text and "添加过滤条件" not in text
    assert '"Starts with"' in listing  # FAB's English filter names in the filter script

    client.get("/lang/zh")
    home = client.get("/").get_data(as_text=True)
    sidebar = visible_text(re.search(r'<nav class="md-sidebar".*?</nav>', home, re.S).group(0))
    assert {"首页", "我的商城", "商城列表", "多管理员设置"} <= set(sidebar.splitlines())
    assert "Shop list" not in home and "Shortcuts" not in home and "常用功能" in home
    listing = client.get("/shopview/list/").get_data(as_text=True)
    assert "导出 Excel" in listing and "Export Excel" not in listing


def _data_strings(app):
    """Chinese that is data, not chrome: every text value stored in the database (names,
    descriptions, demo rows of every module)."""
    from sqlalchemy import String, Text, select

    from app.extensions import db
    from app.tenancy import platform_scope

    values = set()
    with app.app_context(), platform_scope():
        for mapper in db.Model.registry.mappers:
            for column in mapper.columns:
                if not isinstance(column.type, (String, Text)) or column.info.get("secret"):
                    continue
                rows = db.session.execute(select(column).distinct().limit(5000)).scalars()
                for value in rows:
                    values.update(_strings_in(value))
    return values | {"中文"}  # the language link


def _strings_in(value):
    """The Chinese strings of a stored value, looking inside JSON documents (cached WeChat
    data such as region names is data too)."""
    if not isinstance(value, str) or not value:
        return []
    if value[0] in "[{":
        try:
            found, stack = [], [json.loads(value)]
        except ValueError:
            return [value] if CJK.search(value) else []
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
                stack.extend(item.keys())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and CJK.search(item):
                found.append(item)
        return found
    if "<" in value:  # rich text (articles, descriptions): its text pieces are data
        pieces = [p.strip() for p in re.split(r"<[^>]*>", value)]
        return [value] + [p for p in pieces if p and CJK.search(p)]
    return [value] if CJK.search(value) else []


def test_english_pages_have_no_chinese_chrome(compiled, login_as):
    """Apart from data (merchant, shop, staff and role names...), an English page has no
    Chinese. The audit log and task center are left out: they show texts stored in the
    language of whoever acted."""
    data = _data_strings(compiled)
    client = login_as("owner_a")
    client.get("/lang/en")
    try:
        pages = _pages_for(compiled, client)
        pages.append(("ShopView", "/shopview/import/",
                      client.get("/shopview/import/").get_data(as_text=True)))
        offenders = []
        for name, url, page in pages:
            if name in ("AuditLogView", "TaskView"):
                continue
            text = visible_text(page)
            for line in text.splitlines():
                if CJK.search(line) and not any(d in line for d in data):
                    offenders.append(f"{url}: {line}")
        assert len(pages) >= 10
        assert not offenders, "Chinese on English pages:\n" + "\n".join(offenders)
    finally:
        client.get("/lang/zh")
