"""``flarebind vectorize … --remote`` as real processes against a stand-in for Cloudflare's Vectorize v2 REST API on
127.0.0.1: the exact requests wrangler sends (paths, bodies, multipart NDJSON, auth) and what is printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))  # the shared API stand-in helpers

from fakes.cloudflare_api import LocalHttpServer, envelope, failure, parse_multipart

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))
ACCOUNT = "acc-vec"
TOKEN = "vec-token-1"
BASE = f"/client/v4/accounts/{ACCOUNT}/vectorize/v2/indexes"


class FakeVectorizeAPI(LocalHttpServer):
    """The Vectorize v2 endpoints, with just enough state to answer like the service (shapes from Cloudflare's API
    reference and wrangler's client); every request is kept for the assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.indexes: dict[str, dict[str, Any]] = {}
        self.vectors: dict[str, dict[str, dict[str, Any]]] = {}
        self.metadata: dict[str, list[dict[str, str]]] = {}
        self.mutations = 0

    def _mutation(self) -> dict[str, str]:
        self.mutations += 1
        return {"mutationId": f"mut-{self.mutations}"}

    def handle(self, record: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        status, body = self._answer(record)
        return status, {"content-type": "application/json"}, json.dumps(body).encode()

    def _answer(self, record: dict[str, Any]) -> tuple[int, Any]:
        if record["headers"].get("authorization") != f"Bearer {TOKEN}":
            return 403, failure(10000, "Authentication error")
        method, path = record["method"], record["path"]
        path, _, query = path.partition("?")
        if not path.startswith(BASE):
            return 404, failure(7003, "Could not route to the path")
        rest = path[len(BASE) :].strip("/").split("/") if path != BASE else []
        body = (
            json.loads(record["body"])
            if record["headers"].get("content-type", "").startswith("application/json")
            else None
        )
        if not rest:
            if method == "POST":
                name = body["name"]
                if name in self.indexes:
                    return 409, failure(3002, "vectorize.index.duplicate_name")
                config = body["config"]
                if "preset" in config:
                    config = {"dimensions": 768, "metric": "cosine"}
                self.indexes[name] = {
                    "created_on": "2026-12-03T17:00:00.000000Z",
                    "modified_on": "2026-12-03T17:00:00.000000Z",
                    "name": name,
                    "description": body.get("description", ""),
                    "config": config,
                }
                self.vectors[name], self.metadata[name] = {}, []
                return 200, envelope(self.indexes[name])
            # one index per page, so the client must follow the cursor
            names = sorted(self.indexes)
            start = int(query.split("cursor=")[1]) if "cursor=" in query else 0
            page = [self.indexes[n] for n in names[start : start + 1]]
            answer = envelope(page)
            if start + 1 < len(names):
                answer["result_info"] = {"cursor": str(start + 1)}
            return 200, answer
        name, *action = rest
        if name not in self.indexes:
            return 404, failure(3000, "vectorize.index.not_found")
        action_name = "/".join(action)
        if not action_name:
            if method == "DELETE":
                del self.indexes[name]
                return 200, envelope(None)
            return 200, envelope(self.indexes[name])
        if action_name == "info":
            return 200, envelope(
                {
                    "dimensions": self.indexes[name]["config"]["dimensions"],
                    "vectorCount": len(self.vectors[name]),
                    "processedUpToDatetime": "2026-12-03T17:01:00.000Z",
                    "processedUpToMutation": f"mut-{self.mutations}",
                }
            )
        if action_name in ("insert", "upsert"):
            part = parse_multipart(record["headers"]["content-type"], record["body"])["vectors"]
            for line in part["data"].decode().splitlines():
                vector = json.loads(line)
                if action_name == "upsert" or vector["id"] not in self.vectors[name]:
                    self.vectors[name][vector["id"]] = vector
            return 200, envelope(self._mutation())
        if action_name == "query":
            matches = [{"id": vid, "score": 0.5} for vid in sorted(self.vectors[name])[: body["topK"]]]
            return 200, envelope({"count": len(matches), "matches": matches})
        if action_name == "list" and method == "GET":
            ids = sorted(self.vectors[name])
            params = dict(p.split("=", 1) for p in query.split("&") if p)
            start = ids.index(params["cursor"]) + 1 if "cursor" in params else 0
            page = ids[start : start + int(params.get("count", "100"))]
            more = start + len(page) < len(ids)
            return 200, envelope(
                {
                    "count": len(page),
                    "totalCount": len(ids),
                    "isTruncated": more,
                    "nextCursor": page[-1] if more else None,
                    "cursorExpirationTimestamp": "2026-12-03T18:00:00.000Z",
                    "vectors": [{"id": i} for i in page],
                }
            )
        if action_name == "get_by_ids":
            return 200, envelope([self.vectors[name][i] for i in body["ids"] if i in self.vectors[name]])
        if action_name == "delete_by_ids":
            for i in body["ids"]:
                self.vectors[name].pop(i, None)
            return 200, envelope(self._mutation())
        if action_name == "metadata_index/create":
            self.metadata[name].append({"propertyName": body["propertyName"], "indexType": body["indexType"]})
            return 200, envelope(self._mutation())
        if action_name == "metadata_index/list":
            return 200, envelope({"metadataIndexes": self.metadata[name]})
        if action_name == "metadata_index/delete":
            self.metadata[name] = [m for m in self.metadata[name] if m["propertyName"] != body["propertyName"]]
            return 200, envelope(self._mutation())
        return 404, failure(7003, "Could not route to the path")


@pytest.fixture
def api():
    server = FakeVectorizeAPI().start()
    yield server
    server.stop()


def fb(api: FakeVectorizeAPI, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
    env.update(
        CLOUDFLARE_API_BASE_URL=f"{api.url}/client/v4", CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_ACCOUNT_ID=ACCOUNT
    )
    return subprocess.run(
        [FLAREBIND, "vectorize", *args, "--remote"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def last(api: FakeVectorizeAPI) -> dict[str, Any]:
    return api.requests[-1]


def test_index_management_round_trip(api, tmp_path):
    out = ok(fb(api, tmp_path, "create", "docs", "--dimensions", "3", "--metric", "cosine", "--description", "d"))
    request = last(api)
    assert (request["method"], request["path"]) == ("POST", BASE)
    assert request["headers"]["content-type"] == "application/json; charset=utf-8;"
    assert json.loads(request["body"]) == {
        "name": "docs",
        "config": {"metric": "cosine", "dimensions": 3},
        "description": "d",
    }
    assert "🚧 Creating index: 'docs'" in out and "✅ Successfully created a new Vectorize index: 'docs'" in out
    ok(fb(api, tmp_path, "create", "presets", "--preset", "@cf/baai/bge-base-en-v1.5"))
    assert json.loads(last(api)["body"])["config"] == {"preset": "@cf/baai/bge-base-en-v1.5"}

    listed = json.loads(ok(fb(api, tmp_path, "list", "--json")))
    assert [i["name"] for i in listed] == ["docs", "presets"]  # two pages: the cursor was followed
    assert [r["path"] for r in api.requests[-2:]] == [BASE, f"{BASE}?cursor=1"]
    table = ok(fb(api, tmp_path, "list"))
    assert "📋 Listing Vectorize indexes..." in table and "│ docs" in table and "description" not in table

    got = ok(fb(api, tmp_path, "get", "docs"))
    assert last(api)["path"] == f"{BASE}/docs" and "│ cosine" in got and "│ d " in got
    assert json.loads(ok(fb(api, tmp_path, "get", "docs", "--json")))["config"] == {"metric": "cosine", "dimensions": 3}

    proc = fb(api, tmp_path, "create", "docs", "--dimensions", "3", "--metric", "cosine")
    assert proc.returncode == 1
    assert "A request to the Cloudflare API (POST /accounts/acc-vec/vectorize/v2/indexes) failed" in proc.stderr
    assert "vectorize.index.duplicate_name [code: 3002]" in proc.stderr

    out = ok(fb(api, tmp_path, "delete", "presets", "--force"))
    assert (last(api)["method"], last(api)["path"]) == ("DELETE", f"{BASE}/presets")
    assert out.splitlines() == ["Deleting Vectorize index presets", "✅ Deleted index presets"]
    proc = fb(api, tmp_path, "info", "presets")
    assert proc.returncode == 1 and "vectorize.index.not_found [code: 3000]" in proc.stderr


def test_metadata_indexes(api, tmp_path):
    ok(fb(api, tmp_path, "create", "docs", "--dimensions", "3", "--metric", "cosine"))
    out = ok(fb(api, tmp_path, "create-metadata-index", "docs", "--property-name", "genre", "--type", "string"))
    assert last(api)["path"] == f"{BASE}/docs/metadata_index/create"
    assert json.loads(last(api)["body"]) == {"propertyName": "genre", "indexType": "string"}
    assert "Mutation changeset identifier: mut-1." in out
    assert json.loads(ok(fb(api, tmp_path, "list-metadata-index", "docs", "--json"))) == [
        {"propertyName": "genre", "indexType": "string"}
    ]
    assert (last(api)["method"], last(api)["path"]) == ("GET", f"{BASE}/docs/metadata_index/list")
    ok(fb(api, tmp_path, "delete-metadata-index", "docs", "--property-name", "genre"))
    assert json.loads(last(api)["body"]) == {"propertyName": "genre"}
    proc = fb(api, tmp_path, "list-metadata-index", "docs")
    assert proc.returncode == 0 and "You haven't created any metadata indexes on this account." in proc.stderr


def test_vectors_insert_query_get_delete_info(api, tmp_path):
    ok(fb(api, tmp_path, "create", "docs", "--dimensions", "2", "--metric", "euclidean"))
    lines = [{"id": f"v{i}", "values": [i, 1.5], "metadata": {"n": i, "name": "é"}} for i in range(5)]
    (tmp_path / "v.ndjson").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = ok(fb(api, tmp_path, "insert", "docs", "--file", "v.ndjson", "--batch-size", "2"))
    uploads = [r for r in api.requests if r["path"] == f"{BASE}/docs/insert"]
    assert len(uploads) == 3  # batches of 2, 2 and 1
    part = parse_multipart(uploads[0]["headers"]["content-type"], uploads[0]["body"])["vectors"]
    assert part["filename"] == "vectors.ndjson" and part["content_type"] == "application/x-ndjson"
    assert [json.loads(x) for x in part["data"].decode().splitlines()] == lines[:2]
    assert "✨ Enqueued 2 vectors into index 'docs' for insertion. Mutation changeset identifier: mut-1" in out
    assert "✅ Successfully enqueued 5 vectors into index 'docs' for insertion." in out
    ok(fb(api, tmp_path, "upsert", "docs", "--file", "v.ndjson"))
    assert [r["path"] for r in api.requests].count(f"{BASE}/docs/upsert") == 1  # wrangler's default batch: 1000

    out = ok(fb(api, tmp_path, "query", "docs", "--vector", "1", "2", "--top-k", "2", "--filter", '{"n": {"$gt": 1}}'))
    assert json.loads(last(api)["body"]) == {
        "topK": 2,
        "returnValues": False,
        "returnMetadata": "none",
        "filter": {"n": {"$gt": 1}},
        "vector": [1.0, 2.0],
    }
    printed = json.loads(out.split("📋 Searching for relevant vectors...\n", 1)[1])
    assert printed == {"count": 2, "matches": [{"id": "v0", "score": 0.5}, {"id": "v1", "score": 0.5}]}
    ok(fb(api, tmp_path, "query", "docs", "--vector-id", "v3", "--namespace", "ns", "--return-metadata", "all"))
    assert json.loads(last(api)["body"]) == {
        "topK": 5,
        "returnValues": False,
        "returnMetadata": "all",
        "namespace": "ns",
        "vectorId": "v3",
    }

    out = ok(fb(api, tmp_path, "list-vectors", "docs", "--count", "2", "--cursor", "v0"))
    assert (last(api)["method"], last(api)["path"]) == ("GET", f"{BASE}/docs/list?count=2&cursor=v0")
    assert "│ v1" in out and "│ v2" in out and "Showing 2 of 5 total vectors" in out
    assert "   wrangler vectorize list-vectors docs --cursor v2" in out

    out = ok(fb(api, tmp_path, "get-vectors", "docs", "--ids", "v1", "v4"))
    assert json.loads(last(api)["body"]) == {"ids": ["v1", "v4"]}
    assert json.loads(out.split("📋 Fetching vectors...\n", 1)[1]) == [lines[1], lines[4]]
    out = ok(fb(api, tmp_path, "delete-vectors", "docs", "--ids", "v1"))
    assert (last(api)["path"], json.loads(last(api)["body"])) == (f"{BASE}/docs/delete_by_ids", {"ids": ["v1"]})
    assert "✅ Successfully enqueued 1 vectors into index 'docs' for deletion." in out
    info = json.loads(ok(fb(api, tmp_path, "info", "docs", "--json")))
    assert last(api)["path"] == f"{BASE}/docs/info" and info["vectorCount"] == 4 and info["dimensions"] == 2


def test_credentials_are_required_and_never_printed(api, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
    env.update(CLOUDFLARE_API_BASE_URL=f"{api.url}/client/v4", CLOUDFLARE_API_TOKEN="wrong-secret-xyz")
    env["CLOUDFLARE_ACCOUNT_ID"] = ACCOUNT
    proc = subprocess.run(
        [FLAREBIND, "vectorize", "list", "--remote"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1 and "Authentication error [code: 10000]" in proc.stderr
    assert "wrong-secret-xyz" not in proc.stdout + proc.stderr
