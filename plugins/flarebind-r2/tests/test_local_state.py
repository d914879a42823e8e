"""The local simulation's state: wrangler's on-disk layout, blob clean-up, crash safety, sharing, local-only rules."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flarebind.errors import JsException
from flarebind.storage import durable_object_file_name

MiB = 1024 * 1024
PART = 5 * MiB


def db_path(state: Path, bucket: str = "bucket") -> Path:
    return (
        state / "v3" / "r2" / "miniflare-R2BucketObject" / durable_object_file_name("miniflare-R2BucketObject", bucket)
    )


def blob_files(state: Path, bucket: str = "bucket") -> list[str]:
    folder = state / "v3" / "r2" / bucket / "blobs"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def rows(state: Path, sql: str, bucket: str = "bucket") -> list[tuple]:
    conn = sqlite3.connect(db_path(state, bucket))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_files_and_rows_follow_wranglers_layout(open_bucket, tmp_path):
    bucket = open_bucket("bucket")
    put = await bucket.put(
        "dir/k",
        b"body",
        httpMetadata={"contentType": "application/x-test", "cacheControl": "max-age=60"},
        customMetadata={"a": "b"},
        sha256=hashlib.sha256(b"body").hexdigest(),
    )
    state = tmp_path / "state"
    # the name wrangler derives for bucket "bucket" (checked against wrangler's own file in the reference)
    assert db_path(state).name == "29965eb20d6b29e3c7008c7d0bc667fe58e803dc45daff05d97f04d3666537f4.sqlite"
    assert db_path(state).exists()
    assert (db_path(state).parent / "metadata.sqlite").exists()
    (blob,) = blob_files(state)
    assert re.fullmatch(r"[0-9a-f]{80}", blob)
    assert (state / "v3" / "r2" / "bucket" / "blobs" / blob).read_bytes() == b"body"
    (row,) = rows(
        state,
        "SELECT key, blob_id, version, size, etag, uploaded, checksums, http_metadata, "
        "custom_metadata FROM _mf_objects",
    )
    assert row[:5] == ("dir/k", blob, put.version, 4, hashlib.md5(b"body").hexdigest())
    assert row[5] == int(put.uploaded.timestamp() * 1000)
    assert json.loads(row[6]) == {"sha256": hashlib.sha256(b"body").hexdigest()}
    assert row[7] == '{"contentType":"application/x-test","cacheControl":"max-age=60"}'
    assert row[8] == '{"a":"b"}'


async def test_overwritten_and_deleted_objects_leave_no_blobs(open_bucket, tmp_path):
    bucket = open_bucket()
    state = tmp_path / "state"
    await bucket.put("k", "one")
    first = blob_files(state)
    await bucket.put("k", "two")
    second = blob_files(state)
    assert len(second) == 1 and second != first
    await bucket.delete("k")
    assert blob_files(state) == []

    upload = await bucket.createMultipartUpload("m")
    await upload.uploadPart(1, b"a" * PART)
    await upload.uploadPart(1, b"b" * PART)  # replaces the first upload of part 1
    assert len(blob_files(state)) == 1
    p1 = await upload.uploadPart(1, b"c" * PART)
    p2 = await upload.uploadPart(2, b"d")
    await upload.uploadPart(3, b"not used")
    await upload.complete([p1, p2])
    assert len(blob_files(state)) == 2  # the unused part 3 is dropped on completion
    assert rows(state, "SELECT part_number, object_key FROM _mf_multipart_parts ORDER BY part_number") == [
        (1, "m"),
        (2, "m"),
    ]
    assert rows(state, "SELECT blob_id IS NULL FROM _mf_objects WHERE key = 'm'") == [(1,)]
    await bucket.put("m", "single")
    assert len(blob_files(state)) == 1
    assert rows(state, "SELECT count(*) FROM _mf_multipart_parts") == [(0,)]

    aborted = await bucket.createMultipartUpload("gone")
    await aborted.uploadPart(1, b"x")
    await aborted.abort()
    assert len(blob_files(state)) == 1


async def test_failed_put_leaves_no_blob(open_bucket, tmp_path):
    bucket = open_bucket()
    with pytest.raises(JsException):
        await bucket.put("k", "x", md5="0" * 32)
    assert await bucket.put("k", "x", onlyIf={"etagMatches": "nope"}) is None
    assert blob_files(tmp_path / "state") == []


async def test_a_failing_complete_changes_nothing(open_bucket, tmp_path):
    """Completion is one transaction: when SQLite fails half-way, the previous object stays as it was."""
    bucket = open_bucket()
    state = tmp_path / "state"
    await bucket.put("k", "previous")
    upload = await bucket.createMultipartUpload("k")
    parts = [await upload.uploadPart(1, b"a" * PART), await upload.uploadPart(2, b"b")]
    conn = sqlite3.connect(db_path(state))
    # a real SQLite failure after the object row was replaced: linking the parts aborts the transaction
    conn.execute(
        "CREATE TRIGGER fail_link BEFORE UPDATE OF object_key ON _mf_multipart_parts "
        "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
    )
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError):
        await upload.complete(parts)
    assert await (await bucket.get("k")).text() == "previous"
    assert len(blob_files(state)) == 3
    conn.execute("DROP TRIGGER fail_link")
    conn.commit()
    conn.close()
    completed = await upload.complete(parts)
    assert completed.size == PART + 1
    assert len(blob_files(state)) == 2


CHILD_PUT = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from flarebind.bindings.context import LocalContext
    from flarebind_r2.local import make_local

    async def endless():
        for i in range(8):
            yield b"new" * 100_000
        print("streaming", flush=True)
        while True:   # the parent kills us here, half-way through the value
            await asyncio.sleep(3600)
            yield b""

    async def main():
        ctx = LocalContext(persist_to=Path(sys.argv[1]))
        bucket = make_local("B", {"bucket_name": "bucket"}, ctx)
        await bucket.put("k", "previous value")
        await bucket.put("k", endless())

    asyncio.run(main())
""")


