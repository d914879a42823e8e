"""Constants and error mapping of flarebind's proxy wire protocol, version 1 (docs/remote-protocol.md).

The Python client (:mod:`flarebind.remote.channel`) and the proxy worker (``remote/worker/proxy.js``) must agree on
everything here; the document is the normative description for other clients.
"""

from __future__ import annotations

from typing import Any

from flarebind.errors import FlarebindError, JsException

PROTOCOL_VERSION = 1
PATH_PREFIX = "__flarebind/"
CALL_PATH = f"{PATH_PREFIX}v{PROTOCOL_VERSION}/call"
INFO_PATH = f"{PATH_PREFIX}v{PROTOCOL_VERSION}/info"

SECRET_HEADER = "X-Flarebind-Proxy-Secret"
SECRET_VAR = "FLAREBIND_PROXY_SECRET"

JSON_TYPE = "application/json"
# body = 4-byte big-endian length N, N bytes of UTF-8 JSON envelope, then the raw bytes of the one stream
FRAME_TYPE = "application/vnd.flarebind.frame"
FRAME_PREFIX_BYTES = 4
# the largest JSON envelope either side accepts in a frame (the stream itself is unbounded)
MAX_ENVELOPE_BYTES = 64 * 1024 * 1024


class RemoteProtocolError(FlarebindError):
    """The proxy refused or could not understand a request (bad secret, unknown version, malformed call).

    Distinct from errors thrown by the real binding, which arrive as their own JS types.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def error_from_wire(error: dict[str, Any]) -> BaseException:
    """Rebuild a binding error the way the Python Workers SDK maps JS errors."""
    name = str(error.get("name") or "Error")
    message = str(error.get("message") if error.get("message") is not None else "")
    if name == "TypeError":
        return TypeError(message)
    if name == "RangeError":
        return ValueError(message)
    exc = JsException(message, name)
    cause = error.get("cause")
    if isinstance(cause, dict):
        # JS `error.cause` (D1 puts the bare SQLite text there), kept as an attribute and as Python's chain
        exc.cause = exc.__cause__ = error_from_wire(cause)  # type: ignore[attr-defined]
    return exc


def error_to_wire(exc: BaseException) -> dict[str, Any]:
    """The inverse of :func:`error_from_wire` (used by stand-ins and tests that play the proxy's part)."""
    if isinstance(exc, JsException):
        return {"name": exc.name, "message": exc.message}
    if isinstance(exc, TypeError):
        return {"name": "TypeError", "message": str(exc)}
    if isinstance(exc, ValueError):
        return {"name": "RangeError", "message": str(exc)}
    return {"name": "Error", "message": str(exc)}
