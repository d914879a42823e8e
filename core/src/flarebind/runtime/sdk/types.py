"""The SDK's exported type names (``workers.Body``, ``FetchKwargs``, ``BlobEnding`` …), for code that annotates
with them or builds option dicts, and the gateway ``Options`` the ASGI/WSGI bridges take."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Literal, TypedDict

# string aliases, as the SDK spells them (they name JS types that exist only as annotations)
JSBody = "js.Blob | JsBuffer | js.FormData | js.ReadableStream | js.URLSearchParams"
Body = "str | FormData | JSBody"
BlobValue = "str | bytes | js.ArrayBuffer | js.TypedArray | js.DataView | js.Blob | Blob | File"
FormDataValue = "str | js.Blob | Blob"


class BlobEnding(str, enum.Enum):
    """``Blob(..., endings=)``: keep line endings, or convert them to the platform's."""

    TRANSPARENT = "transparent"
    NATIVE = "native"

    def __str__(self) -> str:
        return self.value


class RequestInitCfProperties(TypedDict, total=False):
    """``cf=`` on ``workers.fetch`` / ``Request``: the typed Cloudflare request options."""

    apps: bool | None
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTags: list[str] | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]
    image: Any
    mirage: bool | None
    polish: str | None
    resolveOverride: str | None
    scrapeShield: bool | None
    webp: bool | None


class FetchKwargs(TypedDict, total=False):
    """The keyword options of ``workers.fetch`` and ``workers.Request``."""

    headers: Any
    body: Any
    method: Any
    redirect: str | None
    cf: RequestInitCfProperties | None
    fetcher: Any


EncodeBody = Literal["automatic", "manual"]


@dataclasses.dataclass
class Options:
    """``asgi.fetch(..., options=)`` / ``wsgi.fetch``: ``encode_body`` is the Response ``encodeBody`` option.

    flarebind's dev server sends bodies as the app produced them (it never compresses), so both values behave like
    ``"manual"`` locally; on Cloudflare ``"automatic"`` compresses a body sent with a ``Content-Encoding`` header.
    """

    encode_body: EncodeBody = "automatic"

    def __post_init__(self) -> None:
        if self.encode_body not in ("automatic", "manual"):
            raise ValueError(f"encode_body must be one of ('automatic', 'manual'), got {self.encode_body!r}")
