"""What flarebind's explorer adds to Miniflare's: KV expiration on put (Cloudflare's REST parameters), D1 ``/query``
(rows as objects), streamed R2 transfers, the Workflows routes without a dev server."""

from __future__ import annotations

import time

from .conftest import D1_ID

API = "/cdn-cgi/explorer/api"


def test_kv_put_takes_expiration_ttl_and_expiration(dev) -> None:
    kv = f"{API}/storage/kv/namespaces/explorer-kv"
    before = int(time.time())
    assert dev.client.put(f"{kv}/values/ttl?expiration_ttl=3600", content=b"x").status_code == 200
    assert dev.client.put(f"{kv}/values/abs?expiration={before + 7200}", content=b"y").status_code == 200
    keys = {k["name"]: k for k in dev.client.get(f"{kv}/keys").json()["result"]}
    assert before + 3600 <= keys["ttl"]["expiration"] <= int(time.time()) + 3600
    assert keys["abs"]["expiration"] == before + 7200
    too_soon = dev.client.put(f"{kv}/values/bad?expiration_ttl=5", content=b"z")
    assert too_soon.status_code == 500 and too_soon.json()["errors"][0]["code"] == 10000


def test_d1_query_returns_rows_as_objects(dev) -> None:
    db = f"{API}/d1/database/{D1_ID}"
    dev.client.post(f"{db}/raw", json={"sql": "CREATE TABLE t (a INTEGER, b TEXT)"})
    dev.client.post(f"{db}/raw", json={"sql": "INSERT INTO t VALUES (1, 'one'), (2, 'two')"})
    reply = dev.client.post(f"{db}/query", json={"sql": "SELECT * FROM t WHERE a > ?", "params": ["1"]}).json()
    assert reply["success"] is True
    assert reply["result"][0]["results"] == [{"a": 2, "b": "two"}]
    assert reply["result"][0]["success"] is True


def test_r2_objects_stream_in_and_out(dev) -> None:
    bucket = f"{API}/r2/buckets/explorer-bucket/objects"
    data = bytes(range(256)) * 8192  # 2 MiB, sent in chunks

    def chunks():
        for i in range(0, len(data), 65536):
            yield data[i : i + 65536]

    put = dev.client.put(f"{bucket}/big.bin", content=chunks())
    assert put.status_code == 200 and put.json()["result"]["size"] == len(data)
    with dev.client.stream("GET", f"{bucket}/big.bin") as got:
        assert got.headers["content-length"] == str(len(data))
        assert b"".join(got.iter_bytes()) == data


def test_the_workflows_routes_are_served_through_the_explorer(dev) -> None:
    reply = dev.client.get(f"{API}/workflows").json()
    assert reply == {"success": True, "errors": [], "messages": [], "result": [], "result_info": {"count": 0}}
