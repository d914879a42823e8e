"""Ids as workerd derives them, and the V8 value format it stores, checked against bytes written by wrangler dev."""

from __future__ import annotations

import datetime
import re

import pytest
from flarebind.runtime.durable_objects import v8
from flarebind.runtime.durable_objects.ids import IdFactory
from flarebind.runtime.durable_objects.migrations import MigrationError, sqlite_classes

# written by a JS Durable Object (class Counter of worker "probe") under wrangler 4.86 / workerd, read from _cf_KV
WRANGLER_VALUES = {
    "hello": "ff0f220568656c6c6f",
    "héllo ✓ 😀": "ff0f63146800e9006c006c006f002000132720003dd800de",
    42: "ff0f4954",
    -7: "ff0f490d",
    2**40: "ff0f4e0000000000007042",
    1.5: "ff0f4e000000000000f83f",
    True: "ff0f54",
    False: "ff0f46",
    None: "ff0f30",
    12345678901234567890: "ff0f5a10d20a1feb8ca954ab",
}


def exact(text: str) -> str:
    """Cloudflare's texts are compared whole, not as regexes."""
    return "^" + re.escape(text) + "$"


def starts(text: str) -> str:
    return "^" + re.escape(text)


def test_id_from_name_matches_workerd():
    # wrangler dev gave this id (and file name) to idFromName("probe") of class Counter in worker "probe"
    ids = IdFactory("probe-Counter")
    assert ids.from_name("probe") == "6c676d0f1329cd94a54c8102139188142c6131d8fb59931975bd797b305623b2"


def test_id_from_string_checks_namespace():
    ids, other = IdFactory("w-A"), IdFactory("w-B")
    unique = ids.unique()
    assert ids.check(unique.upper()) == unique
    with pytest.raises(TypeError, match=exact("Durable Object ID is not valid for this namespace.")):
        other.check(unique)
    with pytest.raises(TypeError, match=exact("Invalid Durable Object ID: must be 64 hex digits")):
        ids.check("abc")


@pytest.mark.parametrize("value", list(WRANGLER_VALUES))
def test_v8_scalars_byte_for_byte(value):
    assert v8.serialize(value).hex() == WRANGLER_VALUES[value]
    assert v8.deserialize(bytes.fromhex(WRANGLER_VALUES[value])) == value


def test_v8_containers_as_workerd_wrote_them():
    assert v8.deserialize(bytes.fromhex("ff0f41034902220374776f30240003")) == [1, "two", None]
    obj = v8.deserialize(bytes.fromhex("ff0f6f4906490822016149022201622201787b03"))
    assert obj == {"3": 4, "a": 1, "b": "x"} and obj.b == "x"
    assert v8.serialize({"3": 4, "a": 1, "b": "x"}).hex() == "ff0f6f4906490822016149022201622201787b03"
    assert bytes(v8.deserialize(bytes.fromhex("ff0f42030102035642000300"))) == b"\x01\x02\x03"
    assert v8.serialize(b"\x01\x02\x03").hex() == "ff0f42030102035642000300"
    assert bytes(v8.deserialize(bytes.fromhex("ff0f42020405"))) == b"\x04\x05"  # a bare ArrayBuffer
    when = v8.deserialize(bytes.fromhex("ff0f4400b08756febc7842"))
    assert when == datetime.datetime(2023, 11, 14, 22, 13, 20, 123000)
    assert v8.serialize(when).hex() == "ff0f4400b08756febc7842"
    assert v8.deserialize(bytes.fromhex("ff0f3b22016b49023a02")) == {"k": 1}
    assert v8.serialize(v8.JsMapValue(k=1)).hex() == "ff0f3b22016b49023a02"
    assert v8.deserialize(bytes.fromhex("ff0f2722016149042c02")) == {"a", 2}


def test_v8_refuses_what_cannot_be_cloned():
    with pytest.raises(TypeError, match="Unsupported type in RPC: tuple"):
        v8.serialize((1, 2))
    with pytest.raises(TypeError, match="Could not serialize object of type 'object'"):
        v8.serialize(object())
    loop: list = []
    loop.append(loop)
    with pytest.raises(TypeError, match="cycle"):
        v8.serialize(loop)


def test_migrations_pick_sqlite_classes_and_report_wrangler_errors():
    migrations = [
        {"tag": "v1", "new_classes": ["Old"], "new_sqlite_classes": ["A", "B"]},
        {"tag": "v2", "renamed_classes": [{"from": "A", "to": "C"}], "deleted_classes": ["B"]},
    ]
    assert sqlite_classes(migrations) == {"C"}
    with pytest.raises(MigrationError, match=exact("Cannot apply new_sqlite_classes migration to existing class A")):
        sqlite_classes([{"new_sqlite_classes": ["A"]}, {"new_sqlite_classes": ["A"]}])
    with pytest.raises(MigrationError, match=exact("Cannot apply deleted_classes migration to non-existent class X")):
        sqlite_classes([{"deleted_classes": ["X"]}])
