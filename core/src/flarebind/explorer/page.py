"""The explorer page: static files shipped in ``flarebind/explorer/static`` (no CDN), the write token injected."""

from __future__ import annotations

import mimetypes
from importlib import resources as importlib_resources

from flarebind.explorer.envelope import Reply

_TOKEN_MARK = "__FLAREBIND_EXPLORER_TOKEN__"
# the page loads nothing from elsewhere (no CDN) and cannot be framed by another site
_CSP = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'"


def serve_page(subpath: str, token: str) -> Reply:
    name = subpath.strip("/") or "index.html"
    static = importlib_resources.files("flarebind.explorer") / "static"
    # only files directly in static/ (no "..", no folders): the page is three files
    if "/" in name or "\\" in name or name.startswith(".") or not (static / name).is_file():
        name = "index.html"
    data = (static / name).read_bytes()
    if name == "index.html":
        data = data.replace(_TOKEN_MARK.encode(), token.encode())
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    return Reply(
        200,
        data,
        {
            "content-type": content_type,
            "cache-control": "no-store",
            "x-frame-options": "DENY",
            "content-security-policy": _CSP,
        },
    )
