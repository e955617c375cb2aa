"""Copy the browser files listed in package.json "vendorFiles" from node_modules/ into
app/static/vendor/ (which is git-ignored)."""
import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as fh:
        files = json.load(fh).get("vendorFiles", {})
    missing = []
    for source, target in files.items():
        src = os.path.join(ROOT, "node_modules", source)
        dst = os.path.join(ROOT, "app", "static", "vendor", target)
        if not os.path.isfile(src):
            missing.append(source)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    if missing:
        print("missing in node_modules: " + ", ".join(missing), file=sys.stderr)
        return 1
    print(f"copied {len(files)} vendor file(s) into app/static/vendor/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
