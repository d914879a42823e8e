"""The real wrangler CLI (npm, pinned) and flarebind read and write one local state, in both directions."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.testing.remote_proxy import free_port
from flarebind.testing.wrangler import run_wrangler, wrangler_dev
from flarebind_kv.local import make_local

pytestmark = pytest.mark.wrangler

NS = "interop-ns"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        f'name = "interop"\ncompatibility_date = "2026-05-01"\n\n[[kv_namespaces]]\nbinding = "KV"\nid = "{NS}"\n'
    )
    return tmp_path


def wrangler(project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_wrangler(["kv", *args, "--local"], project, persist_to=project / "state")


async def test_flarebind_reads_what_wrangler_wrote(project):
    (project / "value.bin").write_bytes(bytes(range(256)))
    before = int(time.time())
    wrangler(
        project,
        "key",
        "put",
        "--namespace-id",
        NS,
        "greeting",
        "héllo wrangler",
        "--metadata",
        '{"from":"wrangler","n":1}',
        "--ttl",
        "3600",
    )
    wrangler(project, "key", "put", "--binding", "KV", "binary", "--path", "value.bin")

    ctx = LocalContext(persist_to=project / "state")
    kv = make_local("KV", {"type": "kv_namespace", "id": NS}, ctx)
    assert await kv.get("greeting") == "héllo wrangler"
    assert await kv.get("binary", "arrayBuffer") == bytes(range(256))
    result = await kv.getWithMetadata("greeting")
    assert result["metadata"] == {"from": "wrangler", "n": 1}
    keys = (await kv.list())["keys"]
    assert [k["name"] for k in keys] == ["binary", "greeting"]
    assert before + 3600 <= keys[1]["expiration"] <= int(time.time()) + 3600
    # overwriting a wrangler-written value replaces (and removes) wrangler's blob file
    blobs = project / "state" / "v3" / "kv" / NS / "blobs"
    assert len(list(blobs.iterdir())) == 2
    await kv.put("binary", "now text")
    assert len(list(blobs.iterdir())) == 2
    await ctx.dispose()


async def test_wrangler_reads_what_flarebind_wrote(project):
    ctx = LocalContext(persist_to=project / "state")
    kv = make_local("KV", {"type": "kv_namespace", "id": NS}, ctx)
    await kv.put("from-flarebind", "hello from python ✓", metadata={"py": True, "list": [1, 2]}, expirationTtl=7200)
    await kv.put("raw", b"\x00\x01\xfe\xff")
    await kv.put("gone", "delete me")
    expected_exp = int(time.time()) + 7200
    await ctx.dispose()

    got = wrangler(project, "key", "get", "--namespace-id", NS, "from-flarebind")
    assert got.stdout == "hello from python ✓".encode()
    assert wrangler(project, "key", "get", "--binding", "KV", "raw").stdout == b"\x00\x01\xfe\xff"
    listed = json.loads(wrangler(project, "key", "list", "--binding", "KV").stdout)
    by_name = {k["name"]: k for k in listed}
    assert set(by_name) == {"from-flarebind", "raw", "gone"}
    assert by_name["from-flarebind"]["metadata"] == {"py": True, "list": [1, 2]}
    assert abs(by_name["from-flarebind"]["expiration"] - expected_exp) <= 5
    assert by_name["raw"] == {"name": "raw"}

    wrangler(project, "key", "delete", "--namespace-id", NS, "gone")
    ctx = LocalContext(persist_to=project / "state")
    kv = make_local("KV", {"type": "kv_namespace", "id": NS}, ctx)
    assert await kv.get("gone") is None
    assert await kv.get("from-flarebind") == "hello from python ✓"
    await ctx.dispose()


WORKER_JS = """
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const key = url.searchParams.get("k");
    if (url.pathname === "/put") {
      await env.KV.put(key, url.searchParams.get("v"), { metadata: { from: "worker" } });
      return new Response("stored");
    }
    return Response.json(await env.KV.getWithMetadata(key));
  },
};
"""


def http_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode()


async def test_flarebind_and_a_running_wrangler_dev_share_a_namespace(project):
    import urllib.error

    (project / "worker.js").write_text(WORKER_JS)
    toml = (project / "wrangler.toml").read_text().replace('name = "interop"', 'name = "interop"\nmain = "worker.js"')
    (project / "wrangler.toml").write_text(toml)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with wrangler_dev(project, port, project / "state") as dev:
        for _ in range(600):  # wait for the dev server (polling, not a timing assertion)
            if dev.poll() is not None:
                raise AssertionError(dev.stdout.read().decode(errors="replace") if dev.stdout else "wrangler exited")
            try:
                http_get(f"{base}/?k=probe")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        assert http_get(f"{base}/put?k=from-worker&v=hello") == "stored"

        ctx = LocalContext(persist_to=project / "state")
        kv = make_local("KV", {"type": "kv_namespace", "id": NS}, ctx)
        assert await kv.getWithMetadata("from-worker") == {
            "value": "hello",
            "metadata": {"from": "worker"},
            "cacheStatus": None,
        }
        await kv.put("from-flarebind", "hi worker", metadata={"from": "flarebind"})
        for i in range(30):  # writes while workerd holds the same database open
            await kv.put(f"many/{i}", str(i))
        assert json.loads(http_get(f"{base}/?k=from-flarebind")) == {
            "value": "hi worker",
            "metadata": {"from": "flarebind"},
            "cacheStatus": None,
        }
        assert json.loads(http_get(f"{base}/?k=many/29"))["value"] == "29"
        assert http_get(f"{base}/put?k=from-worker&v=second") == "stored"
        assert await kv.get("from-worker") == "second"
        await ctx.dispose()
