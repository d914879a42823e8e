"""Re-provisioning under load, idempotent retries, and connection reuse through the relay."""

from __future__ import annotations

import asyncio

import httpx
from flarebind.remote import start_remote_proxy_session

from .conftest import WORKER

KV = {"KV": {"type": "kv_namespace", "id": "kv-id", "remote": True}}


async def test_update_bindings_during_a_stream_of_calls(fake_api, auth):
    fake_api.invalidate_on_upload = True  # a new upload makes the old preview token invalid, as on the edge
    session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER)
    try:
        url = session.remote_proxy_connection_string
        results: list[int] = []
        stop = asyncio.Event()

        async def caller(client: httpx.AsyncClient, n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                # protocol calls are POSTs; half of them are marked idempotent (reads), half are not
                headers = {"x-flarebind-idempotent": "1"} if (n + i) % 2 else {}
                r = await client.post(url + "__flarebind/v1/call", content=f"{n}-{i}".encode(), headers=headers)
                results.append(r.status_code)
                assert r.status_code == 200, r.text
                assert r.json()["body"] == f"{n}-{i}"

        async with httpx.AsyncClient() as client:
            tasks = [asyncio.create_task(caller(client, n)) for n in range(8)]
            for k in range(5):
                await session.update_bindings({"KV": {"type": "kv_namespace", "id": f"kv-{k}", "remote": True}})
                await asyncio.sleep(0.02)
            stop.set()
            await asyncio.gather(*tasks)
        assert len(fake_api.uploads) == 6
        assert fake_api.uploads[-1]["metadata"]["bindings"][0]["namespace_id"] == "kv-4"
        assert len(results) > 20 and set(results) == {200}
    finally:
        await session.dispose()


async def test_idempotent_call_in_flight_is_retried_after_update(fake_api, auth):
    fake_api.invalidate_on_upload = True
    # drain_timeout=0: the update does not wait for the in-flight call, which then meets the swapped upstream
    session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER, drain_timeout=0)
    try:
        url = session.remote_proxy_connection_string
        gate = fake_api.worker.gate("g1")
        async with httpx.AsyncClient() as client:
            call = asyncio.create_task(
                client.post(
                    url + "__flarebind/v1/slow?gate=g1", content=b"read", headers={"x-flarebind-idempotent": "1"}
                )
            )
            await asyncio.to_thread(fake_api.worker.arrived["g1"].wait, 30)
            await session.update_bindings({"KV": {"type": "kv_namespace", "id": "new", "remote": True}})
            gate.set()  # the old preview now answers "Invalid Workers Preview configuration"
            r = await call
        assert r.status_code == 200 and r.json()["body"] == "read"
        assert session.relay.stats.retries == 1
        # the retry went out with the new preview token (the update reused the edge-preview session token, as
        # wrangler does, so the new upload is the stand-in's third token)
        slow = fake_api.requests_to(r"/slow")
        assert [q["headers"]["cf-workers-preview-token"] for q in slow] == ["preview-2", "preview-3"]
        assert len(fake_api.requests_to(r"/edge-preview$", "GET")) == 1
    finally:
        await session.dispose()


async def test_requests_are_queued_while_paused(deployed):
    session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        session.relay.pause()
        async with httpx.AsyncClient() as client:
            call = asyncio.create_task(client.get(session.remote_proxy_connection_string + "queued"))
            for _ in range(20):
                await asyncio.sleep(0.01)
            assert not call.done() and deployed.requests_to(r"/queued") == []
            session.relay.play()
            r = await call
        assert r.status_code == 200 and r.json()["path"] == "/queued"
    finally:
        await session.dispose()


async def test_non_idempotent_call_is_not_retried_after_a_mid_request_failure(deployed):
    session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        gate = deployed.worker.gate("g2")
        async with httpx.AsyncClient() as client:
            call = asyncio.create_task(
                client.post(session.remote_proxy_connection_string + "slow?gate=g2&drop=1", content=b"write")
            )
            await asyncio.to_thread(deployed.worker.arrived["g2"].wait, 30)
            gate.set()  # the proxy then drops the connection without answering (it died mid-request)
            r = await call
        assert r.status_code == 503
        assert session.relay.stats.retries == 0
        assert len(deployed.requests_to(r"/slow")) == 1
    finally:
        await session.dispose()


async def test_100_concurrent_calls_reuse_connections(deployed):
    session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        url = session.remote_proxy_connection_string
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(limits=limits) as client:
            for _round in range(3):
                responses = await asyncio.gather(
                    *(client.post(url + "__flarebind/v1/call", content=str(i).encode()) for i in range(100))
                )
                assert [r.status_code for r in responses] == [200] * 100
                assert sorted(int(r.json()["body"]) for r in responses) == list(range(100))
        # 300 calls, at most the relay's pool size of upstream connections, reused across rounds
        assert len(deployed.requests) == 300
        assert deployed.connections <= 32
    finally:
        await session.dispose()


