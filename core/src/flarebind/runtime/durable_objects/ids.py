"""Durable Object ids exactly as workerd derives them locally, so file names match wrangler's.

``key = SHA-256(unique_key)`` with Miniflare's ``unique_key = "<worker name>-<ClassName>"``; an id is 32 bytes
``a‖b``: ``a`` is ``HMAC-SHA256(key, name)[:16]`` for ``idFromName`` (16 random bytes for ``newUniqueId``) and ``b``
is ``HMAC-SHA256(key, a)[:16]``, which lets ``idFromString`` reject an id from another namespace.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class DurableObjectId:
    """``DurableObjectId``: ``toString()`` (64 lowercase hex), ``equals(other)``, ``name`` (only from a name)."""

    __slots__ = ("_hex", "_namespace", "jurisdiction", "name")

    def __init__(self, hex_id: str, name: str | None, namespace: Any = None) -> None:
        self._hex = hex_id
        self.name = name
        self.jurisdiction = None
        self._namespace = namespace

    def toString(self) -> str:
        return self._hex

    to_string = toString

    def __str__(self) -> str:
        return self._hex

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    def __hash__(self) -> int:
        return hash(self._hex)

    def __repr__(self) -> str:
        return f"DurableObjectId({self._hex!r}{', name=' + repr(self.name) if self.name is not None else ''})"


class IdFactory:
    """Derives and checks the ids of one namespace (one ``unique_key``)."""

    def __init__(self, unique_key: str) -> None:
        self.unique_key = unique_key
        self._key = hashlib.sha256(unique_key.encode()).digest()

    def _mac(self, first: bytes) -> bytes:
        return hmac.new(self._key, first, hashlib.sha256).digest()[:16]

    def from_name(self, name: str) -> str:
        first = hmac.new(self._key, name.encode(), hashlib.sha256).digest()[:16]
        return (first + self._mac(first)).hex()

    def unique(self) -> str:
        first = os.urandom(16)
        return (first + self._mac(first)).hex()

    def check(self, text: Any) -> str:
        """The normalised id for ``text``, or the TypeError workerd raises."""
        if not isinstance(text, str) or not _HEX64.fullmatch(text):
            raise TypeError("Invalid Durable Object ID: must be 64 hex digits")
        raw = bytes.fromhex(text)
        if not hmac.compare_digest(self._mac(raw[:16]), raw[16:]):
            raise TypeError("Durable Object ID is not valid for this namespace.")
        return text.lower()
