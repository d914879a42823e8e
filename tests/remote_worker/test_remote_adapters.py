"""Remote binding objects built by open_bindings("remote") and the registry, against the proxy under workerd."""

from __future__ import annotations

import hashlib

import pytest
from flarebind.errors import JsException
from flarebind.plugins import get_plugins
from flarebind.remote.adapters import RemoteFetcher
from flarebind.remote.channel import channel_for_deployed_proxy
from flarebind.testing.bindings import open_bindings


@pytest.fixture
async def make(dev_proxy):
    async with open_bindings("remote") as make:
        yield make


@pytest.fixture
async def svc(dev_proxy):
    factory = get_plugins().registry.factory("remote", "service", "SVC")
    channel = channel_for_deployed_proxy(dev_proxy.url, dev_proxy.secret)
    yield factory("FB_SVC", {"type": "service", "service": "flarebind-test-target"}, channel)
    await channel.aclose()


def test_types_without_a_remote_plugin_fall_back_to_the_generic_adapter():
    factory = get_plugins().registry.factory("remote", "service", "SVC")
    assert factory.__name__ == "make_generic_remote"


async def test_service_binding_fetch_with_body_status_and_headers(svc):
    assert isinstance(svc, RemoteFetcher)
    response = await svc.fetch("http://target/teapot", {"method": "POST", "body": "pot", "headers": {"x-test": "1"}})
    assert response.status == 418
    assert response.headers.get("x-target") == "yes"
    assert await response.json() == {"method": "POST", "path": "/teapot", "body": "pot", "header": "1"}
    with pytest.raises(TypeError, match="Body has already been used"):
        await response.text()


async def test_service_binding_rpc_methods_and_their_errors(svc):
    assert await svc.add(2, 40) == 42
    assert await svc.echo({"nested": [1, b"\x00"], "when": None}) == {"nested": [1, b"\x00"], "when": None}
    with pytest.raises(ValueError, match=r"^out of range$"):
        await svc.fail("out of range")


async def test_streamed_r2_round_trip_of_a_large_object(make):
    bucket = await make("r2_bucket", {"bucket_name": "big"})
    data = hashlib.sha256(b"seed").digest() * (24 * 1024 * 1024 // 32)  # 24 MiB

    async def chunks():
        for i in range(0, len(data), 1 << 20):
            yield data[i : i + (1 << 20)]

    # an async iterable of unknown length is spooled so R2 gets the known length it requires
    put = await bucket.put("blob", chunks())
    assert put.size == len(data)
    got = await bucket.get("blob")
    digest = hashlib.sha256()
    async for chunk in got.body:
        digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()
    ranged = await bucket.get("blob", range={"offset": len(data) - 5})
    assert await ranged.arrayBuffer() == data[-5:]
    assert ranged.range == {"offset": len(data) - 5, "length": 5}


async def test_r2_multipart_through_resumed_handles(make):
    bucket = await make("r2_bucket", {"bucket_name": "mp"})
    upload = await bucket.createMultipartUpload("mp", httpMetadata={"contentType": "text/plain"})
    part1 = await upload.uploadPart(1, b"a" * (5 * 1024 * 1024))
    resumed = bucket.resumeMultipartUpload("mp", upload.uploadId)
    part2 = await resumed.uploadPart(2, b"tail")
    obj = await resumed.complete([part1, part2])
    assert obj.size == 5 * 1024 * 1024 + 4
    assert obj.etag.endswith("-2")
    head = await bucket.head("mp")
    assert head.httpMetadata == {"contentType": "text/plain"}
    gone = bucket.resumeMultipartUpload("mp", "no-such-upload")
    with pytest.raises(JsException, match=r"^uploadPart: The specified multipart upload does not exist\. \(10024\)$"):
        await gone.uploadPart(1, b"x")


async def test_d1_statements_batch_and_sessions(make):
    db = await make("d1", {"database_id": "remote-adapter-db"})
    await db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, data BLOB)")
    insert = db.prepare("INSERT INTO notes (body, data) VALUES (?, ?)")
    results = await db.batch([insert.bind("one", b"\x01"), insert.bind("two", None)])
    assert [r["meta"]["changes"] for r in results] == [1, 1]
    assert await db.prepare("SELECT count(*) AS n FROM notes").first("n") == 2
    assert await db.prepare("SELECT body, data FROM notes ORDER BY id").raw(columnNames=True) == [
        ["body", "data"],
        ["one", [1]],
        ["two", None],
    ]
    with pytest.raises(JsException, match=r"^D1_TYPE_ERROR"):
        db.prepare("SELECT ?").bind({"an": "object"})
    # a failing batch changes nothing
    with pytest.raises(JsException, match="D1_ERROR"):
        await db.batch([insert.bind("three", None), db.prepare("INSERT INTO missing VALUES (1)")])
    assert await db.prepare("SELECT count(*) AS n FROM notes").first("n") == 2
    session = db.withSession("first-primary")
    assert session.getBookmark() is None
    await session.prepare("SELECT * FROM notes").all()
    first = session.getBookmark()
    assert isinstance(first, str) and first
    await session.prepare("INSERT INTO notes (body) VALUES ('s')").run()
    assert session.getBookmark() >= first
    resumed = db.withSession(session.getBookmark())
    assert (await resumed.prepare("SELECT count(*) AS n FROM notes").first())["n"] == 3


async def test_rpc_stream_results_and_blobs_arrive_as_streams(svc, dev_proxy):
    from flarebind.remote.codec import WireBlob

    stream = await svc.stream()
    assert await stream.read() == b"streamed from rpc"
    # a Blob result (R2ObjectBody.blob() on the proxy) carries its type and size, its bytes stream
    channel = channel_for_deployed_proxy(dev_proxy.url, dev_proxy.secret)
    await channel.call(
        "FB_R2_2", [{"call": "put", "args": ["blob", "blob data", {"httpMetadata": {"contentType": "text/plain"}}]}]
    )
    blob = await channel.call("FB_R2_2", [{"call": "get", "args": ["blob"]}, {"call": "blob"}])
    assert isinstance(blob, WireBlob)
    assert (blob.type, blob.size) == ("text/plain", 9)
    assert await blob.body.read() == b"blob data"
    await channel.aclose()


async def test_generic_calls_pipeline_like_js_promises(svc):
    # one request each: the RpcTarget returned by counter() lives only on the proxy
    assert await svc.counter(10).add(5) == 15
    assert await svc.counter(3).value == 3
    with pytest.raises(TypeError, match=r"^The RPC receiver does not implement the method \"nope\"\.$"):
        await svc.counter(1).nope()
