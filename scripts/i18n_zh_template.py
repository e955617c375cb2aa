"""Write the template the zh catalog is updated from: translations/messages.pot (our own
strings, Chinese msgids) plus Flask-AppBuilder's own English msgids, extracted from the
installed flask_appbuilder package (its templates and Python modules).

Why: FAB's pages, widgets, filters and flash messages use English msgids, translated by the
zh catalog FAB ships, which is old and incomplete. Flask-Babel loads FAB's catalog first and
ours after it, so an entry in translations/zh wins on the same msgid. Updating zh from this
merged template keeps those entries (``pybabel update`` would otherwise mark them obsolete)
and lists new FAB strings, with an empty msgstr, after a FAB upgrade.

    python scripts/i18n_zh_template.py translations/messages.pot translations/.zh-template.pot

``make translations-update`` runs it; tests/views/test_i18n.py uses ``fab_messages()``.
"""
import os
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

# Where FAB's strings are: its Python modules and its Jinja templates.
FAB_METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
FAB_KEYWORDS = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None,
                    lazy_formatter_gettext=None)


def fab_dir():
    import flask_appbuilder

    return os.path.dirname(os.path.abspath(flask_appbuilder.__file__))


def fab_messages():
    """{msgid: [relative file, ...]} of every string FAB marks for translation."""
    root = fab_dir()
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            root, FAB_METHOD_MAP, keywords=FAB_KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault(msgid, [])
            path = "flask_appbuilder/" + filename.replace(os.sep, "/")
            if path not in found[msgid]:
                found[msgid].append(path)
    return found


def zh_template(app_pot_path):
    with open(app_pot_path, "rb") as fh:
        catalog = read_po(fh)
    merged = Catalog(project=catalog.project, version=catalog.version,
                     header_comment=catalog.header_comment, charset="utf-8")
    merged.creation_date = catalog.creation_date
    for message in catalog:
        if message.id:
            merged[message.id] = message
    for msgid, paths in sorted(fab_messages().items(), key=lambda item: item[1][0]):
        if msgid in merged:
            continue
        merged.add(msgid, locations=[(path, None) for path in paths])
    return merged


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    merged = zh_template(argv[1])
    os.makedirs(os.path.dirname(os.path.abspath(argv[2])), exist_ok=True)
    with open(argv[2], "wb") as fh:
        write_po(fh, merged, width=None, include_lineno=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
