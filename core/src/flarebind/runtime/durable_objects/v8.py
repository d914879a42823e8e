"""The V8 structured-clone wire format (``ValueSerializer`` version 15), as workerd stores Durable Object values.

Checked byte for byte against values written by a JS Durable Object under ``wrangler dev`` (``tests`` hold the
vectors). What maps both ways: ``None`` (JS null; undefined reads as ``None``), ``bool``, ``int`` (a JS number in the
safe-integer range, else a BigInt, as Pyodide converts), ``float``, ``str``, ``bytes`` / ``memoryview`` (a
``Uint8Array``; any typed array or ``ArrayBuffer`` reads back as ``memoryview``), ``datetime`` (a ``Date``, UTC),
``dict`` (a plain object; a ``to_js`` Map stays a ``Map``), ``list`` (an ``Array``), ``set`` (a ``Set``) and errors.
Not shared: RegExp, boxed primitives other than the common ones, shared/wasm objects, class instances (JS
``DataCloneError``; Python ``TypeError``), and object identity beyond back-references on read.
"""

from __future__ import annotations

import datetime
import math
import struct
from typing import Any

from flarebind.jsobject import JsObject

VERSION = 15
_SAFE = 2**53 - 1
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
# typed-array view subtags -> (struct item format, element size)
_VIEWS = {
    "b": "b",
    "B": "B",
    "C": "B",
    "w": "h",
    "W": "H",
    "d": "i",
    "D": "I",
    "f": "f",
    "F": "d",
    "q": "q",
    "Q": "Q",
    "?": "B",
}


class JsMapValue(dict):  # type: ignore[type-arg]
    """A JS ``Map`` read from storage (a ``dict``; written back as a ``Map``, not an object)."""


class DataCloneError(TypeError):
    """A value that structured clone cannot represent."""


# -- writing ------------------------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 31)


class _Writer:
    def __init__(self) -> None:
        self.buf = bytearray(b"\xff" + bytes([VERSION]))
        self.seen: set[int] = set()

    def string(self, text: str) -> None:
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            raw = text.encode("utf-16-le")
            length = _varint(len(raw))
            # V8 aligns two-byte string data to an even offset with padding tags
            if (len(self.buf) + 1 + len(length)) % 2:
                self.buf.append(0)
            self.buf += b"c" + length + raw
            return
        self.buf += b'"' + _varint(len(raw)) + raw

    def number(self, value: float) -> None:
        self.buf += b"N" + struct.pack("<d", value)

    def integer(self, value: int) -> None:
        if -(2**31) <= value < 2**31:
            self.buf += b"I" + _varint(_zigzag(value) & 0xFFFFFFFF)
        elif -_SAFE <= value <= _SAFE:
            self.number(float(value))
        else:
            self.bigint(value)

    def bigint(self, value: int) -> None:
        magnitude = abs(value)
        size = (magnitude.bit_length() + 63) // 64 * 8
        self.buf += b"Z" + _varint(size << 1 | (value < 0)) + magnitude.to_bytes(size, "little")

    def key(self, key: Any) -> None:
        text = str(key)
        if text.isdigit() and (text == "0" or not text.startswith("0")) and int(text) < 2**31:
            self.integer(int(text))  # array-index keys are numbers in V8's property list
        else:
            self.string(text)

    def value(self, value: Any) -> None:
        if value is None:
            self.buf += b"0"
        elif value is True:
            self.buf += b"T"
        elif value is False:
            self.buf += b"F"
        elif isinstance(value, int):
            self.integer(value)
        elif isinstance(value, float):
            self.number(value)
        elif isinstance(value, str):
            self.string(value)
        elif isinstance(value, (bytes, memoryview)):
            raw = bytes(value)
            self.buf += b"B" + _varint(len(raw)) + raw + b"VB" + _varint(0) + _varint(len(raw)) + _varint(0)
        elif isinstance(value, datetime.datetime):
            when = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
            self.buf += b"D" + struct.pack("<d", round((when - _EPOCH).total_seconds() * 1000))
        elif isinstance(value, BaseException):
            self.error(value)
        else:
            self._container(value)

    def _container(self, value: Any) -> None:
        if id(value) in self.seen:
            raise DataCloneError("Cannot store a value that contains itself (a cycle)")
        self.seen.add(id(value))
        try:
            if isinstance(value, (JsMapValue,)) or type(value).__name__ == "JsMap":
                self.buf += b";"
                for k, v in value.items():
                    self.value(k)
                    self.value(v)
                self.buf += b":" + _varint(2 * len(value))
            elif isinstance(value, dict):
                self.buf += b"o"
                for k, v in value.items():
                    self.key(k)
                    self.value(v)
                self.buf += b"{" + _varint(len(value))
            elif isinstance(value, list):
                self.buf += b"A" + _varint(len(value))
                for item in value:
                    self.value(item)
                self.buf += b"$" + _varint(0) + _varint(len(value))
            elif isinstance(value, (set, frozenset)):
                self.buf += b"'"
                for item in value:
                    self.value(item)
                self.buf += b"," + _varint(len(value))
            elif isinstance(value, (tuple, bytearray)):
                raise TypeError(f"Unsupported type in RPC: {type(value).__name__}")
            else:
                raise DataCloneError(
                    f"Could not serialize object of type {type(value).__name__!r}: Durable Object storage keeps "
                    "structured-cloneable values (None, bool, int, float, str, bytes, datetime, dict, list, set)"
                )
        finally:
            self.seen.discard(id(value))

    def error(self, exc: BaseException) -> None:
        prototypes = {TypeError: b"T", ValueError: b"R", SyntaxError: b"S"}
        self.buf += b"E"
        tag = prototypes.get(type(exc))
        if tag:
            self.buf += tag
        message = str(exc)
        if message:
            self.buf += b"m"
            self.string(message)
        self.buf += b"."


