"""``js``: the JS global scope names Python Worker code commonly imports (``from js import Response, fetch``)."""

from typing import Any

from flarebind.runtime.sdk.blob import Blob, File, FormData
from flarebind.runtime.sdk.cache import caches
from flarebind.runtime.sdk.fetch import js_fetch as fetch
from flarebind.runtime.sdk.headers import Headers
from flarebind.runtime.sdk.htmlrewriter import JsHTMLRewriter as HTMLRewriter
from flarebind.runtime.sdk.jsapi import (
    JSON,
    URL,
    Date,
    Error,
    Object,
    TextDecoder,
    TextEncoder,
    URLSearchParams,
    atob,
    btoa,
    console,
    crypto,
)
from flarebind.runtime.sdk.request import JsRequest as Request
from flarebind.runtime.sdk.response import JsResponse as Response
from flarebind.runtime.websockets.socket import WebSocket, WebSocketPair, WebSocketRequestResponsePair

__all__ = [
    "JSON",
    "URL",
    "Blob",
    "Date",
    "Error",
    "File",
    "FormData",
    "HTMLRewriter",
    "Headers",
    "Object",
    "Request",
    "Response",
    "TextDecoder",
    "TextEncoder",
    "URLSearchParams",
    "WebSocket",
    "WebSocketPair",
    "WebSocketRequestResponsePair",
    "atob",
    "btoa",
    "caches",
    "console",
    "crypto",
    "fetch",
]


def _in_import_from() -> bool:
    """Is the caller executing ``from js import name``? (Then a missing name is an ImportError that says what the
    shim has, instead of Python's bare "cannot import name"; ``getattr``/``hasattr`` still see AttributeError.)"""
    import dis
    import sys

    frame = sys._getframe(2)
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == dis.opmap.get("IMPORT_FROM")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    message = (
        f"flarebind's `js` module has no {name!r}: this JS global is not available when running Python Workers "
        f"locally with flarebind (supported: {', '.join(__all__)})"
    )
    if _in_import_from():
        raise ImportError(message, name="js")
    raise AttributeError(message)
