"""The parts of the JS global scope (``from js import …``) that Python Worker code commonly uses."""

from __future__ import annotations

import base64
import json as _json
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flarebind.errors import JsException
from flarebind.jsobject import JsObject
from flarebind.runtime.sdk.headers import JsMapAccess


class JsProxy:
    """Base class of the objects flarebind hands out as JS values (``isinstance(x, JsProxy)`` checks)."""

    def to_py(self, **kwargs: Any) -> Any:
        return self


class _JsNull:
    """``pyodide.ffi.jsnull``: JS ``null`` — falsy, but not ``None``."""

    _instance: _JsNull | None = None

    def __new__(cls) -> _JsNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "jsnull"


jsnull = _JsNull()


class URLSearchParams(JsMapAccess, JsProxy):
    def __init__(self, init: Any = "") -> None:
        if isinstance(init, str):
            self._pairs = parse_qsl(init.lstrip("?"), keep_blank_values=True)
        elif isinstance(init, dict):
            self._pairs = [(str(k), str(v)) for k, v in init.items()]
        else:
            self._pairs = [(str(k), str(v)) for k, v in (init or [])]
        self._owner: URL | None = None

    @classmethod
    def new(cls, init: Any = "") -> URLSearchParams:
        return cls(init)

    def _changed(self) -> None:
        if self._owner is not None:
            self._owner._query = str(self)

    def get(self, name: str) -> str | None:
        for k, v in self._pairs:
            if k == name:
                return v
        return None

    def getAll(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self._pairs)

    def set(self, name: str, value: Any) -> None:
        # JS keeps the first occurrence's position and drops the rest
        out: list[tuple[str, str]] = []
        done = False
        for k, v in self._pairs:
            if k == name:
                if not done:
                    out.append((name, str(value)))
                    done = True
            else:
                out.append((k, v))
        if not done:
            out.append((name, str(value)))
        self._pairs = out
        self._changed()

    def append(self, name: str, value: Any) -> None:
        self._pairs.append((name, str(value)))
        self._changed()

    def delete(self, name: str) -> None:
        self._pairs = [(k, v) for k, v in self._pairs if k != name]
        self._changed()

    def entries(self) -> Iterator[list[str]]:
        for k, v in self._pairs:
            yield [k, v]

    def keys(self) -> Iterator[str]:
        return (k for k, _ in self._pairs)

    def toString(self) -> str:
        return urlencode(self._pairs)

    def __str__(self) -> str:
        return self.toString()


class URL(JsProxy):
    """WHATWG-style ``URL``: settable ``hostname`` / ``pathname`` / ``search``, ``searchParams``, ``toString()``."""

    def __init__(self, url: Any, base: Any = None) -> None:
        from urllib.parse import urljoin

        text = str(url)
        if base is not None:
            text = urljoin(str(base), text)
        parts = urlsplit(text)
        if not parts.scheme:
            raise TypeError(f"Invalid URL string: {text}")
        self.protocol = parts.scheme + ":"
        self._netloc = parts.netloc
        self._path = parts.path or "/"
        self._query = parts.query
        self.hash = f"#{parts.fragment}" if parts.fragment else ""

    @classmethod
    def new(cls, url: Any, base: Any = None) -> URL:
        return cls(url, base)

    @property
    def host(self) -> str:
        return self._netloc.rsplit("@", 1)[-1]

    @host.setter
    def host(self, value: str) -> None:
        self._netloc = value

    @property
    def hostname(self) -> str:
        return urlsplit(f"//{self.host}").hostname or ""

    @hostname.setter
    def hostname(self, value: str) -> None:
        port = self.port
        self._netloc = f"{value}:{port}" if port else value

    @property
    def port(self) -> str:
        port = urlsplit(f"//{self.host}").port
        return str(port) if port else ""

    @port.setter
    def port(self, value: Any) -> None:
        self._netloc = f"{self.hostname}:{value}" if value else self.hostname

    @property
    def pathname(self) -> str:
        return self._path

    @pathname.setter
    def pathname(self, value: str) -> None:
        self._path = value if value.startswith("/") else "/" + value

    @property
    def search(self) -> str:
        return f"?{self._query}" if self._query else ""

    @search.setter
    def search(self, value: str) -> None:
        self._query = value.lstrip("?")

    @property
    def searchParams(self) -> URLSearchParams:
        params = URLSearchParams(self._query)
        params._owner = self
        return params

    @property
    def origin(self) -> str:
        return f"{self.protocol}//{self.host}"

    @property
    def href(self) -> str:
        return urlunsplit((self.protocol[:-1], self._netloc, self._path, self._query, self.hash[1:]))

    def toString(self) -> str:
        return self.href

    def __str__(self) -> str:
        return self.href

    def __repr__(self) -> str:
        return f"URL({self.href!r})"


class Object:
    @staticmethod
    def fromEntries(entries: Any) -> JsObject:
        if hasattr(entries, "items") and not isinstance(entries, (list, tuple)):
            entries = entries.items()
        return JsObject((k, v) for k, v in entries)

    @staticmethod
    def keys(obj: Any) -> list[str]:
        return list(obj.keys())

    @staticmethod
    def entries(obj: Any) -> list[list[Any]]:
        return [[k, v] for k, v in obj.items()]

    @staticmethod
    def assign(target: Any, *sources: Any) -> Any:
        for source in sources:
            target.update(source)
        return target

    @staticmethod
    def new() -> JsObject:
        return JsObject()


