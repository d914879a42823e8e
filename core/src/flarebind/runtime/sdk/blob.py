"""``Blob``, ``File`` and ``FormData`` as the SDK shapes them (and the JS constructors ``Blob.new`` etc.)."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterator, MutableMapping
from typing import Any


def _part_bytes(part: Any) -> bytes:
    if isinstance(part, Blob):
        return part._data
    if isinstance(part, str):
        return part.encode()
    if isinstance(part, (bytes, bytearray, memoryview)):
        return bytes(part)
    raise TypeError(f"Unsupported type in Blob: {type(part)}")


class Blob:
    """``Blob(parts, content_type=None)``: ``size``, ``content_type`` / ``type``, async ``text()`` / ``bytes()``."""

    def __init__(self, parts: Any = (), content_type: str | None = None, endings: str | None = None) -> None:
        if isinstance(parts, (str, bytes, bytearray, memoryview, Blob)):
            parts = [parts]
        self._data = b"".join(_part_bytes(p) for p in parts)
        self.content_type = (content_type or "").lower()

    @classmethod
    def new(cls, parts: Any = (), options: Any = None) -> Blob:
        options = options or {}
        return cls(parts, content_type=options.get("type"))

    @property
    def size(self) -> int:
        return len(self._data)

    @property
    def type(self) -> str:
        return self.content_type

    async def text(self) -> str:
        return self._data.decode("utf-8", errors="replace")

    async def bytes(self) -> bytes:
        return self._data

    async def arrayBuffer(self) -> builtins.bytes:
        return self._data

    def slice(self, start: int = 0, end: int | None = None, content_type: str | None = None) -> Blob:
        return Blob([self._data[start:end]], content_type=content_type)

    @property
    def js_object(self) -> Blob:
        return self


class File(Blob):
    """``File(parts, filename, content_type=None, last_modified=None)``."""

    def __init__(
        self,
        parts: Any = (),
        filename: str = "blob",
        content_type: str | None = None,
        endings: str | None = None,
        last_modified: int | None = None,
    ) -> None:
        super().__init__(parts, content_type, endings)
        self.filename = filename
        self.last_modified = last_modified if last_modified is not None else int(time.time() * 1000)

    @property
    def name(self) -> str:
        return self.filename

    @property
    def lastModified(self) -> int:
        return self.last_modified


class FormData(MutableMapping):  # type: ignore[type-arg]
    """The SDK's ``FormData``: a mutable mapping of first values, with ``append`` / ``get_all`` for repeats."""

    def __init__(self, init: Any = None) -> None:
        self._items: list[tuple[str, Any]] = []
        if isinstance(init, FormData):
            self._items = list(init._items)
        elif init:
            for key, value in dict(init).items():
                self._items.append((key, value))

    @classmethod
    def new(cls) -> FormData:
        return cls()

    def append(self, key: str, value: Any, filename: str | None = None) -> None:
        if filename is not None and isinstance(value, Blob):
            value = File([value], filename, content_type=value.content_type)
        self._items.append((key, value))

    def set(self, key: str, value: Any, filename: str | None = None) -> None:
        self.delete(key)
        self.append(key, value, filename)

    def delete(self, key: str) -> None:
        self._items = [(k, v) for k, v in self._items if k != key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        for k, v in self._items:
            if k == key:
                return v
        return default

    def get_all(self, key: str) -> list[Any]:
        return [v for k, v in self._items if k == key]

    getAll = get_all

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self._items)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return list(self._items)

    def entries(self) -> Iterator[list[Any]]:
        for k, v in self._items:
            yield [k, v]

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        if not self.has(key):
            raise KeyError(key)
        self.delete(key)

    def __iter__(self) -> Iterator[str]:
        seen: list[str] = []
        for k, _ in self._items:
            if k not in seen:
                seen.append(k)
        return iter(seen)

    def __len__(self) -> int:
        return len(set(k for k, _ in self._items))

    @property
    def js_object(self) -> FormData:
        return self

    def _encode(self) -> tuple[bytes, str]:
        boundary = f"----flarebind{uuid.uuid4().hex}"
        out = bytearray()
        for key, value in self._items:
            out += f"--{boundary}\r\n".encode()
            if isinstance(value, Blob):
                filename = value.filename if isinstance(value, File) else "blob"
                out += f'Content-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'.encode()
                out += f"Content-Type: {value.content_type or 'application/octet-stream'}\r\n\r\n".encode()
                out += value._data
            else:
                out += f'Content-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
                out += str(value).encode()
            out += b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return bytes(out), f"multipart/form-data; boundary={boundary}"


def parse_form(data: bytes, content_type: str | None) -> FormData:
    """Parse a ``multipart/form-data`` or ``application/x-www-form-urlencoded`` body."""
    from urllib.parse import parse_qsl

    form = FormData()
    ctype = (content_type or "").lower()
    if ctype.startswith("application/x-www-form-urlencoded"):
        for key, value in parse_qsl(data.decode(), keep_blank_values=True):
            form.append(key, value)
        return form
    if ctype.startswith("multipart/form-data"):
        from email.parser import BytesParser
        from email.policy import HTTP

        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + data)  # type: ignore[union-attr]
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = str(part.get_param("name", header="content-disposition"))
            filename = part.get_param("filename", header="content-disposition")
            payload: Any = part.get_payload(decode=True) or b""
            if filename is not None:
                form.append(name, File([payload], str(filename), content_type=part.get_content_type()))
            else:
                form.append(name, payload.decode(part.get_content_charset() or "utf-8"))
        return form
    raise TypeError(f'Parsing a Body as FormData requires a Content-Type header. Got: "{content_type}"')
