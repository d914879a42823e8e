"""The files under ``assets.directory``, keyed by their URL path (``/a/b.html``), with ETag and content type.

Only files found by walking the directory are ever served (a request path is a manifest key, never joined onto
the directory), so ``..`` cannot leak other files. The walk is redone when a lookup misses and the last walk is older
than a second, so files added while ``flarebind dev`` runs appear.

Which files are left out is wrangler's rule (workers-shared ``createAssetsIgnoreFunction``, used by Miniflare's dev
manifest and by ``wrangler deploy``): ``/.assetsignore``, ``/_redirects`` and ``/_headers`` at the top of the
directory, plus the gitignore-syntax lines of ``.assetsignore`` there. Nothing else is left out by default (not
``node_modules``, ``.git`` or ``_worker.js``: wrangler serves them too unless ``.assetsignore`` names them).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ASSETS_IGNORE_FILENAME = ".assetsignore"
# always left out, as wrangler's ignore function starts with them (anchored: only at the top of the directory)
_ALWAYS_IGNORED = ("/.assetsignore", "/_redirects", "/_headers")


def ignore_matcher(directory: Path) -> Callable[[str], bool]:
    """``relative/posix/path -> ignored?`` from wrangler's fixed patterns and ``directory/.assetsignore``.

    pathspec's ``GitIgnoreSpec`` implements gitignore's rules (anchoring, ``dir/``, ``**``, ``!`` re-includes and
    last-match-wins), as the npm ``ignore`` package wrangler uses does.
    """
    import pathspec

    lines = list(_ALWAYS_IGNORED)
    try:
        text = (directory / ASSETS_IGNORE_FILENAME).read_text(encoding="utf-8")
    except OSError:
        text = ""
    lines += text.split("\n")  # wrangler splits on "\n"; pathspec drops the "\r" of CRLF lines itself
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec.match_file


# where Python's mimetypes and the `mime` 4.0.7 package wrangler's asset worker uses differ (checked against
# `wrangler dev` 4.86: .js is text/javascript, .ico image/vnd.microsoft.icon, .xml application/xml)
_EXTRA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ico": "image/vnd.microsoft.icon",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".xml": "application/xml",
}


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    kind = _EXTRA_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    # only text/* types get a charset, as workers-shared's getContentType adds it
    if kind.startswith("text/"):
        return f"{kind}; charset=utf-8"
    return kind


@dataclass
class Entry:
    file: Path
    size: int
    mtime_ns: int
    _etag: str | None = None

    @property
    def etag(self) -> str:
        if self._etag is None:
            digest = hashlib.sha256()
            with open(self.file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 16), b""):
                    digest.update(block)
            self._etag = digest.hexdigest()[:32]
        return self._etag

    def read(self) -> bytes:
        return self.file.read_bytes()


class Manifest:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, Entry] = {}
        self._scanned = 0.0
        self.rescan()

    def rescan(self) -> None:
        entries: dict[str, Entry] = {}
        root = self.directory
        ignored = ignore_matcher(root)  # re-read on every walk: an edited .assetsignore applies without a restart
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            prefix = "" if rel_dir == "." else f"{rel_dir}/"
            # an ignored folder is not walked (gitignore cannot re-include a file below an excluded folder)
            dirnames[:] = [d for d in dirnames if not ignored(f"{prefix}{d}/")]
            for name in filenames:
                rel = f"{prefix}{name}"
                if ignored(rel):
                    continue
                full = Path(dirpath, name)
                try:
                    st = full.stat()
                except OSError:
                    continue
                key = "/" + rel
                old = self._entries.get(key)
                if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size:
                    entries[key] = old
                else:
                    entries[key] = Entry(full, st.st_size, st.st_mtime_ns)
        self._entries = entries
        self._scanned = time.monotonic()

    def get(self, path: str) -> Entry | None:
        entry = self._entries.get(path)
        if entry is None:
            if time.monotonic() - self._scanned > 1.0:
                self.rescan()
                entry = self._entries.get(path)
            return entry
        try:
            st = entry.file.stat()
        except OSError:
            self.rescan()
            return self._entries.get(path)
        if st.st_mtime_ns != entry.mtime_ns or st.st_size != entry.size:
            entry = self._entries[path] = Entry(entry.file, st.st_size, st.st_mtime_ns)
        return entry

    def etag(self, path: str) -> str | None:
        entry = self.get(path)
        return entry.etag if entry is not None else None
