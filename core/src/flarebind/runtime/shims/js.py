"""``js``: the JS global scope names Python Worker code commonly imports (``from js import Response, fetch``)."""

from typing import Any

from flarebind.runtime.sdk.blob import Blob, File, FormData
from flarebind.runtime.sdk.cache import caches
from flarebind.runtime.sdk.fetch import js_fetch as fetch
from flarebind.runtime.sdk.headers import Headers
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


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"flarebind's `js` module has no {name!r}: this JS global is not available when running Python Workers "
        "locally with flarebind (supported: Response, Request, Headers, URL, URLSearchParams, Object, JSON, "
        "console, fetch, Date, TextEncoder, TextDecoder, Error, FormData, Blob, File, btoa, atob, caches, crypto, "
        "WebSocket, WebSocketPair, WebSocketRequestResponsePair)"
    )
