"""One sequence of explorer API calls, run against Miniflare's explorer and flarebind's; results normalised only
where they must differ (timestamps, versions, query durations, database file sizes)."""

from __future__ import annotations

import json
from typing import Any

import httpx

API = "/cdn-cgi/explorer/api"
JSON = {"content-type": "application/json"}


def steps(d1_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    kv = f"{API}/storage/kv/namespaces/explorer-kv"
    r2 = f"{API}/r2/buckets/explorer-bucket"
    db = f"{API}/d1/database/{d1_id}"
    return [
        ("GET", f"{API}/local/workers", {}),
        ("GET", f"{API}/storage/kv/namespaces", {}),
        ("GET", f"{API}/storage/kv/namespaces?order=title&direction=desc", {}),
        # seed KV: raw bodies, a form with metadata, a key with a slash
        ("PUT", f"{kv}/values/greeting", {"content": b"hello explorer"}),
        ("PUT", f"{kv}/values/dir%2Fnested", {"content": bytes(range(256))}),
        (
            "PUT",
            f"{kv}/values/meta",
            {"files": {"value": (None, "with metadata"), "metadata": (None, '{"n":1,"s":"x"}')}},
        ),
        ("PUT", f"{kv}/values/badmeta", {"files": {"value": (None, "v"), "metadata": (None, "{nope")}}),
        *[("PUT", f"{kv}/values/page-{i:02d}", {"content": f"v{i}".encode()}) for i in range(12)],
        ("GET", f"{kv}/keys", {}),
        ("GET", f"{kv}/keys?limit=10", {}),
        ("CURSOR", f"{kv}/keys?limit=10&cursor=", {}),  # follows the previous cursor
        ("GET", f"{kv}/keys?prefix=dir", {}),
        ("GET", f"{kv}/keys?limit=5", {}),
        ("GET", f"{kv}/keys?limit=5000", {}),
        ("GET", f"{kv}/keys?limit=abc", {}),
        ("GET", f"{kv}/values/greeting", {}),
        ("GET", f"{kv}/values/dir%2Fnested", {}),
        ("GET", f"{kv}/values/missing", {}),
        ("GET", f"{API}/storage/kv/namespaces/nope/keys", {}),
        ("GET", f"{API}/storage/kv/namespaces/nope/values/x", {}),
        ("POST", f"{kv}/bulk/get", {"json": {"keys": ["greeting", "meta", "missing"]}}),
        ("POST", f"{kv}/bulk/get", {"json": {"other": 1}}),
        ("POST", f"{kv}/bulk/get", {"json": {"keys": "greeting"}}),
        ("POST", f"{kv}/bulk/get", {"content": b"{not json", "headers": JSON}),
        ("POST", f"{kv}/bulk/get", {"content": b'{"keys":["greeting"]}'}),  # not sent as JSON
        ("DELETE", f"{kv}/values/page-00", {}),
        ("GET", f"{kv}/values/page-00", {}),
        ("OPTIONS", f"{kv}/keys", {"headers": {"origin": "http://localhost:5173"}}),
        # R2
        ("GET", f"{API}/r2/buckets", {}),
        (
            "PUT",
            f"{r2}/objects/docs%2Fa.txt",
            {"content": b"alpha", "headers": {"content-type": "text/plain", "cf-r2-custom-metadata": '{"who":"me"}'}},
        ),
        ("PUT", f"{r2}/objects/docs%2Fsub%2Fb.bin", {"content": b"\x00\x01\x02"}),
        ("PUT", f"{r2}/objects/top.json", {"content": b'{"a":1}', "headers": {"content-type": "application/json"}}),
        ("PUT", f"{r2}/objects/bad", {"content": b"x", "headers": {"cf-r2-custom-metadata": "{nope"}}),
        ("GET", f"{r2}/objects", {}),
        ("GET", f"{r2}/objects?delimiter=/", {}),
        ("GET", f"{r2}/objects?prefix=docs/&delimiter=/", {}),
        ("GET", f"{r2}/objects?per_page=1", {}),
        ("GET", f"{r2}/objects?per_page=1.5", {}),
        ("GET", f"{r2}/objects/docs%2Fa.txt", {}),
        ("GET", f"{r2}/objects/docs%2Fa.txt", {"headers": {"cf-metadata-only": "true"}}),
        ("GET", f"{r2}/objects/missing", {}),
        ("GET", f"{r2}/objects/missing", {"headers": {"cf-metadata-only": "true"}}),
        ("GET", f"{API}/r2/buckets/nope/objects", {}),
        ("DELETE", f"{r2}/objects", {"json": ["top.json", "never-there"]}),
        ("DELETE", f"{r2}/objects", {"json": []}),
        ("GET", f"{r2}/objects", {}),
        # D1
        ("GET", f"{API}/d1/database", {}),
        ("GET", f"{API}/d1/database?name=d", {}),
        ("GET", f"{API}/d1/database?name=zzz", {}),
        (
            "POST",
            f"{db}/raw",
            {
                "json": {"sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)"},
                "loose": ("rows_written",),
            },
        ),
        ("POST", f"{db}/raw", {"json": {"sql": "INSERT INTO t (name, score) VALUES (?, ?)", "params": ["ann", "1.5"]}}),
        ("POST", f"{db}/raw", {"json": {"sql": "INSERT INTO t (name, score) VALUES ('bob', 2), ('cy', NULL)"}}),
        (
            "POST",
            f"{db}/raw",
            {
                "json": {
                    "batch": [
                        {"sql": "SELECT * FROM t ORDER BY id"},
                        {"sql": "SELECT count(*) AS n FROM t WHERE name = ?", "params": ["ann"]},
                    ]
                }
            },
        ),
        ("POST", f"{db}/raw", {"json": {"sql": "SELECT * FROM t WHERE id > 99"}}),
        ("POST", f"{db}/raw", {"json": {"sql": "SELECT * FROM missing_table"}}),
        ("POST", f"{db}/raw", {"json": {"nosql": 1}}),
        ("GET", f"{API}/no/such/route", {}),
    ]


# rows_read: workerd counts the rows SQLite's VM visits (schema rows included); flarebind's D1 counts rows returned
# (a difference of the D1 simulator, reported, not of the explorer); rows_written of DDL likewise (loose per step)
VARIES = ("last_modified", "version", "duration", "size_after", "last_row_id", "rows_read")


def _normalise(value: Any, loose: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in VARIES + loose and v is not None:
                out[k] = "<varies>"
            else:
                out[k] = _normalise(v, loose)
        return out
    if isinstance(value, list):
        return [_normalise(v, loose) for v in value]
    return value


def drive(client: httpx.Client, d1_id: str) -> list[dict[str, Any]]:
    """Run :func:`steps`; one record per call: status, JSON (normalised) or body bytes, and the headers that matter."""
    records = []
    cursor = ""
    for method, path, kwargs in steps(d1_id):
        if method == "CURSOR":
            method, path = "GET", path + cursor
        kwargs = dict(kwargs)
        loose = kwargs.pop("loose", ())
        response = client.request(method, path, **kwargs)
        if response.status_code == 503 and b"Please try sending the request again" in response.content:
            # workerd restarts Miniflare's explorer after some failed requests and asks the client to resend
            response = client.request(method, path, **kwargs)
        record: dict[str, Any] = {"call": f"{method} {path}", "status": response.status_code}
        if response.headers.get("content-type", "").startswith("application/json"):
            payload = response.json()
            record["json"] = _normalise(payload, loose)
            info = payload.get("result_info") if isinstance(payload, dict) else None
            if isinstance(info, dict) and info.get("cursor"):
                cursor = info["cursor"]
        else:
            record["body"] = response.content
        for name in (
            "content-type",
            "etag",
            "x-r2-custom-metadata-who",
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ):
            if name in response.headers:
                record[name] = response.headers[name]
        records.append(record)
    return records


def dumps(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, indent=1, default=repr)
