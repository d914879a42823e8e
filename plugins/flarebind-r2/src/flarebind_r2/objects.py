"""R2Object / R2ObjectBody / R2Checksums as Python objects with the runtime's attribute names."""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Mapping
from email.utils import format_datetime
from typing import Any

from flarebind.plugin import JsObject

from flarebind_r2.bodies import R2Body
from flarebind_r2.conditional import to_ms
from flarebind_r2.headers import HeaderView, is_headers
from flarebind_r2.store import ObjectRow

HTTP_FIELDS = ("contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl", "cacheExpiry")
_HEADER_NAMES = {
    "contentType": "content-type",
    "contentLanguage": "content-language",
    "contentDisposition": "content-disposition",
    "contentEncoding": "content-encoding",
    "cacheControl": "cache-control",
}
_BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."


def from_ms(ms: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)


def normalize_http_metadata(value: Any) -> dict[str, Any] | None:
    """httpMetadata (an R2HTTPMetadata dict or request headers) as stored: set fields only, cacheExpiry in ms."""
    if value is None:
        return None
    stored: dict[str, Any] = {}
    if is_headers(value, frozenset(HTTP_FIELDS)):
        headers = HeaderView(value)
        for field, header in _HEADER_NAMES.items():
            found = headers.get(header)
            if found is not None:
                stored[field] = found
        expires = headers.get("expires")
        if expires is not None:
            stored["cacheExpiry"] = to_ms(expires)
        return stored
    if not isinstance(value, Mapping):
        raise TypeError("httpMetadata must be an R2HTTPMetadata dict or headers")
    for field in HTTP_FIELDS[:-1]:
        if value.get(field) is not None:
            stored[field] = str(value[field])
    if value.get("cacheExpiry") is not None:
        stored["cacheExpiry"] = to_ms(value["cacheExpiry"])
    return stored


def http_metadata_object(stored: Mapping[str, Any] | None) -> JsObject | None:
    if stored is None:
        return None
    result = JsObject()
    for field in HTTP_FIELDS:
        if stored.get(field) is not None:
            result[field] = from_ms(stored[field]) if field == "cacheExpiry" else stored[field]
    return result


class R2Checksums:
    """Digests as ``bytes`` (the runtime's ArrayBuffers); ``toJSON()`` gives the hex strings."""

    __slots__ = ("md5", "sha1", "sha256", "sha384", "sha512")

    def __init__(self, hexes: Mapping[str, str]) -> None:
        for name in self.__slots__:
            value = hexes.get(name)
            setattr(self, name, bytes.fromhex(value) if value else None)

    def toJSON(self) -> JsObject:
        return JsObject({n: getattr(self, n).hex() for n in self.__slots__ if getattr(self, n) is not None})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, R2Checksums) and self.toJSON() == other.toJSON()

    def __repr__(self) -> str:
        return f"R2Checksums({dict(self.toJSON())})"


class Subscriptable:
    """``obj["key"]`` as well as ``obj.key``: the Python Workers SDK wraps R2 results so both work (a missing name
    raises ``AttributeError``, as the SDK's lookup does)."""

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


class R2Object(Subscriptable):
    """Metadata of one object (``head``, ``put``, ``list`` entries, a failed conditional ``get``)."""

    def __init__(
        self,
        row: ObjectRow,
        *,
        range: Mapping[str, int] | None = None,
        http_metadata: Any = ...,
        custom_metadata: Any = ...,
    ) -> None:
        self.key = row.key
        self.version = row.version
        self.size = row.size
        self.etag = row.etag
        self.httpEtag = f'"{row.etag}"'
        self.uploaded = from_ms(row.uploaded)
        self.httpMetadata = http_metadata_object(row.http_metadata if http_metadata is ... else http_metadata)
        custom = row.custom_metadata if custom_metadata is ... else custom_metadata
        self.customMetadata = None if custom is None else JsObject(custom)
        self.range = None if range is None else JsObject(range)
        checksums = dict(row.checksums)
        # R2 reports the MD5 of every single-part object (its etag) even when no checksum was sent
        if len(row.etag) == 32 and all(c in "0123456789abcdef" for c in row.etag):
            checksums["md5"] = row.etag
        self.checksums = R2Checksums(checksums)
        self.storageClass = row.storage_class or "Standard"
        self.ssecKeyMd5: str | None = None

    def writeHttpMetadata(self, headers: Any) -> None:
        """Set Content-Type, Content-Language, Content-Disposition, Content-Encoding, Cache-Control and Expires."""
        if self.httpMetadata is None:
            raise TypeError(
                f"HTTP metadata unknown for key `{self.key}`. Did you forget to add 'httpMetadata' to `include` "
                "when listing?"
            )
        setter = headers.set if hasattr(headers, "set") and callable(headers.set) else headers.__setitem__
        for field, header in _HEADER_NAMES.items():
            if self.httpMetadata.get(field) is not None:
                setter(header, self.httpMetadata[field])
        if self.httpMetadata.get("cacheExpiry") is not None:
            setter("expires", format_datetime(self.httpMetadata["cacheExpiry"], usegmt=True))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key!r} size={self.size} etag={self.etag!r}>"


class R2ObjectBody(R2Object):
    """An object with its body: ``body`` (async iterator of bytes), ``bodyUsed`` and the one-shot readers."""

    def __init__(self, row: ObjectRow, body: R2Body, *, range: Mapping[str, int]) -> None:
        super().__init__(row, range=range)
        self.body = body

    @property
    def bodyUsed(self) -> bool:
        return self.body.used

    async def arrayBuffer(self) -> bytes:
        if self.body.used:
            raise TypeError(_BODY_USED)
        return await self.body.read_all()

    async def bytes(self) -> bytes:
        return await self.arrayBuffer()

    async def text(self) -> str:
        return (await self.arrayBuffer()).decode("utf-8", "replace")

    async def json(self) -> Any:
        return json.loads(await self.text())

    async def blob(self) -> builtins.bytes:
        return await self.arrayBuffer()
