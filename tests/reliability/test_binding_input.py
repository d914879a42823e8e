"""Bad input to the KV/R2/D1 APIs gets workerd's error, never a raw Python exception or silent corruption, and
the three KV fidelity slips of the replay (issue 20, items 5, 6, 9, 10, 11). Texts: ``workerd_texts.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from flarebind.errors import JsException
from flarebind.testing.bindings import open_bindings

from .workerd_texts import BIGINT, INT32_RANGE, JSON_ERRORS, R2_METADATA_NOT_OBJECT, R2_NOT_A_BODY


@pytest.fixture
async def make(tmp_path):
    async with open_bindings("local", persist_to=tmp_path) as make:
        yield make


# -- item 5: R2 values and custom metadata ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"hello": 1, "world": 2}, 5, 1.5, True, {"a"}])
async def test_r2_put_refuses_values_that_are_not_bodies(make, value):
    bucket = await make("r2_bucket", {"bucket_name": "probe"})
    with pytest.raises(TypeError) as info:
        await bucket.put("k", value)
    assert str(info.value) == R2_NOT_A_BODY
    assert await bucket.head("k") is None  # nothing stored (was: the dict's keys, b"helloworld")


async def test_r2_custom_metadata_values_become_js_strings(make):
    bucket = await make("r2_bucket", {"bucket_name": "probe"})
    custom = {"a": 5, "b": {"c": 1}, "n": None, "t": True, "f": 1.5, "f2": 1.0, "big": 1e21, "l": [1, None, "x"]}
    await bucket.put("k", "v", customMetadata=custom)
    got = (await bucket.head("k")).customMetadata
    # String(value) as workerd converts a Record<string, string> (recorded under Miniflare)
    expected = {"a": "5", "b": "[object Object]", "n": "null", "t": "true", "f": "1.5", "f2": "1", "big": "1e+21"}
    assert got == {**expected, "l": "1,,x"}
    with pytest.raises(TypeError) as info:
        await bucket.put("k", "v", customMetadata=5)
    assert str(info.value) == R2_METADATA_NOT_OBJECT


# -- item 6: raw Python exceptions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{"expirationTtl": 10**30}, {"expirationTtl": 2**31}, {"expirationTtl": "1e30"}, {"expiration": 1e30}],
)
async def test_kv_out_of_range_expirations_are_type_errors(make, options):
    kv = await make("kv_namespace", {"id": "probe"})
    with pytest.raises(TypeError) as info:
        await kv.put("k", "v", options)
    assert str(info.value) == INT32_RANGE


@pytest.mark.parametrize("ttl", ["abc", float("inf"), float("nan")])
async def test_kv_non_numeric_ttl_reports_zero_like_workerd(make, ttl):
    kv = await make("kv_namespace", {"id": "probe"})
    with pytest.raises(JsException) as info:
        await kv.put("k", "v", {"expirationTtl": ttl})
    assert str(info.value) == "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."


async def test_lone_surrogate_keys(make):
    kv = await make("kv_namespace", {"id": "probe"})
    for op, call in (("PUT", kv.put("a\ud800", "v")), ("GET", kv.get("a\ud800")), ("DELETE", kv.delete("a\ud800"))):
        with pytest.raises(JsException) as info:
            await call
        assert str(info.value) == f"KV {op} failed: 400 Could not URL-decode key name"
    bucket = await make("r2_bucket", {"bucket_name": "probe"})
    stored = await bucket.put("a\ud800b", "v")  # R2 stores the WTF-8 bytes decoded with U+FFFD per bad byte
    assert stored.key == "a\ufffd\ufffd\ufffdb"
    assert (await bucket.get("a\ud800b")).key == stored.key
    assert [o.key for o in (await bucket.list())["objects"]] == [stored.key]
    await bucket.delete("a\ud800b")
    assert (await bucket.list())["objects"] == []


async def test_d1_non_string_sql(make):
    db = await make("d1", {"database_id": "probe"})
    for bad in (5, None):
        with pytest.raises(JsException) as info:
            await db.prepare(bad).all()
        assert str(info.value) == "D1_ERROR: Failed to parse body as JSON, got: ZodError"
    cases = [((None,), "Cannot read properties of null (reading 'trim')"), ((5,), "query.trim is not a function")]
    cases.append(((), "Cannot read properties of undefined (reading 'trim')"))
    for args, text in cases:
        with pytest.raises(TypeError) as info:
            await db.exec(*args)
        assert str(info.value) == text


async def test_d1_nul_in_sql(make):
    db = await make("d1", {"database_id": "probe"})
    cases = {
        "SELECT 1\0": "D1_ERROR: SQL code did not contain a statement.",
        "SELECT '\0'": 'D1_ERROR: unrecognized token: "\'" at offset 7: SQLITE_ERROR',
    }
    for sql, text in cases.items():
        with pytest.raises(JsException) as info:
            await db.prepare(sql).all()
        assert str(info.value) == text
    with pytest.raises(JsException) as info:
        await db.exec("SELECT 1;\0")
    assert str(info.value) == "D1_EXEC_ERROR: Error in line 1: SELECT 1;\0: SQL code did not contain a statement."


# -- items 9-11: KV fidelity ---------------------------------------------------------------------------------


async def test_kv_json_syntax_errors_are_v8s(make):
    kv = await make("kv_namespace", {"id": "probe"})
    for i, (text, message) in enumerate(JSON_ERRORS.items()):
        await kv.put(f"k{i}", text)
        with pytest.raises(JsException) as info:
            await kv.get(f"k{i}", "json")
        assert info.value.name == "SyntaxError"
        assert str(info.value) == message, text


async def test_kv_deeply_nested_invalid_json_does_not_overflow(make):
    kv = await make("kv_namespace", {"id": "probe"})
    await kv.put("deep", "[" * 100_000 + "x")
    with pytest.raises(JsException) as info:
        await kv.get("deep", "json")
    assert str(info.value).startswith("Unexpected token 'x', ...")


@pytest.mark.parametrize("cursor", ["not-a-cursor", "_-_-", "zzzz", "!!!!"])
async def test_made_up_list_cursors_give_an_empty_page(make, cursor):
    kv = await make("kv_namespace", {"id": "probe"})
    bucket = await make("r2_bucket", {"bucket_name": "probe"})
    for key in ("a", "b", "\uffef"):
        await kv.put(key, "v")
        await bucket.put(key, "v")
    decoded_empty = cursor == "!!!!"  # no base64 characters at all: decodes to "", so the list starts at the top
    kv_page = await kv.list(cursor=cursor)
    r2_page = await bucket.list(cursor=cursor)
    if decoded_empty:
        assert len(kv_page["keys"]) == 3 and len(r2_page["objects"]) == 3
    else:
        assert kv_page["keys"] == [] and r2_page["objects"] == []
    # a real cursor still pages
    first = await kv.list(limit=1)
    assert [k["name"] for k in (await kv.list(cursor=first["cursor"]))["keys"]] == ["b", "\uffef"]


@pytest.mark.parametrize("metadata", [{"a": 2**53}, {"a": [1, {"b": -(2**60)}]}, 10**20])
async def test_kv_metadata_bigints_are_refused(make, metadata):
    kv = await make("kv_namespace", {"id": "probe"})
    with pytest.raises(TypeError) as info:
        await kv.put("k", "v", metadata=metadata)
    assert str(info.value) == BIGINT
    await kv.put("k", "v", metadata={"a": 2**53 - 1, "b": -(2**53 - 1)})  # the safe range is fine
    assert (await kv.getWithMetadata("k"))["metadata"] == {"a": 2**53 - 1, "b": -(2**53 - 1)}


def _miniflare_root():
    from flarebind.testing.node import cache_dir

    root = cache_dir()
    return root if shutil.which("node") and (root / "node_modules" / "miniflare").is_dir() else None


def test_workerd_texts_are_current(tmp_path):
    """Re-run the JSON corpus against workerd (Miniflare) so the recorded texts cannot drift from the runtime."""
    root = _miniflare_root()
    if root is None:
        pytest.skip("node and the pinned miniflare are not installed (nox -s tests installs them)")
    (tmp_path / "cases.json").write_text(json.dumps(list(JSON_ERRORS)))
    script = tmp_path / "probe.js"
    script.write_text(
        "const { Miniflare } = require('miniflare');\n"
        "const fs = require('fs');\n"
        "const worker = `export default { async fetch(req) { const cases = await req.json();"
        " return Response.json(cases.map(c => { try { JSON.parse(c); return 'OK'; }"
        " catch (e) { return e.message; } })); } }`;\n"
        "(async () => {\n"
        "  const mf = new Miniflare({ modules: true, script: worker, compatibilityDate: '2026-04-01' });\n"
        "  const res = await mf.dispatchFetch('http://x/', { method: 'POST',"
        " body: fs.readFileSync(process.argv[2], 'utf8') });\n"
        "  console.log(JSON.stringify(await res.json()));\n"
        "  await mf.dispose();\n"
        "})();\n"
    )
    env = {**os.environ, "NODE_PATH": str(root / "node_modules")}
    out = subprocess.run(
        ["node", str(script), str(tmp_path / "cases.json")], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert dict(zip(JSON_ERRORS, json.loads(out.stdout.strip().splitlines()[-1]), strict=True)) == JSON_ERRORS
