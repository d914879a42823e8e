"""``flarebind r2 object put|get|delete`` as a real process, against the state the binding reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind_r2.local import make_local

EXE = str(Path(sys.executable).with_name("flarebind"))


def run(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXE, "r2", "object", *args], cwd=cwd, input=stdin, capture_output=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "wrangler.toml").write_text(
        'name = "cli"\ncompatibility_date = "2026-05-01"\n\n[[r2_buckets]]\nbinding = "B"\nbucket_name = "cli-bucket"\n'
    )
    return tmp_path


async def open_bucket(state: Path, name: str = "cli-bucket"):
    ctx = LocalContext(persist_to=state)
    return ctx, make_local("B", {"type": "r2_bucket", "bucket_name": name}, ctx)


async def test_put_with_http_metadata_then_get_and_delete(project):
    payload = bytes(range(256)) * 1000
    (project / "data.bin").write_bytes(payload)
    put = run(
        project,
        "put",
        "cli-bucket/a/b.bin",
        "--file",
        "data.bin",
        "--content-type",
        "application/x-cli",
        "--cache-control",
        "no-cache",
        "--content-disposition",
        "attachment",
        "--content-language",
        "de",
        "--content-encoding",
        "identity",
        "--expires",
        "1700000000000",
        "--persist-to",
        "st",
    )
    assert put.returncode == 0, put.stderr
    assert put.stdout.decode().splitlines() == ['Creating object "a/b.bin" in bucket "cli-bucket".', "Upload complete."]
    ctx, bucket = await open_bucket(project / "st")
    try:
        obj = await bucket.get("a/b.bin")
        assert await obj.arrayBuffer() == payload
        assert obj.httpMetadata["contentType"] == "application/x-cli"
        assert obj.httpMetadata["cacheControl"] == "no-cache"
        assert obj.httpMetadata["contentDisposition"] == "attachment"
        assert obj.httpMetadata["contentLanguage"] == "de"
        assert obj.httpMetadata["contentEncoding"] == "identity"
        assert obj.httpMetadata["cacheExpiry"].timestamp() == 1_700_000_000
    finally:
        await ctx.dispose()

    piped = run(project, "get", "cli-bucket/a/b.bin", "--pipe", "--persist-to", "st")
    assert piped.returncode == 0 and piped.stdout == payload
    to_file = run(project, "get", "cli-bucket/a/b.bin", "--file", "out/copy.bin", "--persist-to", "st")
    assert to_file.returncode == 0
    assert to_file.stdout.decode().splitlines() == ['Downloading "a/b.bin" from "cli-bucket".', "Download complete."]
    assert (project / "out" / "copy.bin").read_bytes() == payload

    deleted = run(project, "delete", "cli-bucket/a/b.bin", "--persist-to", "st")
    assert deleted.returncode == 0
    assert deleted.stdout.decode().splitlines() == [
        'Deleting object "a/b.bin" from bucket "cli-bucket".',
        "Delete complete.",
    ]
    missing = run(project, "get", "cli-bucket/a/b.bin", "--pipe", "--persist-to", "st")
    assert missing.returncode == 1
    assert "✘ [ERROR] The specified key does not exist." in missing.stderr.decode()


async def test_pipe_in_uses_the_state_beside_the_config(project):
    (project / "sub").mkdir()
    put = run(
        project / "sub", "put", "cli-bucket/piped", "--pipe", "-c", str(project / "wrangler.toml"), stdin=b"from stdin"
    )
    assert put.returncode == 0, put.stderr
    ctx, bucket = await open_bucket(project / ".wrangler" / "state")
    try:
        assert await (await bucket.get("piped")).text() == "from stdin"
    finally:
        await ctx.dispose()


def test_usage_errors(project):
    neither = run(project, "put", "cli-bucket/k")
    assert neither.returncode == 2
    assert "Either the --file or --pipe options are required." in neither.stderr.decode()
    bad_bucket = run(project, "put", "Bad_Bucket/k", "--pipe", stdin=b"")
    assert bad_bucket.returncode == 2
    assert (
        'The bucket name "Bad_Bucket" is invalid. Bucket names must begin and end with an alphanumeric character'
    ) in bad_bucket.stderr.decode()
    no_key = run(project, "get", "cli-bucket", "--pipe")
    assert no_key.returncode == 2
    assert "The object path must be in the form of {bucket}/{key} you provided cli-bucket" in no_key.stderr.decode()
    no_file = run(project, "put", "cli-bucket/k", "--file", "missing.bin")
    assert no_file.returncode == 1
    assert 'The file "missing.bin" does not exist.' in no_file.stderr.decode()
    both = run(project, "delete", "cli-bucket/k", "--local", "--remote")
    assert both.returncode == 2


def test_service_errors_print_the_runtime_message(project):
    long_key = "k" * 1025
    result = run(project, "put", f"cli-bucket/{long_key}", "--pipe", stdin=b"x")
    assert result.returncode == 1
    assert "✘ [ERROR] put: The specified object name is not valid. (10020)" in result.stderr.decode()


def test_remote_without_credentials_says_what_is_missing(project):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    result = subprocess.run(
        [EXE, "r2", "object", "get", "cli-bucket/k", "--remote", "--pipe"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "✘ [ERROR] No Cloudflare credentials" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
