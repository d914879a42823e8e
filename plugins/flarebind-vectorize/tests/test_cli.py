"""``flarebind vectorize …`` as real processes: the round trip on a local index, wrangler's messages, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FLAREBIND = str(Path(sys.executable).with_name("flarebind"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        'name = "vec"\ncompatibility_date = "2026-05-01"\n\n[[vectorize]]\nbinding = "VECTORIZE"\nindex_name = "docs"\n'
    )
    return tmp_path


def fb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    return subprocess.run(
        [FLAREBIND, "vectorize", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_round_trip_create_insert_query_with_filter_info_delete(project):
    out = ok(fb(project, "create", "docs", "--dimensions", "3", "--metric", "cosine"))
    assert out.startswith("🚧 Creating index: 'docs'\n✅ Successfully created a new Vectorize index: 'docs'\n")
    assert (project / ".wrangler" / "state" / "v3" / "vectorize" / "docs.sqlite").is_file()
    out = ok(fb(project, "create-metadata-index", "docs", "--property-name", "genre", "--type", "string"))
    assert "✅ Successfully enqueued metadata index creation request. Mutation changeset identifier: " in out
    records = [
        {"id": "a", "values": [1, 0, 0], "metadata": {"genre": "jazz"}},
        {"id": "b", "values": [0, 1, 0], "metadata": {"genre": "rock"}},
        {"id": "c", "values": [0.9, 0.1, 0], "metadata": {"genre": "rock"}, "namespace": "n1"},
    ]
    (project / "vectors.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = ok(fb(project, "insert", "docs", "--file", "vectors.ndjson"))
    assert out.endswith("✅ Successfully enqueued 3 vectors into index 'docs' for insertion.\n")

    out = ok(
        fb(project, "query", "docs", "--vector", "1", "0", "0", "--top-k", "5", "--filter", '{"genre": "rock"}',
           "--return-metadata", "all")
    )  # fmt: skip
    assert out.startswith("📋 Searching for relevant vectors...\n")
    result = json.loads(out.split("\n", 1)[1])
    assert [m["id"] for m in result["matches"]] == ["c", "b"]  # "a" (jazz) is filtered out though it is closest
    assert result["matches"][0]["metadata"] == {"genre": "rock"} and result["matches"][0]["namespace"] == "n1"
    assert result["matches"][0]["score"] == pytest.approx(0.9 / (0.9**2 + 0.1**2) ** 0.5, rel=1e-6)

    out = ok(fb(project, "query", "docs", "--vector-id", "a", "--top-k", "1", "--return-values"))
    assert json.loads(out.split("\n", 1)[1])["matches"] == [{"id": "a", "score": 1.0, "values": [1.0, 0.0, 0.0]}]

    info = json.loads(ok(fb(project, "info", "docs", "--json")))
    assert info["dimensions"] == 3 and info["vectorCount"] == 3 and info["processedUpToMutation"]
    assert "│ dimensions │ vectorCount │" in ok(fb(project, "info", "docs"))

    listed = json.loads(ok(fb(project, "list", "--json")))
    assert [(i["name"], i["config"]) for i in listed] == [("docs", {"dimensions": 3, "metric": "cosine"})]
    got = json.loads(ok(fb(project, "get-vectors", "docs", "--ids", "b", "c")).split("\n", 1)[1])
    assert [g["id"] for g in got] == ["b", "c"]
    out = ok(fb(project, "delete-vectors", "docs", "--ids", "b"))
    assert "✅ Successfully enqueued 1 vectors into index 'docs' for deletion." in out
    assert json.loads(ok(fb(project, "info", "docs", "--json")))["vectorCount"] == 2
    metadata_indexes = json.loads(ok(fb(project, "list-metadata-index", "docs", "--json")))
    assert metadata_indexes == [{"propertyName": "genre", "indexType": "string"}]

    out = ok(fb(project, "delete", "docs", "--force"))
    assert out == "Deleting Vectorize index docs\n✅ Deleted index docs\n"
    assert not (project / ".wrangler" / "state" / "v3" / "vectorize" / "docs.sqlite").exists()
    proc = fb(project, "query", "docs", "--vector", "1", "0", "0")
    assert proc.returncode == 1
    assert "flarebind vectorize create docs --dimensions" in proc.stderr


def test_preset_upsert_and_json(project):
    info = json.loads(ok(fb(project, "create", "emb", "--preset", "@cf/baai/bge-small-en-v1.5", "--json")))
    assert info["config"] == {"dimensions": 384, "metric": "cosine"}
    (project / "v.ndjson").write_text(json.dumps({"id": "x", "values": [0.5] * 384}) + "\n")
    assert json.loads(ok(fb(project, "upsert", "emb", "--file", "v.ndjson", "--json"))) == {"index": "emb", "count": 1}
    assert json.loads(ok(fb(project, "upsert", "emb", "--file", "v.ndjson", "--json")))["count"] == 1
    assert json.loads(ok(fb(project, "info", "emb", "--json")))["vectorCount"] == 1


def test_errors_are_wrangler_style(project):
    proc = fb(project, "create", "docs", "--dimensions", "3")
    assert proc.returncode == 1
    assert "🚨 You must provide both dimensions and a metric, or a known model preset" in proc.stderr
    proc = fb(project, "create", "../outside", "--dimensions", "3", "--metric", "cosine")
    assert proc.returncode == 1 and "Invalid Vectorize index name" in proc.stderr
    assert not (project / ".wrangler" / "state" / "v3" / "outside.sqlite").exists()
    ok(fb(project, "create", "docs", "--dimensions", "2", "--metric", "euclidean"))
    proc = fb(project, "create", "docs", "--dimensions", "2", "--metric", "euclidean")
    assert proc.returncode == 1 and 'A Vectorize index named "docs" already exists locally.' in proc.stderr
    (project / "bad.ndjson").write_text('{"id": "a", "values": [1, 2]}\nnot json\n')
    proc = fb(project, "insert", "docs", "--file", "bad.ndjson")
    assert proc.returncode == 1 and "bad.ndjson:2: not a JSON object" in proc.stderr
    (project / "dims.ndjson").write_text('{"id": "a", "values": [1, 2, 3]}\n')
    proc = fb(project, "insert", "docs", "--file", "dims.ndjson")
    assert proc.returncode == 1
    assert 'VECTOR_INSERT_ERROR (code = 40012): invalid vector for id="a", expected 2 dimensions' in proc.stderr
    proc = fb(project, "create", "other", "--dimensions", "2", "--metric", "cosine", "--remote")
    # --remote goes to Cloudflare's API, which needs credentials (tests/test_cli_remote.py covers the requests)
    assert proc.returncode == 1 and "No Cloudflare credentials: set CLOUDFLARE_API_TOKEN" in proc.stderr


def test_check_refuses_an_index_name_that_is_not_a_safe_file_name(tmp_path):
    (tmp_path / "wrangler.toml").write_text(
        'name = "vec"\ncompatibility_date = "2026-05-01"\n\n[[vectorize]]\nbinding = "VEC"\nindex_name = "../up"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    proc = subprocess.run([FLAREBIND, "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    # the core refuses any resource name that is not one plain folder name
    assert 'vectorize[0].index_name="../up" cannot be used for local development' in proc.stderr
    # a plain name that Vectorize itself does not allow is the plugin's own check
    (tmp_path / "wrangler.toml").write_text((tmp_path / "wrangler.toml").read_text().replace('"../up"', '"Bad_Name"'))
    proc = subprocess.run([FLAREBIND, "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert """binding "VEC": Invalid Vectorize index name 'Bad_Name'""" in proc.stderr
    assert "at wrangler.toml:4:1 (vectorize[0])" in proc.stderr
    (tmp_path / "wrangler.toml").write_text((tmp_path / "wrangler.toml").read_text().replace('"Bad_Name"', '"../up"'))
    # a remote binding is refused too: `flarebind dev --local` would make the same name a local path
    (tmp_path / "wrangler.toml").write_text(
        (tmp_path / "wrangler.toml").read_text().replace('"../up"\n', '"../up"\nremote = true\n')
    )
    proc = subprocess.run([FLAREBIND, "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "cannot be used for local development" in proc.stderr


def test_list_vectors_pages_by_id(project):
    ok(fb(project, "create", "docs", "--dimensions", "2", "--metric", "cosine"))
    (project / "v.ndjson").write_text("".join(json.dumps({"id": f"id-{i}", "values": [1, i]}) + "\n" for i in range(5)))
    ok(fb(project, "insert", "docs", "--file", "v.ndjson"))
    first = json.loads(ok(fb(project, "list-vectors", "docs", "--count", "2", "--json")))
    assert first == {
        "count": 2,
        "totalCount": 5,
        "isTruncated": True,
        "nextCursor": "id-1",
        "vectors": [{"id": "id-0"}, {"id": "id-1"}],
    }
    out = ok(fb(project, "list-vectors", "docs", "--count", "2", "--cursor", "id-1"))
    assert "📋 Listing vectors in index 'docs'..." in out and "│ id-2" in out and "│ id-3" in out
    assert "Showing 2 of 5 total vectors" in out
    assert "   wrangler vectorize list-vectors docs --cursor id-3" in out
    last = json.loads(ok(fb(project, "list-vectors", "docs", "--cursor", "id-3", "--json")))
    assert (last["vectors"], last["isTruncated"], last["nextCursor"]) == ([{"id": "id-4"}], False, None)
    proc = fb(project, "list-vectors", "docs", "--count", "0")
    assert proc.returncode == 2 and "--count" in proc.stderr
