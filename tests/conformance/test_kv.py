"""KV conformance: the Workers runtime API and Cloudflare's exact error texts, against the binding interface.

Runs on every available path (``local`` always; ``remote`` with ``FLAREBIND_CONFORMANCE_REMOTE=1``). A remote
namespace is shared between tests, so each test works under its own random key prefix and never assumes the
namespace is empty. Time-dependent behaviour (expiry) needs a fake clock and lives in the plugin's own tests.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from flarebind.errors import JsException


@pytest.fixture
async def kv(make_binding):
    return await make_binding("kv_namespace", {"id": "conf-kv"})


@pytest.fixture
def p() -> str:
    """A key prefix private to the test."""
    return f"t-{uuid.uuid4().hex[:10]}/"


async def _raises(exc_type, message, awaitable):
    with pytest.raises(exc_type) as info:
        await awaitable
    assert str(info.value) == message
    return info.value


# -- values and types -----------------------------------------------------------------------------------------------


async def test_put_get_text_roundtrip(kv, p):
    assert await kv.put(p + "a", "hello wörld") is None
    assert await kv.get(p + "a") == "hello wörld"
    assert await kv.get(p + "a", "text") == "hello wörld"
    assert await kv.get(p + "a", type="text") == "hello wörld"
    assert await kv.get(p + "a", {"type": "text"}) == "hello wörld"


async def test_missing_key_is_none_for_every_type(kv, p):
    for type_ in ("text", "json", "arrayBuffer", "stream"):
        assert await kv.get(p + "nope", type_) is None
    result = await kv.getWithMetadata(p + "nope")
    assert result["value"] is None and result["metadata"] is None
    assert "cacheStatus" in result


async def test_json_type(kv, p):
    await kv.put(p + "j", json.dumps({"a": [1, 2, {"b": None}], "c": "é"}))
    assert await kv.get(p + "j", "json") == {"a": [1, 2, {"b": None}], "c": "é"}
    assert await kv.get(p + "j", type="json") == {"a": [1, 2, {"b": None}], "c": "é"}


async def test_json_type_on_non_json_value_is_a_syntax_error(kv, p):
    await kv.put(p + "t", "not json")
    with pytest.raises(JsException) as info:
        await kv.get(p + "t", "json")
    assert info.value.name == "SyntaxError"


async def test_array_buffer_returns_the_exact_bytes(kv, p):
    data = bytes(range(256)) * 4
    await kv.put(p + "bin", data)
    assert bytes(await kv.get(p + "bin", "arrayBuffer")) == data


async def test_bytes_likes_are_accepted(kv, p):
    await kv.put(p + "ba", bytearray(b"\x01\x02"))
    await kv.put(p + "mv", memoryview(b"\x00abc\xff")[1:4])
    assert bytes(await kv.get(p + "ba", "arrayBuffer")) == b"\x01\x02"
    assert bytes(await kv.get(p + "mv", "arrayBuffer")) == b"abc"


async def test_stream_get_yields_the_value_in_chunks(kv, p):
    data = b"0123456789" * 20_000
    await kv.put(p + "s", data)
    stream = await kv.get(p + "s", "stream")
    chunks = [bytes(c) async for c in stream]
    assert b"".join(chunks) == data


async def test_put_from_an_async_byte_stream(kv, p):
    async def produce():
        for i in range(5):
            yield f"part{i};".encode()

    await kv.put(p + "streamed", produce())
    assert await kv.get(p + "streamed") == "part0;part1;part2;part3;part4;"


async def test_overwrite_replaces_value_and_metadata(kv, p):
    await kv.put(p + "o", "one", metadata={"v": 1})
    await kv.put(p + "o", "two")
    result = await kv.getWithMetadata(p + "o")
    assert result["value"] == "two"
    assert result["metadata"] is None


async def test_empty_value(kv, p):
    await kv.put(p + "empty", "")
    assert await kv.get(p + "empty") == ""
    assert bytes(await kv.get(p + "empty", "arrayBuffer")) == b""


async def test_unknown_get_type_is_a_type_error_only_for_present_keys(kv, p):
    assert await kv.get(p + "missing", "blob") is None
    await kv.put(p + "x", "v")
    await _raises(
        TypeError,
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".',
        kv.get(p + "x", "blob"),
    )


async def test_get_with_metadata(kv, p):
    await kv.put(p + "m", "val", metadata={"someMetadataKey": "someMetadataValue", "n": 3})
    result = await kv.getWithMetadata(p + "m")
    assert result["value"] == "val"
    assert result["metadata"] == {"someMetadataKey": "someMetadataValue", "n": 3}
    assert result.value == "val"  # attribute access, as the SDK's JsDict
    json_result = await kv.getWithMetadata(p + "m", "text")
    assert json_result["value"] == "val"


async def test_delete(kv, p):
    await kv.put(p + "d", "x")
    assert await kv.delete(p + "d") is None
    assert await kv.get(p + "d") is None
    assert await kv.delete(p + "never-existed") is None


# -- bulk get ------------------------------------------------------------------------------------------------------


async def test_bulk_get_maps_keys_to_values_or_none(kv, p):
    await kv.put(p + "1", "one")
    await kv.put(p + "2", "two")
    result = await kv.get([p + "1", p + "2", p + "3"])
    assert dict(result) == {p + "1": "one", p + "2": "two", p + "3": None}


async def test_bulk_get_json_and_with_metadata(kv, p):
    await kv.put(p + "a", '{"x": 1}', metadata={"m": True})
    await kv.put(p + "b", "[1, 2]")
    assert dict(await kv.get([p + "a", p + "b"], "json")) == {p + "a": {"x": 1}, p + "b": [1, 2]}
    result = await kv.getWithMetadata([p + "a", p + "b", p + "c"], {"type": "json"})
    assert result[p + "a"] == {"value": {"x": 1}, "metadata": {"m": True}}
    assert result[p + "b"] == {"value": [1, 2], "metadata": None}
    assert result[p + "c"] is None


async def test_bulk_get_rules(kv, p):
    await _raises(JsException, "KV GET_BULK failed: 400 You must request a minimum of 1 key", kv.get([]))
    keys = [f"{p}{i}" for i in range(101)]
    await _raises(JsException, "KV GET_BULK failed: 400 You can request a maximum of 100 keys", kv.get(keys))
    assert len(await kv.get(keys[:100])) == 100
    await _raises(
        JsException,
        'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"',
        kv.get([p + "a"], "arrayBuffer"),
    )
    await _raises(
        JsException,
        'KV GET_BULK failed: 400 "stream" is not a valid type. Use "json" or "text"',
        kv.get([p + "a"], {"type": "stream"}),
    )
    await kv.put(p + "plain", "not json")
    await _raises(
        JsException,
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value",
        kv.get([p + "plain"], "json"),
    )
    await _raises(JsException, "KV GET_BULK failed: 400 Key names must not be empty", kv.get([p + "a", ""]))
    await _raises(
        JsException, 'KV GET_BULK failed: 400 Illegal key name "..". Please use a different name.', kv.get([".."])
    )
    await _raises(
        JsException,
        "KV GET_BULK failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
        kv.get(["k" * 513]),
    )


# -- list -----------------------------------------------------------------------------------------------------------


async def test_list_returns_names_expiration_metadata(kv, p):
    await kv.put(p + "b", "2", metadata={"tag": "b"})
    await kv.put(p + "a", "1")
    before = int(time.time())
    await kv.put(p + "c", "3", expirationTtl=3600)
    result = await kv.list(prefix=p)
    assert result["list_complete"] is True
    assert "cursor" not in result or not result["cursor"]
    assert "cacheStatus" in result
    keys = result["keys"]
    assert [k["name"] for k in keys] == [p + "a", p + "b", p + "c"]
    assert keys[0] == {"name": p + "a"}
    assert keys[1] == {"name": p + "b", "metadata": {"tag": "b"}}
    assert before + 3600 - 5 <= keys[2]["expiration"] <= int(time.time()) + 3600 + 5


async def test_list_options_as_dict(kv, p):
    await kv.put(p + "x", "1")
    result = await kv.list({"prefix": p})
    assert [k["name"] for k in result["keys"]] == [p + "x"]


async def test_list_pagination_with_opaque_cursors(kv, p):
    names = [f"{p}{i:03d}" for i in range(25)]
    for name in reversed(names):
        await kv.put(name, "v")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await kv.list(prefix=p, limit=10, cursor=cursor)
        pages += 1
        seen += [k["name"] for k in page["keys"]]
        if page["list_complete"]:
            break
        assert isinstance(page["cursor"], str) and page["cursor"]
        assert len(page["keys"]) == 10
        cursor = page["cursor"]
    assert seen == names
    assert pages == 3


async def test_list_is_in_utf8_byte_order(kv, p):
    # UTF-16 order would put U+FF5E before U+1F600 (a surrogate pair); UTF-8 byte order puts it after
    names = ["a", "B", "é", "～", "😀", "z", "\u00ff", "ab"]
    for name in names:
        await kv.put(p + name, "v")
    listed = [k["name"][len(p) :] for k in (await kv.list(prefix=p))["keys"]]
    assert listed == sorted(names, key=lambda s: s.encode("utf-8"))
    assert listed.index("～") < listed.index("😀")


async def test_list_limit_rules(kv, p):
    await kv.put(p + "1", "v")
    await _raises(
        JsException,
        "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.",
        kv.list(prefix=p, limit=1001),
    )
    # the runtime drops limit <= 0 (the service default of 1000 applies)
    assert [k["name"] for k in (await kv.list(prefix=p, limit=0))["keys"]] == [p + "1"]
    assert (await kv.list(prefix=p, limit=1000))["list_complete"] is True
    await _raises(
        JsException,
        "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
        kv.list(prefix="p" * 513),
    )


# -- validation: keys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Key name cannot be empty."),
        (".", '"." is not allowed as a key name.'),
        ("..", '".." is not allowed as a key name.'),
    ],
)
async def test_illegal_keys_are_type_errors(kv, key, message):
    await _raises(TypeError, message, kv.get(key))
    await _raises(TypeError, message, kv.getWithMetadata(key))
    await _raises(TypeError, message, kv.put(key, "v"))
    await _raises(TypeError, message, kv.delete(key))


async def test_key_length_limit_is_512_utf8_bytes(kv, p):
    ok = "k" * 512
    await kv.put(ok, "v")
    assert await kv.get(ok) == "v"
    await kv.delete(ok)
    long = "é" * 257  # 514 bytes, 257 characters
    for op, call in (("GET", kv.get(long)), ("PUT", kv.put(long, "v")), ("DELETE", kv.delete(long))):
        await _raises(
            JsException, f"KV {op} failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512.", call
        )
    await _raises(
        JsException,
        "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.",
        kv.getWithMetadata("x" * 513),
    )


# -- validation: put options -----------------------------------------------------------------------------------------


async def test_expiration_ttl_rules(kv, p):
    await _raises(
        JsException,
        "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.",
        kv.put(p + "k", "v", expirationTtl=59),
    )
    await _raises(
        JsException,
        "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        kv.put(p + "k", "v", expirationTtl=0),
    )
    await _raises(
        JsException,
        "KV PUT failed: 400 Invalid expiration_ttl of -5. Please specify integer greater than 0.",
        kv.put(p + "k", "v", {"expirationTtl": -5}),
    )
    assert await kv.get(p + "k") is None
    await kv.put(p + "k", "v", expirationTtl=60)
    assert await kv.get(p + "k") == "v"


async def test_expiration_rules(kv, p):
    now = int(time.time())
    await _raises(
        JsException,
        f"KV PUT failed: 400 Invalid expiration of {now - 10}. Please specify integer greater than the current "
        "number of seconds since the UNIX epoch.",
        kv.put(p + "k", "v", expiration=now - 10),
    )
    await _raises(
        JsException,
        f"KV PUT failed: 400 Invalid expiration of {now + 30}. Expiration times must be at least 60 seconds in "
        "the future.",
        kv.put(p + "k", "v", expiration=now + 30),
    )
    await kv.put(p + "k", "v", expiration=now + 600)
    listed = (await kv.list(prefix=p))["keys"]
    assert listed == [{"name": p + "k", "expiration": now + 600}]


async def test_expiration_ttl_wins_over_expiration(kv, p):
    now = int(time.time())
    await kv.put(p + "k", "v", expiration=now + 100_000, expirationTtl=120)
    (entry,) = (await kv.list(prefix=p))["keys"]
    assert now + 110 <= entry["expiration"] <= now + 130


async def test_metadata_limit_is_1024_bytes_of_json(kv, p):
    fits = {"k": "x" * (1024 - len('{"k":""}'))}
    await kv.put(p + "m", "v", metadata=fits)
    assert (await kv.getWithMetadata(p + "m"))["metadata"] == fits
    too_big = {"k": "x" * (1025 - len('{"k":""}'))}
    await _raises(
        JsException,
        "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.",
        kv.put(p + "m2", "v", metadata=too_big),
    )
    assert await kv.get(p + "m2") is None


async def test_value_limit_is_25_mib(kv, p):
    limit = 25 * 1024 * 1024
    await _raises(
        JsException,
        f"KV PUT failed: 413 Value length of {limit + 1} exceeds limit of {limit}.",
        kv.put(p + "big", b"\0" * (limit + 1)),
    )
    assert await kv.get(p + "big") is None
    await kv.put(p + "big", b"\1" * limit)
    assert len(await kv.get(p + "big", "arrayBuffer")) == limit
    await kv.delete(p + "big")


async def test_cache_ttl_minimum_is_30(kv, p):
    await kv.put(p + "c", "v")
    await _raises(
        JsException,
        "KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.",
        kv.get(p + "c", {"cacheTtl": 10}),
    )
    await _raises(
        JsException,
        "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30.",
        kv.getWithMetadata(p + "c", cacheTtl=29),
    )
    assert await kv.get(p + "c", {"cacheTtl": 30}) == "v"
    assert await kv.get(p + "c", type="text", cacheTtl=60) == "v"


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], {1, 2}])
async def test_unsupported_put_values_are_type_errors(kv, p, value):
    await _raises(
        TypeError,
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.",
        kv.put(p + "k", value),
    )
    assert await kv.get(p + "k") is None


async def test_primitive_values_are_stored_as_their_js_string(kv, p):
    await kv.put(p + "n", 42)
    await kv.put(p + "f", 1.5)
    await kv.put(p + "b", True)
    assert [await kv.get(p + k) for k in ("n", "f", "b")] == ["42", "1.5", "true"]


# -- as the Python Workers SDK presents a KV binding (workers-runtime-sdk; its own tests pin these) ------------------


async def test_array_buffer_values_are_memoryviews(kv, p):
    await kv.put(p + "bin", b"\x00\x01binary")
    value = await kv.get(p + "bin", "arrayBuffer")
    assert isinstance(value, memoryview)  # the SDK converts an ArrayBuffer to a memoryview
    assert value.tobytes() == b"\x00\x01binary"
    with_metadata = await kv.getWithMetadata(p + "bin", "arrayBuffer")
    assert isinstance(with_metadata["value"], memoryview)


async def test_binding_is_truthy_not_iterable_and_has_no_len(kv):
    assert bool(kv) is True
    with pytest.raises(TypeError) as iterating:
        iter(kv)
    assert str(iterating.value) == "'KvNamespace' object is not iterable"
    with pytest.raises(TypeError) as measuring:
        len(kv)
    assert str(measuring.value) == "'KvNamespace' object has no len()"
