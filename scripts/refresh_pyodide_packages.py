"""Refresh the Pyodide package list `flarebind doctor` checks dependencies against.

Usage: python scripts/refresh_pyodide_packages.py [PYODIDE_LOCK_JSON_OR_URL]

The argument is a ``pyodide-lock.json`` (a path or URL; default: the jsDelivr copy for the version in
``DEFAULT_VERSION``). Writes ``core/src/flarebind/doctor/data/pyodide-<version>.json``: for each package its version,
whether its wheel is native (a ``pyodide_*_wasm32`` build) and the modules it provides. Only facts the lock states are
kept; the lock's hashes and file names are not needed by doctor.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

DEFAULT_VERSION = "0.27.7"
DEFAULT_URL = f"https://cdn.jsdelivr.net/pyodide/v{DEFAULT_VERSION}/full/pyodide-lock.json"
OUT_DIR = Path(__file__).resolve().parents[1] / "core" / "src" / "flarebind" / "doctor" / "data"


def _read(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as response:
            return json.load(response)
    return json.loads(Path(source).read_text(encoding="utf-8"))


def convert(lock: dict) -> dict:
    packages = {}
    for key, pkg in sorted(lock["packages"].items()):
        if key.endswith("-tests") or pkg.get("package_type") not in (None, "package", "cpython_module"):
            continue
        packages[key] = {
            "version": pkg["version"],
            "native": "wasm32" in pkg.get("file_name", ""),
            "imports": pkg.get("imports", []),
            "stdlib": pkg.get("package_type") == "cpython_module",
        }
    return {"pyodide_version": lock["info"]["version"], "python": lock["info"]["python"], "packages": packages}


def main(argv: list[str]) -> int:
    source = argv[1] if len(argv) > 1 else DEFAULT_URL
    data = convert(_read(source))
    out = OUT_DIR / f"pyodide-{data['pyodide_version']}.json"
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(data['packages'])} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
