"""List cursors as Miniflare reads them: ``Buffer.from(cursor, "base64").toString("utf8")``.

Node's base64 decoder is lenient: it accepts the URL-safe alphabet (``-`` and ``_``) beside the standard one, skips
any other character, stops at the first ``=``, and drops trailing bits that do not make a byte; invalid UTF-8 then
becomes U+FFFD. A made-up cursor (``"not-a-cursor"``) therefore decodes to text starting with U+FFFD, which sorts
after every ordinary key, so the list is empty, as on Miniflare. KV and R2 both use this.
"""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)} | {"-": 62, "_": 63}


def node_base64_decode(text: str) -> bytes:
    out = bytearray()
    bits = 0
    count = 0
    for char in text:
        if char == "=":
            break
        value = _VALUES.get(char)
        if value is None:
            continue
        bits = ((bits << 6) | value) & 0xFFFF
        count += 6
        if count >= 8:
            count -= 8
            out.append((bits >> count) & 0xFF)
    return bytes(out)


def decode_list_cursor(cursor: str) -> str:
    """The key a list cursor starts after (see the module docs)."""
    return node_base64_decode(cursor).decode("utf-8", "replace")
