"""Split a catalog's untranslated entries into JSON chunks for translators, and merge the
translated chunks back: the way big batches of new msgids get their English.

    python scripts/po_chunks.py export translations/en/LC_MESSAGES/messages.po /tmp/chunks 4
    python scripts/po_chunks.py import translations/en/LC_MESSAGES/messages.po /tmp/chunks

A chunk is {msgid: ""} (plural entries: {msgid: ["", ""]}); translators fill the values.
"""
import json
import re
import pathlib
import sys

from babel.messages.pofile import read_po, write_po


def _load(path):
    with open(path, "rb") as handle:
        return read_po(handle)


# The same test as tests/views/test_i18n.py: Chinese characters and full-width punctuation.
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def export(po_path, folder, parts, chinese_only=True):
    """Chunks of the untranslated entries; for en only msgids with Chinese in them (an
    English msgid is shown as it is)."""
    catalog = _load(po_path)
    todo = []
    for message in catalog:
        if not message.id:
            continue
        text = message.id[0] if isinstance(message.id, tuple) else message.id
        if chinese_only and not CJK.search(text):
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                todo.append((message.id[0], ["", ""], message.context))
        elif not message.string:
            todo.append((message.id, "", message.context))
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    size = max(1, -(-len(todo) // parts))
    for index in range(0, len(todo), size):
        chunk = {(f"{ctx}\x04{mid}" if ctx else mid): value
                 for mid, value, ctx in todo[index:index + size]}
        (folder / f"chunk_{index // size + 1}.json").write_text(
            json.dumps(chunk, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(todo)} untranslated entries in {-(-len(todo) // size) if todo else 0} chunks")


def merge(po_path, folder):
    catalog = _load(po_path)
    filled = 0
    for chunk in sorted(pathlib.Path(folder).glob("chunk_*.json")):
        for key, value in json.loads(chunk.read_text(encoding="utf-8")).items():
            context, _sep, msgid = key.rpartition("\x04")
            for message in catalog:
                mid = message.id[0] if isinstance(message.id, tuple) else message.id
                if mid == msgid and (message.context or "") == context and value:
                    message.string = tuple(value) if isinstance(message.id, tuple) else value
                    filled += 1
    with open(po_path, "wb") as handle:
        write_po(handle, catalog)
    print(f"{filled} entries filled")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "export":
        export(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    elif command == "import":
        merge(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