async def test_large_bodies_stream_both_ways(deployed):
    session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        url = session.remote_proxy_connection_string
        size = 8 * 1024 * 1024

        async def body():
            chunk = b"x" * 65536
            for _ in range(size // len(chunk)):
                yield chunk

        async with httpx.AsyncClient() as client:
            r = await client.put(url + "big", content=body())
            assert r.status_code == 200 and r.json()["length"] == size
            received = 0
            async with client.stream("GET", url + "stream?n=64") as resp:
                assert resp.status_code == 200
                async for chunk in resp.aiter_raw():
                    received += len(chunk)
            assert received == 64 * 65536
    finally:
        await session.dispose()


async def test_read_protocol_calls_are_retried_writes_are_not(deployed):
    bindings = {
        "KV": {"type": "kv_namespace", "id": "k", "remote": True},
        "DB": {"type": "d1", "database_id": "d", "remote": True},
    }
    session = await start_remote_proxy_session(bindings, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        url = session.remote_proxy_connection_string
        read = b'{"binding":"KV","calls":[{"call":"get","args":["k"]}]}'
        write = b'{"binding":"KV","calls":[{"call":"put","args":["k","v"]}]}'
        deployed.worker.gate("read").set()  # no waiting: the proxy just dies once on each path
        deployed.worker.gate("write").set()
        async with httpx.AsyncClient() as client:
            r = await client.post(url + "slow?gate=read&drop=1", content=read)
            assert r.status_code == 200 and r.json()["body"] == read.decode()
            assert session.relay.stats.retries == 1
            r = await client.post(url + "slow?gate=write&drop=1", content=write)
            assert r.status_code == 503
            assert session.relay.stats.retries == 1
    finally:
        await session.dispose()


def test_calls_are_reads_classifier():
    from flarebind.remote.relay import calls_are_reads

    types = {"KV": "kv_namespace", "B": "r2_bucket", "DB": "d1", "S": "service"}

    def reads(envelope: str) -> bool:
        return calls_are_reads(types, envelope.encode())

    assert reads('{"binding":"KV","calls":[{"call":"get","args":["k",{"type":"json"}]}]}')
    assert reads('{"binding":"KV","calls":[{"call":"list","args":[{"prefix":"a"}]}]}')
    assert not reads('{"binding":"KV","calls":[{"call":"put","args":["k","v"]}]}')
    assert not reads('{"binding":"KV","calls":[{"call":"delete","args":["k"]}]}')
    assert reads('{"binding":"B","calls":[{"call":"head","args":["k"]}]}')
    assert not reads('{"binding":"B","calls":[{"call":"put","args":["k",{"$stream":0}]}],"stream":{"length":3}}')
    assert not reads('{"binding":"B","calls":[{"call":"createMultipartUpload","args":["k"]}]}')
    assert reads(
        '{"binding":"DB","calls":[{"call":"prepare","args":["SELECT ? AS n"]},{"call":"bind","args":[1]},'
        '{"call":"first"}]}'
    )
    assert not reads('{"binding":"DB","calls":[{"call":"prepare","args":["INSERT INTO t VALUES (1)"]},{"call":"run"}]}')
    assert not reads('{"binding":"DB","calls":[{"call":"prepare","args":["SELECT 1; DELETE FROM t"]},{"call":"all"}]}')
    assert not reads('{"binding":"DB","calls":[{"call":"exec","args":["SELECT 1"]}]}')
    assert not reads('{"binding":"DB","calls":[{"call":"batch","args":[[]]}]}')
    assert not reads('{"binding":"S","calls":[{"call":"get","args":[]}]}')  # an RPC method may do anything
    assert not reads('{"binding":"NOPE","calls":[{"call":"get","args":["k"]}]}')
    assert not reads('{"binding":["KV"],"calls":[]}') and not reads("not json")


async def test_relay_is_shared_by_other_processes(deployed):
    import sys

    session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    try:
        code = (
            "import sys, httpx\n"
            "with httpx.Client() as c:\n"
            "    for i in range(20):\n"
            "        r = c.post(sys.argv[1] + '__flarebind/v1/call', content=f'child-{i}'.encode())\n"
            "        assert r.status_code == 200 and r.json()['body'] == f'child-{i}', r.text\n"
            "print('ok')\n"
        )
        url = session.remote_proxy_connection_string
        procs = [
            await asyncio.create_subprocess_exec(sys.executable, "-c", code, url, stdout=asyncio.subprocess.PIPE)
            for _ in range(2)
        ]
        async with httpx.AsyncClient() as client:
            for i in range(20):
                r = await client.post(session.remote_proxy_connection_string + "x", content=f"parent-{i}".encode())
                assert r.status_code == 200
        outputs = [await p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0, 0]
        assert all(out.strip() == b"ok" for out, _ in outputs)
        bodies = [r["body"] for r in deployed.requests]
        assert sum(b.startswith(b"child-") for b in bodies) == 40
    finally:
        await session.dispose()