async def test_a_killed_put_leaves_the_previous_object(open_bucket, tmp_path):
    state = tmp_path / "state"
    child = subprocess.Popen([sys.executable, "-c", CHILD_PUT, str(state)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "streaming"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    bucket = open_bucket()
    got = await bucket.get("k")
    assert await got.text() == "previous value"
    # the half-written value is at most an unreferenced file: the only row still names the previous blob
    (referenced,) = rows(state, "SELECT blob_id FROM _mf_objects")
    files = blob_files(state)
    assert referenced[0] in files and len(files) <= 2


async def test_two_contexts_share_one_persist_dir(open_bucket, tmp_path):
    writer, reader = open_bucket(), open_bucket()
    await writer.put("shared", "seen by both")
    assert await (await reader.get("shared")).text() == "seen by both"
    other = open_bucket("other-bucket")
    assert await other.head("shared") is None


async def test_in_memory_writes_nothing(open_bucket, tmp_path):
    bucket = open_bucket(in_memory=True)
    await bucket.put("k", "memory")
    upload = await bucket.createMultipartUpload("m")
    await upload.complete([await upload.uploadPart(1, b"parts")])
    assert await (await bucket.get("k")).text() == "memory"
    assert await (await bucket.get("m")).text() == "parts"
    assert not (tmp_path / "state").exists()
    assert not (tmp_path / ".wrangler").exists()


async def test_overwrite_during_a_multipart_read_keeps_the_read_whole(open_bucket, tmp_path):
    bucket = open_bucket()
    state = tmp_path / "state"
    upload = await bucket.createMultipartUpload("m")
    original = b"a" * PART + b"b" * 10
    await upload.complete([await upload.uploadPart(1, original[:PART]), await upload.uploadPart(2, original[PART:])])
    reading = await bucket.get("m")
    await bucket.put("m", "replacement")
    assert len(blob_files(state)) == 3  # the parts stay until the read finishes
    assert await reading.arrayBuffer() == original
    assert len(blob_files(state)) == 1
    assert await (await bucket.get("m")).text() == "replacement"


async def test_storage_class_is_kept(open_bucket, tmp_path):
    bucket = open_bucket()
    assert (await bucket.put("s", "x")).storageClass == "Standard"
    put = await bucket.put("ia", "x", storageClass="InfrequentAccess")
    assert put.storageClass == "InfrequentAccess"
    assert (await bucket.head("ia")).storageClass == "InfrequentAccess"
    upload = await bucket.createMultipartUpload("mp", storageClass="InfrequentAccess")
    obj = await upload.complete([await upload.uploadPart(1, b"x")])
    assert obj.storageClass == "InfrequentAccess"
    assert rows(tmp_path / "state", "SELECT key, storage_class FROM _mf_objects ORDER BY key") == [
        ("ia", "InfrequentAccess"),
        ("mp", "InfrequentAccess"),
        ("s", None),
    ]


async def test_list_leaves_out_metadata_not_included(open_bucket):
    bucket = open_bucket()
    await bucket.put("k", "x", httpMetadata={"contentType": "text/plain"}, customMetadata={"a": "1"})
    (obj,) = (await bucket.list())["objects"]
    assert obj.httpMetadata is None and obj.customMetadata is None
    with pytest.raises(TypeError) as info:
        obj.writeHttpMetadata({})
    assert str(info.value) == (
        "HTTP metadata unknown for key `k`. Did you forget to add 'httpMetadata' to `include` when listing?"
    )
    (obj,) = (await bucket.list(include=["customMetadata"]))["objects"]
    assert obj.httpMetadata is None and obj.customMetadata == {"a": "1"}


async def test_old_compatibility_dates_list_all_metadata(open_bucket):
    bucket = open_bucket(compatibility_date="2022-01-01")
    await bucket.put("k", "x", httpMetadata={"contentType": "text/plain"}, customMetadata={"a": "1"})
    (obj,) = (await bucket.list())["objects"]
    assert obj.httpMetadata == {"contentType": "text/plain"} and obj.customMetadata == {"a": "1"}


async def test_list_with_metadata_pages_at_100(open_bucket):
    bucket = open_bucket(in_memory=True)
    for i in range(120):
        await bucket.put(f"k{i:03}", "x")
    page = await bucket.list(include=["httpMetadata"])
    assert len(page["objects"]) == 100 and page["truncated"] is True
    assert len((await bucket.list())["objects"]) == 120


async def test_unknown_upload_on_complete_and_abort_is_10024(open_bucket):
    bucket = open_bucket(in_memory=True)
    ghost = bucket.resumeMultipartUpload("k", "no-such-upload")
    with pytest.raises(JsException) as info:
        await ghost.complete([])
    assert str(info.value) == "completeMultipartUpload: The specified multipart upload does not exist. (10024)"
    with pytest.raises(JsException) as info:
        await ghost.abort()
    assert str(info.value) == "abortMultipartUpload: The specified multipart upload does not exist. (10024)"
    # an upload id belongs to its key
    real = await bucket.createMultipartUpload("a")
    with pytest.raises(JsException) as info:
        await bucket.resumeMultipartUpload("b", real.uploadId).uploadPart(1, b"x")
    assert info.value.code == 10024


async def test_duplicate_part_numbers_fail_completion(open_bucket):
    bucket = open_bucket(in_memory=True)
    upload = await bucket.createMultipartUpload("d")
    part = await upload.uploadPart(1, b"x")
    with pytest.raises(JsException) as info:
        await upload.complete([part, part])
    assert str(info.value) == "completeMultipartUpload: We encountered an internal error. Please try again. (10001)"


async def test_sse_c_is_reported_as_not_simulated(open_bucket):
    bucket = open_bucket(in_memory=True)
    with pytest.raises(JsException) as info:
        await bucket.put("k", "x", ssecKey="00" * 32)
    assert "SSE-C" in str(info.value) and "not simulated locally" in str(info.value)
    with pytest.raises(JsException) as info:
        await bucket.put("k", "x", ssecKey=b"short")
    assert str(info.value) == "SSE-C Key must be 32 bytes in length"


async def test_uploaded_comes_from_the_context_clock(open_bucket):
    bucket = open_bucket(in_memory=True, clock=lambda: 1_700_000_000.5)
    obj = await bucket.put("k", "x")
    assert obj.uploaded.timestamp() == 1_700_000_000.5
    assert hasattr(await bucket.get("k", onlyIf={"If-Modified-Since": "Tue, 14 Nov 2023 22:13:19 GMT"}), "body")
    # seconds granularity for header dates: 22:13:20.5 is not after 22:13:20
    assert not hasattr(await bucket.get("k", onlyIf={"If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT"}), "body")


async def test_values_stream_without_being_joined(open_bucket, tmp_path):
    """A generator's chunks go to disk as they come: the blob grows while the generator is still running."""
    bucket = open_bucket()
    tmp_dir = tmp_path / "state" / "v3" / "r2" / "bucket" / "blobs"
    sizes = []

    def chunks():
        for _ in range(4):
            yield b"z" * MiB
            sizes.append(sum(p.stat().st_size for p in tmp_dir.iterdir()))

    obj = await bucket.put("g", chunks())
    assert obj.size == 4 * MiB
    assert sizes[-1] >= 3 * MiB  # by the last chunk, the earlier ones are already in the (unreferenced) blob file
    assert os.listdir(tmp_dir) == blob_files(tmp_path / "state")


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
async def test_ranged_gets_read_only_the_range(open_bucket):
    bucket = open_bucket()
    await bucket.put("single", (b"s" * MiB for _ in range(64)))
    upload = await bucket.createMultipartUpload("multi")
    parts = [await upload.uploadPart(i + 1, (bytes([65 + i]) * MiB for _ in range(5))) for i in range(4)]
    await upload.complete(parts)
    for key, offset in (("single", 40 * MiB + 7), ("multi", 10 * MiB - 100)):
        before = _bytes_read()
        got = await bucket.get(key, range={"offset": offset, "length": MiB})
        data = await got.arrayBuffer()
        read = _bytes_read() - before
        assert len(data) == MiB
        assert read < 2 * MiB, f"{key}: read {read} bytes for a 1 MiB range"
    assert data == b"B" * 100 + b"C" * (MiB - 100)  # the multipart range spans parts 2 and 3


CHILD_WRITER = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from flarebind.bindings.context import LocalContext
    from flarebind_r2.local import make_local

    async def main():
        ctx = LocalContext(persist_to=Path(sys.argv[1]))
        bucket = make_local("B", {"bucket_name": "bucket"}, ctx)
        name = sys.argv[2]
        for i in range(60):
            await bucket.put(f"{name}/{i}", f"{name}-{i}")
            await bucket.put("contended", name)
        await ctx.dispose()

    asyncio.run(main())
""")


async def test_processes_write_one_bucket_concurrently(open_bucket, tmp_path):
    state = tmp_path / "state"
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD_WRITER, str(state), name], stderr=subprocess.PIPE)
        for name in ("p1", "p2", "p3")
    ]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
    bucket = open_bucket()
    listed = (await bucket.list())["objects"]
    assert len(listed) == 181
    for name in ("p1", "p2", "p3"):
        assert await (await bucket.get(f"{name}/59")).text() == f"{name}-59"
    assert await (await bucket.get("contended")).text() in {"p1", "p2", "p3"}
    assert len(blob_files(state)) == 181  # every overwritten blob was removed, whichever process wrote it


async def test_a_new_context_never_sees_a_collected_contexts_memory():
    import gc

    from flarebind.bindings.context import LocalContext
    from flarebind_r2.local import make_local

    for _ in range(5):
        ctx = LocalContext(in_memory=True)
        bucket = make_local("B", {"bucket_name": "same-name"}, ctx)
        assert await bucket.head("k") is None
        await bucket.put("k", "v")
        del ctx, bucket
        gc.collect()
