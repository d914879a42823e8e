"""``pyodide.ffi``."""

from flarebind.runtime.sdk.ffi import (
    JsException,
    JsProxy,
    create_once_callable,
    create_proxy,
    destroy_proxies,
    jsnull,
    run_sync,
    to_js,
)

__all__ = [
    "JsException",
    "JsProxy",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "run_sync",
    "to_js",
]