def _plain(value: Any) -> Any:
    if value is jsnull:
        return None
    if isinstance(value, JsProxy):
        return value.to_py()
    return value


class JSON:
    @staticmethod
    def stringify(value: Any, replacer: Any = None, space: Any = None) -> str:
        indent = space if isinstance(space, (int, str)) and space else None
        separators = (",", ": ") if indent else (",", ":")
        return _json.dumps(value, default=_plain, indent=indent, separators=separators, ensure_ascii=False)

    @staticmethod
    def parse(text: Any) -> Any:
        from flarebind.jsobject import js_object

        try:
            return js_object(_json.loads(str(text)))
        except ValueError as exc:
            raise JsException(f"Unexpected token in JSON: {exc}", name="SyntaxError") from None


def _text(args: tuple[Any, ...]) -> str:
    return " ".join(
        a if isinstance(a, str) else JSON.stringify(a) if isinstance(a, (dict, list)) else repr(a) for a in args
    )


def _log(*args: Any) -> None:
    print(_text(args), flush=True)


def _log_error(*args: Any) -> None:
    print(_text(args), file=sys.stderr, flush=True)


class console:
    # as in wrangler dev: log/info/debug on stdout, warn/error on stderr
    log = staticmethod(_log)
    info = staticmethod(_log)
    debug = staticmethod(_log)
    warn = staticmethod(_log_error)
    error = staticmethod(_log_error)


class Date:
    @staticmethod
    def now() -> int:
        return int(time.time() * 1000)

    @classmethod
    def new(cls, value: Any = None) -> Any:
        import datetime

        ms = cls.now() if value is None else float(value)
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


class TextEncoder:
    @classmethod
    def new(cls) -> TextEncoder:
        return cls()

    def encode(self, text: str = "") -> bytes:
        return text.encode()


class TextDecoder:
    @classmethod
    def new(cls, label: str = "utf-8") -> TextDecoder:
        return cls()

    def decode(self, data: Any = b"") -> str:
        return bytes(data).decode()


class Error(JsException):
    @classmethod
    def new(cls, message: str = "") -> Error:
        return cls(message)


def btoa(text: str) -> str:
    return base64.b64encode(text.encode("latin-1")).decode()


def atob(text: str) -> str:
    return base64.b64decode(text).decode("latin-1")


def _algorithm_name(algorithm: Any) -> str:
    if isinstance(algorithm, str):
        return algorithm.upper()
    name = algorithm.get("name") if hasattr(algorithm, "get") else getattr(algorithm, "name", None)
    return str(name).upper()


_HASHES = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "MD5": "md5"}


def _hash_of(algorithm: Any) -> str:
    name = _algorithm_name(algorithm)
    if name not in _HASHES:
        raise JsException(f"Unrecognized algorithm name: {name}", name="NotSupportedError")
    return _HASHES[name]


class CryptoKey(JsProxy):
    def __init__(self, secret: bytes, algorithm: Any, extractable: bool, usages: Any) -> None:
        self._secret = secret
        hash_name = algorithm.get("hash") if hasattr(algorithm, "get") else getattr(algorithm, "hash", None)
        self.algorithm = JsObject(name=_algorithm_name(algorithm), hash=JsObject(name=_algorithm_name(hash_name)))
        self.extractable = bool(extractable)
        self.usages = list(usages or [])
        self.type = "secret"


class SubtleCrypto:
    """The HMAC / digest part of ``crypto.subtle`` (what Python Worker examples sign and verify with)."""

    async def digest(self, algorithm: Any, data: Any) -> bytes:
        import hashlib

        return hashlib.new(_hash_of(algorithm), bytes(data)).digest()

    async def importKey(
        self, format: str, key_data: Any, algorithm: Any, extractable: bool = False, usages: Any = None
    ) -> CryptoKey:
        if format != "raw" or _algorithm_name(algorithm) != "HMAC":
            got = f"{format!r}, {_algorithm_name(algorithm)!r}"
            raise JsException(
                f"flarebind's crypto.subtle imports only raw HMAC keys (got {got})", name="NotSupportedError"
            )
        return CryptoKey(bytes(key_data), algorithm, extractable, usages)

    async def sign(self, algorithm: Any, key: CryptoKey, data: Any) -> bytes:
        import hmac

        return hmac.new(key._secret, bytes(data), _hash_of(key.algorithm["hash"]["name"])).digest()

    async def verify(self, algorithm: Any, key: CryptoKey, signature: Any, data: Any) -> bool:
        import hmac

        return hmac.compare_digest(await self.sign(algorithm, key, data), bytes(signature))

    def timingSafeEqual(self, a: Any, b: Any) -> bool:
        import hmac

        if len(bytes(a)) != len(bytes(b)):
            raise TypeError("Input buffers must have the same byte length")
        return hmac.compare_digest(bytes(a), bytes(b))


class crypto:
    subtle = SubtleCrypto()

    @staticmethod
    def randomUUID() -> str:
        import uuid

        return str(uuid.uuid4())

    @staticmethod
    def getRandomValues(array: Any) -> Any:
        import os

        data = os.urandom(len(array))
        if isinstance(array, bytearray):
            array[:] = data
            return array
        return type(array)(data) if isinstance(array, bytes) else data
