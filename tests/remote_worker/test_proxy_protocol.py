"""The proxy worker's protocol edges, over real HTTP to workerd: auth, versioning, refusals, error mapping."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from flarebind.errors import JsException
from flarebind.remote.channel import HttpChannel
from flarebind.remote.codec import UNDEFINED, Pipeline, StreamArg
from flarebind.remote.protocol import CALL_PATH, INFO_PATH, SECRET_HEADER, RemoteProtocolError


async def test_info_lists_bindings_by_kind(channel, dev_proxy):
    info = await channel.info()
    assert info["protocol"] == 1
    assert info["bindings"]["FB_KV_0"] == "KvNamespace"
    assert info["bindings"]["FB_R2_0"] == "R2Bucket"
    assert info["bindings"]["FB_DB_0"] == "D1Database"
    assert "FLAREBIND_PROXY_SECRET" not in info["bindings"]


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
async def test_requests_without_the_right_secret_get_401_and_touch_nothing(dev_proxy, headers, channel):
    await channel.call("FB_KV_2", [{"call": "put", "args": ["guarded", "before"]}])
    async with httpx.AsyncClient(trust_env=False) as client:
        r = await client.post(
            f"{dev_proxy.url}/{CALL_PATH}",
            headers=headers,
            json={"binding": "FB_KV_2", "calls": [{"call": "put", "args": ["guarded", "after"]}]},
        )
        assert r.status_code == 401
        assert "X-Flarebind-Proxy-Secret" in r.json()["error"]["message"]
        r = await client.get(f"{dev_proxy.url}/{INFO_PATH}", headers=headers)
        assert r.status_code == 401
    assert await channel.call("FB_KV_2", [{"call": "get", "args": ["guarded"]}]) == "before"


async def test_unknown_protocol_version_is_a_clear_400(dev_proxy):
    async with httpx.AsyncClient(trust_env=False) as client:
        r = await client.post(
            f"{dev_proxy.url}/__flarebind/v2/call",
            headers={SECRET_HEADER: dev_proxy.secret},
            json={"binding": "FB_KV_0", "calls": []},
        )
    assert r.status_code == 400
    assert "version v2 is not supported" in r.json()["error"]["message"]


async def test_unknown_binding_and_forbidden_names_are_refused(channel):
    with pytest.raises(RemoteProtocolError, match='Binding "NOPE" not found') as info:
        await channel.call("NOPE", [{"call": "get", "args": ["k"]}])
    assert info.value.status == 400
    with pytest.raises(RemoteProtocolError, match=r"secret|not found"):
        await channel.call("FLAREBIND_PROXY_SECRET", [{"get": "length"}])
    for op in ({"get": "constructor"}, {"call": "__proto__"}, {"get": "_private"}):
        with pytest.raises(RemoteProtocolError, match="cannot be used through the flarebind proxy"):
            await channel.call("FB_KV_0", [op])


async def test_js_errors_cross_with_their_type_and_exact_message(channel):
    with pytest.raises(TypeError, match=r"^Key name cannot be empty\.$"):
        await channel.call("FB_KV_0", [{"call": "get", "args": [""]}])
    with pytest.raises(JsException) as info:
        await channel.call("FB_DB_0", [{"call": "prepare", "args": ["SELECT * FROM no_such_table"]}, {"call": "all"}])
    assert str(info.value) == "D1_ERROR: no such table: no_such_table: SQLITE_ERROR"
    assert info.value.name == "Error"
    with pytest.raises(
        ValueError, match=r"Invalid range\. Starting offset \(-1\) must be greater than or equal to 0\."
    ):
        await channel.call("FB_R2_0", [{"call": "get", "args": ["k", {"range": {"offset": -1}}]}])


async def test_values_round_trip_through_tags(channel):
    value = {"bytes": b"\x00\xff", "nested": [1, 2.5, None, "x"], "$dollar": True, "big": 2**60}
    await channel.call("FB_KV_1", [{"call": "put", "args": ["tagged", b"\x00\x01\x02"]}])
    assert await channel.call("FB_KV_1", [{"call": "get", "args": ["tagged", "arrayBuffer"]}]) == b"\x00\x01\x02"
    # bulk get answers with a Map
    await channel.call("FB_KV_1", [{"call": "put", "args": ["a", "1"]}])
    assert await channel.call("FB_KV_1", [{"call": "get", "args": [["a", "missing"]]}]) == {"a": "1", "missing": None}
    # undefined arguments are omitted, `undefined` results become None
    assert await channel.call("FB_KV_1", [{"call": "put", "args": ["u", "v", UNDEFINED]}]) is None
    # plain objects with $-keys are escaped and come back intact through a D1 JSON column
    rows = await channel.call(
        "FB_DB_1",
        [
            {"call": "prepare", "args": ["SELECT ? AS j, ? AS b"]},
            {"call": "bind", "args": ['{"$x":1}', b"\x01\x02"]},
            {"call": "all"},
        ],
    )
    assert rows["results"] == [{"j": '{"$x":1}', "b": [1, 2]}]
    assert isinstance(value, dict)


async def test_pipelines_refs_and_extra_results(channel):
    out = await channel.call_full(
        "FB_DB_1",
        [
            {"call": "withSession", "args": ["first-primary"], "save": "s"},
            {"call": "prepare", "args": ["SELECT 41 + 1 AS n"]},
            {"call": "first", "args": ["n"]},
        ],
        extra=[[{"ref": "s"}, {"call": "getBookmark"}]],
    )
    assert out.result == 42
    assert isinstance(out.extra[0], str) and out.extra[0]
    batch = await channel.call(
        "FB_DB_1",
        [
            {
                "call": "batch",
                "args": [
                    [
                        Pipeline([{"call": "prepare", "args": ["SELECT 1 AS a"]}]),
                        Pipeline([{"call": "prepare", "args": ["SELECT ? AS b"]}, {"call": "bind", "args": ["x"]}]),
                    ]
                ],
            }
        ],
    )
    assert [r["results"] for r in batch] == [[{"a": 1}], [{"b": "x"}]]


async def test_streams_both_ways_with_known_and_unknown_length(channel):
    data = bytes(range(256)) * 4096 * 8  # 8 MiB

    async def chunks():
        for i in range(0, len(data), 1 << 20):
            yield data[i : i + (1 << 20)]

    put = await channel.call("FB_R2_1", [{"call": "put", "args": ["big", StreamArg(chunks(), len(data))]}])
    assert put["size"] == len(data)
    got = await channel.call("FB_R2_1", [{"call": "get", "args": ["big"]}])
    assert got["size"] == len(data)
    assert await got["body"].read() == data
    # R2 itself refuses a stream of unknown length, with workerd's message
    with pytest.raises(TypeError, match="Provided readable stream must have a known length"):
        await channel.call("FB_R2_1", [{"call": "put", "args": ["nolen", StreamArg(chunks(), None)]}])


async def test_a_hundred_concurrent_calls_share_pooled_connections(channel):
    await channel.call("FB_KV_1", [{"call": "put", "args": ["c", "v"]}])
    results = await asyncio.gather(*[channel.call("FB_KV_1", [{"call": "get", "args": ["c"]}]) for _ in range(100)])
    assert results == ["v"] * 100
    pool = channel.client._transport._pool
    # connections were reused: far fewer than one per call
    assert 0 < len(pool.connections) <= 100
    again = await asyncio.gather(*[channel.call("FB_KV_1", [{"call": "get", "args": ["c"]}]) for _ in range(100)])
    assert again == ["v"] * 100
    assert len(pool.connections) <= 100


async def test_connection_string_channel_sends_no_secret(dev_proxy):
    # a relay connection string is a bare base URL: against the proxy itself that is a 401
    async with HttpChannel(dev_proxy.url) as ch:
        with pytest.raises(RemoteProtocolError) as info:
            await ch.call("FB_KV_0", [{"call": "get", "args": ["k"]}])
    assert info.value.status == 401


async def test_body_argument_fills_the_body_placeholder(channel):
    from flarebind.remote.channel import BODY

    put = await channel.call("FB_R2_2", [{"call": "put", "args": ["via-body", BODY]}], body=b"from body=")
    assert put["size"] == len(b"from body=")
    got = await channel.call("FB_R2_2", [{"call": "get", "args": ["via-body"]}])
    assert await got["body"].read() == b"from body="

    # KV accepts a stream of unknown length (a generator, no Content-Length)
    async def gen():
        yield b"kv "
        yield b"stream"

    await channel.call("FB_KV_2", [{"call": "put", "args": ["s", BODY]}], body=gen())
    assert await channel.call("FB_KV_2", [{"call": "get", "args": ["s"]}]) == "kv stream"


async def test_dropped_unread_bodies_give_their_connections_back(channel):
    import gc

    await channel.call("FB_R2_2", [{"call": "put", "args": ["large", StreamArg(b"z" * (1 << 20), 1 << 20)]}])
    for _ in range(10):
        got = await channel.call("FB_R2_2", [{"call": "get", "args": ["large"]}])
        assert got["size"] == 1 << 20
        assert not got["body"].fully_buffered  # over the eager limit: it streams
        del got
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
    pool = channel.client._transport._pool
    assert all(c.is_idle() or c.is_closed() for c in pool.connections)
    assert await channel.call("FB_KV_2", [{"call": "get", "args": ["missing"]}]) is None
