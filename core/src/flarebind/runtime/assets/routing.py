"""Which asset a path resolves to: Cloudflare's ``html_handling`` and ``not_found_handling`` rules.

Facts from workers-sdk's asset worker (packages/workers-shared/asset-worker/src/handler.ts): each html mode tries
the exact file, ``<path>.html`` and ``<path>/index.html`` in a fixed order and redirects (307) to the mode's
canonical URL when a file is asked for under another name; a redirect is only taken when the canonical URL would
serve that very file (same ETag), so redirects never loop. When nothing matches, ``single-page-application`` serves
``/index.html`` with 200 and ``404-page`` the nearest ``404.html`` up the tree with 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

Exists = Callable[[str], "str | None"]  # path -> ETag of the file served at that manifest key, or None


@dataclass(frozen=True)
class Serve:
    path: str  # manifest key
    etag: str
    status: int = 200


@dataclass(frozen=True)
class Redirect:
    to: str


Intent = Serve | Redirect | None


def decode_path(pathname: str) -> str:
    """Each segment percent-decoded (left alone when it is not valid UTF-8), runs of ``/`` collapsed."""
    parts = []
    for seg in pathname.split("/"):
        try:
            parts.append(unquote(seg, errors="strict"))
        except UnicodeDecodeError:
            parts.append(seg)
    return re.sub(r"/+", "/", "/".join(parts))


def encode_path(pathname: str) -> str:
    """The canonical (re-encoded) form, like JavaScript's ``encodeURIComponent`` per segment."""
    return "/".join(quote(seg, safe="-_.!~*'()") for seg in pathname.split("/"))


class Resolver:
    def __init__(self, exists: Exists, html_handling: str, not_found_handling: str) -> None:
        self.exists = exists
        self.html_handling = html_handling
        self.not_found_handling = not_found_handling

    def intent(self, path: str, skip_redirects: bool = False) -> Intent:
        mode = self.html_handling
        if mode == "auto-trailing-slash":
            return self._auto(path, skip_redirects)
        if mode == "force-trailing-slash":
            return self._force(path, skip_redirects)
        if mode == "drop-trailing-slash":
            return self._drop(path, skip_redirects)
        return self._serve(path) or self.not_found(path)

    # -- helpers ----------------------------------------------------------------------------------------------

    def _serve(self, key: str, status: int = 200) -> Serve | None:
        etag = self.exists(key)
        return Serve(key, etag, status) if etag else None

    def _redirect(self, file: str, destination: str, skip: bool) -> Redirect | None:
        """Redirect to ``destination`` only if it is not itself a file and resolves to ``file``'s content."""
        if skip or self.exists(destination):
            return None
        target = self.intent(destination, skip_redirects=True)
        if isinstance(target, Serve) and target.etag == self.exists(file):
            return Redirect(destination)
        return None

    def _first(self, *candidates: Callable[[], Intent]) -> Intent:
        for candidate in candidates:
            found = candidate()
            if found is not None:
                return found
        return None

    # -- html_handling modes ----------------------------------------------------------------------------------

    def _auto(self, p: str, skip: bool) -> Intent:
        r = self._redirect
        exact = self._serve(p)
        found: Intent = None
        if p.endswith("/index"):
            if exact:
                return exact
            found = self._first(
                lambda: r(p + ".html", p[: -len("index")], skip),
                lambda: r(p[: -len("/index")] + ".html", p[: -len("/index")], skip),
            )
        elif p.endswith("/index.html"):
            found = self._first(
                lambda: r(p, p[: -len("index.html")], skip),
                lambda: r(p[: -len("/index.html")] + ".html", p[: -len("/index.html")], skip),
            )
        elif p.endswith("/"):
            found = self._first(lambda: self._serve(p + "index.html"), lambda: r(p[:-1] + ".html", p[:-1], skip))
        elif p.endswith(".html"):
            stem = p[: -len(".html")]
            found = self._first(lambda: r(p, stem, skip), lambda: r(stem + "/index.html", stem + "/", skip))
        if found is not None:
            return found
        return self._first(
            lambda: exact, lambda: self._serve(p + ".html"), lambda: r(p + "/index.html", p + "/", skip)
        ) or self.not_found(p)

    def _force(self, p: str, skip: bool) -> Intent:
        r = self._redirect
        exact = self._serve(p)
        found: Intent = None
        if p.endswith("/index"):
            if exact:
                return exact
            found = self._first(
                lambda: r(p + ".html", p[: -len("index")], skip),
                lambda: r(p[: -len("/index")] + ".html", p[: -len("index")], skip),
            )
        elif p.endswith("/index.html"):
            found = self._first(
                lambda: r(p, p[: -len("index.html")], skip),
                lambda: r(p[: -len("/index.html")] + ".html", p[: -len("index.html")], skip),
            )
        elif p.endswith("/"):
            found = self._first(lambda: self._serve(p + "index.html"), lambda: self._serve(p[:-1] + ".html"))
        elif p.endswith(".html"):
            stem = p[: -len(".html")]
            found = self._first(
                lambda: r(p, stem + "/", skip), lambda: exact, lambda: r(stem + "/index.html", stem + "/", skip)
            )
        if found is not None:
            return found
        return self._first(
            lambda: exact, lambda: r(p + ".html", p + "/", skip), lambda: r(p + "/index.html", p + "/", skip)
        ) or self.not_found(p)

    def _drop(self, p: str, skip: bool) -> Intent:
        r = self._redirect
        exact = self._serve(p)
        found: Intent = None
        if p.endswith("/index"):
            if exact:
                return exact
            if p == "/index":
                found = r("/index.html", "/", skip)
            else:
                base = p[: -len("/index")]
                found = self._first(lambda: r(base + ".html", base, skip), lambda: r(p + ".html", base, skip))
        elif p.endswith("/index.html"):
            base = p[: -len("/index.html")]
            if p == "/index.html":
                found = r("/index.html", "/", skip)
            else:
                found = self._first(lambda: r(p, base, skip), lambda: exact, lambda: r(base + ".html", base, skip))
        elif p.endswith("/"):
            if p == "/":
                found = self._serve("/index.html")
            else:
                base = p[:-1]
                found = self._first(lambda: r(base + ".html", base, skip), lambda: r(base + "/index.html", base, skip))
        elif p.endswith(".html"):
            stem = p[: -len(".html")]
            found = self._first(lambda: r(p, stem, skip), lambda: r(stem + "/index.html", stem, skip))
        if found is not None:
            return found
        return self._first(
            lambda: exact, lambda: self._serve(p + ".html"), lambda: self._serve(p + "/index.html")
        ) or self.not_found(p)

    # -- not_found_handling -----------------------------------------------------------------------------------

    def not_found(self, p: str) -> Intent:
        if self.not_found_handling == "single-page-application":
            return self._serve("/index.html")
        if self.not_found_handling == "404-page":
            cwd = p
            while cwd:
                cwd = cwd[: cwd.rfind("/")] if "/" in cwd else ""
                found = self._serve(f"{cwd}/404.html", 404)
                if found:
                    return found
        return None
