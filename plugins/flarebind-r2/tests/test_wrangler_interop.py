"""The real wrangler (and the Miniflare it runs) and flarebind read each other's R2 objects and metadata."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from flarebind.bindings.context import LocalContext
from flarebind.testing.node import ensure_node_packages, node_env, wrangler_command
from flarebind.testing.remote_proxy import free_port
from flarebind.testing.wrangler import run_wrangler, wrangler_dev
from flarebind_r2.local import make_local

pytestmark = pytest.mark.wrangler

BUCKET = "interop-bucket"
MiB = 1024 * 1024


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        'name = "interop"\ncompatibility_date = "2026-05-01"\n\n'
        f'[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "{BUCKET}"\n'
    )
    return tmp_path


def wrangler(project: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return run_wrangler(args, project, stdin=stdin, timeout=120)


@pytest.fixture
async def bucket(project: Path):
    ctx = LocalContext(persist_to=project / "state", project_dir=project)
    yield make_local("BUCKET", {"type": "r2_bucket", "bucket_name": BUCKET}, ctx)
    await ctx.dispose()


async def test_flarebind_reads_what_wrangler_put(project, bucket):
    data = os.urandom(300_000)
    (project / "upload.bin").write_bytes(data)
    wrangler(
        project,
        "r2",
        "object",
        "put",
        f"{BUCKET}/dir/upload.bin",
        "--local",
        "--persist-to",
        "state",
        "--file",
        "upload.bin",
        "--content-type",
        "application/x-test",
        "--cache-control",
        "max-age=60",
        "--content-language",
        "en",
        "--expires",
        "1700000000000",
    )
    obj = await bucket.get("dir/upload.bin")
    assert obj is not None
    assert obj.size == len(data)
    assert obj.etag == hashlib.md5(data).hexdigest()
    assert obj.checksums.md5 == hashlib.md5(data).digest()
    assert obj.httpMetadata == {
        "contentType": "application/x-test",
        "cacheControl": "max-age=60",
        "contentLanguage": "en",
        "cacheExpiry": dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc),
    }
    assert obj.customMetadata == {}
    assert await obj.arrayBuffer() == data
    ranged = await bucket.get("dir/upload.bin", range={"offset": 1000, "length": 10})
    assert await ranged.arrayBuffer() == data[1000:1010]
    assert [o.key for o in (await bucket.list(prefix="dir/"))["objects"]] == ["dir/upload.bin"]

    wrangler(
        project,
        "r2",
        "object",
        "put",
        f"{BUCKET}/piped.txt",
        "--local",
        "--persist-to",
        "state",
        "--pipe",
        stdin=b"piped in",
    )
    assert await (await bucket.get("piped.txt")).text() == "piped in"


async def test_wrangler_reads_what_flarebind_put(project, bucket):
    data = os.urandom(200_000)
    await bucket.put("single.bin", data, httpMetadata={"contentType": "image/png"})
    piped = wrangler(
        project, "r2", "object", "get", f"{BUCKET}/single.bin", "--local", "--persist-to", "state", "--pipe"
    )
    assert piped.stdout == data
    wrangler(
        project,
        "r2",
        "object",
        "get",
        f"{BUCKET}/single.bin",
        "--local",
        "--persist-to",
        "state",
        "--file",
        "out/single.bin",
    )
    assert (project / "out" / "single.bin").read_bytes() == data


async def test_wrangler_reads_a_multipart_object_flarebind_completed(project, bucket):
    upload = await bucket.createMultipartUpload("multi.bin")
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"the last part"]
    uploaded = [await upload.uploadPart(i + 1, p) for i, p in enumerate(parts)]
    await upload.complete(uploaded)
    piped = wrangler(
        project, "r2", "object", "get", f"{BUCKET}/multi.bin", "--local", "--persist-to", "state", "--pipe"
    )
    assert hashlib.sha256(piped.stdout).hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()

    # wrangler overwriting it removes the parts and their blobs
    (project / "small.txt").write_text("small now")
    wrangler(
        project, "r2", "object", "put", f"{BUCKET}/multi.bin", "--local", "--persist-to", "state", "--file", "small.txt"
    )
    assert await (await bucket.get("multi.bin")).text() == "small now"
    blobs = [p for p in (project / "state" / "v3" / "r2" / BUCKET / "blobs").iterdir()]
    assert len(blobs) == 1


async def test_wrangler_delete_is_seen(project, bucket):
    await bucket.put("doomed", "x")
    wrangler(project, "r2", "object", "delete", f"{BUCKET}/doomed", "--local", "--persist-to", "state")
    assert await bucket.get("doomed") is None
    assert list((project / "state" / "v3" / "r2" / BUCKET / "blobs").iterdir()) == []


MINIFLARE_MULTIPART = """
import { Miniflare } from "MINIFLARE_URL";
const [persist, bucketName] = process.argv.slice(2);
const mf = new Miniflare({
  modules: true, compatibilityDate: "2026-05-01", r2Buckets: { B: bucketName }, r2Persist: persist,
  script: `export default { async fetch(req, env) {
    const upload = await env.B.createMultipartUpload("from-miniflare", {
      httpMetadata: { contentType: "text/x-parts" }, customMetadata: { by: "miniflare" } });
    const p1 = await upload.uploadPart(1, "a".repeat(5 * 1024 * 1024));
    const p2 = await upload.uploadPart(2, "z".repeat(1234));
    const obj = await upload.complete([p1, p2]);
    return Response.json({ etag: obj.etag, size: obj.size });
  } }`,
});
const res = await mf.dispatchFetch("http://localhost/");
console.log(JSON.stringify(await res.json()));
await mf.dispose();
"""


async def test_flarebind_reads_a_multipart_object_miniflare_completed(project, bucket):
    miniflare = ensure_node_packages() / "node_modules" / "miniflare" / "dist" / "src" / "index.js"
    script = project / "multipart.mjs"
    script.write_text(MINIFLARE_MULTIPART.replace("MINIFLARE_URL", miniflare.as_uri()))
    proc = subprocess.run(
        [wrangler_command()[0], str(script), str(project / "state" / "v3" / "r2"), BUCKET],
        cwd=project,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    written = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = b"a" * 5 * MiB + b"z" * 1234
    part_md5s = hashlib.md5(b"a" * 5 * MiB).digest() + hashlib.md5(b"z" * 1234).digest()
    assert written["etag"] == hashlib.md5(part_md5s).hexdigest() + "-2"
    obj = await bucket.get("from-miniflare")
    assert obj.etag == written["etag"] and obj.size == len(expected)
    assert obj.httpMetadata == {"contentType": "text/x-parts"}
    assert obj.customMetadata == {"by": "miniflare"}
    assert await obj.arrayBuffer() == expected
    tail = await bucket.get("from-miniflare", range={"suffix": 1240})
    assert await tail.arrayBuffer() == b"a" * 6 + b"z" * 1234


def flarebind_cli(project: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = Path(sys.executable).with_name("flarebind")
    proc = subprocess.run([str(exe), *args], cwd=project, input=stdin, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc


def test_clis_exchange_objects(project):
    """flarebind's CLI and wrangler's, on the default state folder beside the config."""
    flarebind_cli(
        project,
        "r2",
        "object",
        "put",
        f"{BUCKET}/from-flarebind",
        "--pipe",
        "--content-type",
        "text/plain",
        stdin=b"hello wrangler",
    )
    assert (project / ".wrangler" / "state" / "v3" / "r2" / BUCKET / "blobs").is_dir()
    got = wrangler(project, "r2", "object", "get", f"{BUCKET}/from-flarebind", "--local", "--pipe")
    assert got.stdout == b"hello wrangler"
    wrangler(project, "r2", "object", "put", f"{BUCKET}/from-wrangler", "--local", "--pipe", stdin=b"hello flarebind")
    back = flarebind_cli(project, "r2", "object", "get", f"{BUCKET}/from-wrangler", "--pipe")
    assert back.stdout == b"hello flarebind"


WORKER_JS = """
export default { async fetch(req, env) {
  const key = new URL(req.url).pathname.slice(1);
  if (req.method === "PUT") {
    const obj = await env.BUCKET.put(key, req.body, { httpMetadata: { contentType: "text/from-workerd" } });
    return new Response(obj.etag);
  }
  const obj = await env.BUCKET.get(key);
  if (obj === null) return new Response("null", { status: 404 });
  return new Response(obj.body, { headers: { "x-etag": obj.etag, "x-type": obj.httpMetadata.contentType ?? "" } });
} }
"""


async def test_state_is_shared_live_with_a_running_wrangler_dev(project, bucket):
    (project / "worker.js").write_text(WORKER_JS)
    (project / "wrangler.toml").write_text('main = "worker.js"\n' + (project / "wrangler.toml").read_text())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with wrangler_dev(project, port, "state") as dev:
        async with httpx.AsyncClient(timeout=10) as client:
            deadline = time.monotonic() + 90
            while True:
                try:
                    await client.get(f"{base}/ready-probe")
                    break
                except httpx.TransportError:
                    assert dev.poll() is None and time.monotonic() < deadline, "wrangler dev did not start"
                    await asyncio.sleep(0.3)
            written = await client.put(f"{base}/by-workerd", content=b"written by workerd")
            obj = await bucket.get("by-workerd")
            assert await obj.text() == "written by workerd"
            assert obj.etag == written.text
            assert obj.httpMetadata == {"contentType": "text/from-workerd"}

            await bucket.put("by-flarebind", b"written by flarebind", httpMetadata={"contentType": "text/fb"})
            read = await client.get(f"{base}/by-flarebind")
            assert read.status_code == 200
            assert read.content == b"written by flarebind"
            assert read.headers["x-type"] == "text/fb"

            upload = await bucket.createMultipartUpload("multi-live")
            parts = [await upload.uploadPart(1, b"m" * 5 * MiB), await upload.uploadPart(2, b"end")]
            done = await upload.complete(parts)
            read = await client.get(f"{base}/multi-live")
            assert read.headers["x-etag"] == done.etag
            assert read.content == b"m" * 5 * MiB + b"end"