_HEADER = bytes([0xFF, VERSION])
_SMALL = {n: bytes([n]) for n in range(128)}
_SHORT_STRING = [_HEADER + b'"' + bytes([n]) for n in range(128)]  # header + one-byte string tag + its length


def serialize(value: Any) -> bytes:
    # fast paths for the values storage sees most (short Latin-1 strings, small ints); the writer does the rest
    if type(value) is str and len(value) < 128:
        try:
            return _SHORT_STRING[len(value)] + value.encode("latin-1")
        except UnicodeEncodeError:
            pass
    elif type(value) is int and -64 <= value < 64:
        return _HEADER + b"I" + _SMALL[(value << 1) ^ (value >> 63)]
    writer = _Writer()
    writer.value(value)
    return bytes(writer.buf)


# -- reading ------------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.objects: list[Any] = []

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    def raw(self, length: int) -> bytes:
        out = bytes(self.data[self.pos : self.pos + length])
        if len(out) != length:
            raise ValueError("truncated V8 value")
        self.pos += length
        return out

    def double(self) -> float:
        return float(struct.unpack("<d", self.raw(8))[0])

    def tag(self) -> int:
        while True:
            tag = self.byte()
            if tag != 0:  # padding
                return tag

    def peek_tag(self) -> int:
        pos = self.pos
        while self.data[pos] == 0:
            pos += 1
        return self.data[pos]

    def value(self) -> Any:
        tag = chr(self.tag())
        if tag in "_0":
            return None
        if tag == "T":
            return True
        if tag == "F":
            return False
        if tag == "I":
            raw = self.varint()
            return (raw >> 1) ^ -(raw & 1)
        if tag == "U":
            return self.varint()
        if tag == "N":
            return _number(self.double())
        if tag == "Z":
            bits = self.varint()
            magnitude = int.from_bytes(self.raw(bits >> 1), "little")
            return -magnitude if bits & 1 else magnitude
        if tag == '"':
            return self.raw(self.varint()).decode("latin-1")
        if tag == "c":
            return self.raw(self.varint()).decode("utf-16-le")
        if tag == "S":
            return self.raw(self.varint()).decode("utf-8")
        if tag == "^":
            return self.objects[self.varint()]
        if tag == "D":
            when = _EPOCH + datetime.timedelta(milliseconds=self.double())
            return self._keep(when.replace(tzinfo=None))
        if tag == "o":
            obj = self._keep(JsObject())
            self._properties(obj, ord("{"))
            return obj
        if tag == "A":
            length = self.varint()
            arr: list[Any] = self._keep([])
            for _ in range(length):
                if self.peek_tag() == ord("-"):
                    self.tag()
                    arr.append(None)
                else:
                    arr.append(self.value())
            extra: dict[str, Any] = {}
            self._properties(extra, ord("$"))
            self.varint()
            return arr
        if tag == "a":
            length = self.varint()
            sparse: list[Any] = self._keep([None] * length)
            props: dict[str, Any] = {}
            self._properties(props, ord("@"))
            self.varint()
            for k, v in props.items():
                if k.isdigit() and int(k) < length:
                    sparse[int(k)] = v
            return sparse
        if tag == ";":
            mapping = self._keep(JsMapValue())
            while self.peek_tag() != ord(":"):
                k = self.value()
                mapping[_hashable(k)] = self.value()
            self.tag()
            self.varint()
            return mapping
        if tag == "'":
            items: set[Any] = self._keep(set())
            while self.peek_tag() != ord(","):
                items.add(_hashable(self.value()))
            self.tag()
            self.varint()
            return items
        if tag == "B":
            buffer = self.raw(self.varint())
            index = len(self.objects)
            self.objects.append(memoryview(buffer))
            if self.pos < len(self.data) and self.peek_tag() == ord("V"):
                self.tag()
                self.objects[index] = self._view(buffer)
                return self.objects[index]
            return self.objects[index]
        if tag in "yxzs":
            inner: Any = {"y": True, "x": False}.get(tag)
            if tag in "zs":
                inner = self.value()
            return self._keep(inner)
        if tag == "E":
            return self._keep(self._error())
        raise ValueError(f"unsupported V8 serialization tag {tag!r} at offset {self.pos - 1}")

    def _view(self, buffer: bytes) -> Any:
        self.byte()  # subtag: every view reads back as bytes-like
        offset = self.varint()
        length = self.varint()
        self.varint()  # flags (version >= 14)
        view = memoryview(buffer[offset : offset + length])
        self.objects.append(view)
        return view

    def _keep(self, value: Any) -> Any:
        self.objects.append(value)
        return value

    def _properties(self, target: dict[str, Any], end: int) -> None:
        while self.peek_tag() != end:
            key = self.value()
            if isinstance(key, float) and key.is_integer():
                key = int(key)
            target[str(key)] = self.value()
        self.tag()
        self.varint()

    def _error(self) -> BaseException:
        kinds = {"E": Exception, "R": ValueError, "T": TypeError, "S": SyntaxError, "F": Exception, "U": Exception}
        cls: type[BaseException] = Exception
        message = ""
        while True:
            tag = chr(self.tag())
            if tag == ".":
                break
            if tag in kinds:
                cls = kinds[tag]
            elif tag == "m":
                message = self.value()
            elif tag == "s":
                self.value()  # stack
            elif tag == "c":
                self.value()  # cause
        return cls(message)


def _number(value: float) -> Any:
    if math.isfinite(value) and value.is_integer() and abs(value) <= _SAFE:
        return int(value)
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, (dict, set, memoryview)):
        return id(value)
    return value


def deserialize(data: bytes) -> Any:
    if len(data) > 3 and data[0] == 0xFF and data[1] == VERSION and data[2] == 0x22 and data[3] < 0x80:
        return data[4 : 4 + data[3]].decode("latin-1")  # a short one-byte string
    reader = _Reader(data)
    if reader.data[0] == 0xFF:
        reader.pos = 1
        reader.varint()  # version
    return reader.value()
