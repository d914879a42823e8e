"""Runtime API details beyond the conformance suite: streams, limits on streamed values, bulk size, coercions."""

from __future__ import annotations

import asyncio

import pytest
from flarebind.errors import JsException
from flarebind.testing.bindings import open_bindings

LIMIT = 25 * 1024 * 1024


async def chunks(n: int, size: int):
    for _ in range(n):
        yield b"\x07" * size


async def test_streamed_value_over_the_limit_reports_its_full_length(tmp_path):
    state = tmp_path / "state"
    async with open_bindings("local", persist_to=state) as make:
        kv = await make("kv_namespace", {"id": "s"})
        with pytest.raises(JsException) as info:
            await kv.put("big", chunks(27, 1 << 20))
        assert str(info.value) == f"KV PUT failed: 413 Value length of {27 << 20} exceeds limit of {LIMIT}."
        assert await kv.get("big") is None
        assert list((state / "v3" / "kv" / "s" / "blobs").iterdir()) == []
        await kv.put("exact", chunks(25, 1 << 20))
        assert len(await kv.get("exact", "arrayBuffer")) == LIMIT


async def test_a_failing_stream_leaves_nothing_behind(tmp_path):
    state = tmp_path / "state"

    async def broken():
        yield b"partial"
        raise RuntimeError("source failed")

    async with open_bindings("local", persist_to=state) as make:
        kv = await make("kv_namespace", {"id": "s"})
        await kv.put("k", "old")
        with pytest.raises(RuntimeError, match="source failed"):
            await kv.put("k", broken())
        assert await kv.get("k") == "old"
        assert len(list((state / "v3" / "kv" / "s" / "blobs").iterdir())) == 1


async def test_stream_read_survives_a_concurrent_overwrite(tmp_path):
    async with open_bindings("local", persist_to=tmp_path / "state") as make:
        kv = await make("kv_namespace", {"id": "s"})
        old = b"o" * (3 << 20)
        await kv.put("k", old)
        stream = await kv.get("k", "stream")
        first = await stream.__aiter__().__anext__()
        await kv.put("k", "new")  # removes the old blob file while the stream still reads it
        rest = [c async for c in stream]
        assert first + b"".join(rest) == old
        assert await kv.get("k") == "new"


async def test_stream_chunks_may_be_any_bytes_like(kv):
    async def mixed():
        yield b"a"
        yield bytearray(b"b")
        yield memoryview(b"c")

    await kv.put("k", mixed())
    assert await kv.get("k") == "abc"

    async def bad():
        yield 5

    with pytest.raises(TypeError):
        await kv.put("k2", bad())
    assert await kv.get("k2") is None


async def test_a_stream_from_get_can_be_put(kv):
    await kv.put("src", b"x" * 200_000)
    await kv.put("dst", await kv.get("src", "stream"))
    assert await kv.get("dst", "arrayBuffer") == b"x" * 200_000


async def test_bulk_get_total_size_limit():
    async with open_bindings("local") as make:
        kv = await make("kv_namespace", {"id": "b"})
        half = "x" * (LIMIT // 2 + 1)
        await kv.put("a", half)
        await kv.put("b", half)
        assert len((await kv.get(["a"]))["a"]) == len(half)
        with pytest.raises(JsException) as info:
            await kv.get(["a", "b"])
        assert str(info.value) == "KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB"


async def test_bulk_get_validates_cache_ttl(kv):
    await kv.put("a", "1")
    with pytest.raises(JsException) as info:
        await kv.get(["a"], {"type": "text", "cacheTtl": 5})
    assert str(info.value) == "KV GET_BULK failed: 400 Invalid cache_ttl of 5. Cache TTL must be at least 30."


async def test_keys_are_converted_like_js_strings(kv):
    await kv.put(7, "seven")
    assert await kv.get("7") == "seven"
    lone = "a\ud800b"  # a lone surrogate cannot be URL-decoded by the service (workerd/Miniflare's text)
    for op, call in (("PUT", kv.put(lone, "v")), ("GET", kv.get(lone)), ("DELETE", kv.delete(lone))):
        with pytest.raises(JsException, match=f"^KV {op} failed: 400 Could not URL-decode key name$"):
            await call
    with pytest.raises(TypeError):
        await kv.get(None)


async def test_other_objects_are_not_values(kv):
    with pytest.raises(TypeError) as info:
        await kv.put("k", object())
    assert str(info.value) == (
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
    )


async def test_made_up_cursor_decodes_leniently_as_miniflare(kv):
    await kv.put("a", "1")
    # Buffer.from(cursor, "base64") skips "!", takes "-" as "+"; the bytes are not UTF-8, so the start key begins
    # with U+FFFD and sorts after every key: no keys (as on Miniflare)
    assert [k["name"] for k in (await kv.list(cursor="!!not-a-cursor!!"))["keys"]] == []
    assert [k["name"] for k in (await kv.list(cursor="!!!!"))["keys"]] == ["a"]  # nothing decodable: from the top


async def test_list_result_shape_and_attribute_access(kv):
    await kv.put("a", "1")
    await kv.put("b", "1")
    page = await kv.list(limit=1)
    assert list(page) == ["keys", "list_complete", "cursor", "cacheStatus"]
    assert page.list_complete is False and page.cacheStatus is None
    assert page["keys"][0].name == "a"
    last = await kv.list(limit=1, cursor=page.cursor)
    assert list(last) == ["keys", "list_complete", "cacheStatus"]


async def test_get_with_metadata_shape(kv):
    await kv.put("a", "1", {"metadata": {"x": [1]}})
    result = await kv.getWithMetadata("a", {"type": "json"})
    assert result == {"value": 1, "metadata": {"x": [1]}, "cacheStatus": None}


async def test_bad_option_containers_are_type_errors(kv):
    with pytest.raises(TypeError):
        await kv.get("a", 5)
    with pytest.raises(TypeError):
        await kv.put("a", "v", "not options")
    with pytest.raises(TypeError):
        await kv.list("not options")
    with pytest.raises(TypeError):
        await kv.put("a", "v", metadata={1, 2})


async def test_concurrent_puts_from_many_tasks(kv):
    await asyncio.gather(*(kv.put(f"k{i:03d}", str(i)) for i in range(200)))
    await asyncio.gather(*(kv.put(f"k{i:03d}", f"again {i}") for i in range(0, 200, 2)))
    page = await kv.list()
    assert len(page["keys"]) == 200
    values = await asyncio.gather(*(kv.get(f"k{i:03d}") for i in range(200)))
    assert values == [f"again {i}" if i % 2 == 0 else str(i) for i in range(200)]


async def test_large_values_roundtrip(kv):
    data = bytes(range(256)) * (8 << 12)  # 8 MiB: written on a worker thread
    await kv.put("big", data)
    assert await kv.get("big", "arrayBuffer") == data
