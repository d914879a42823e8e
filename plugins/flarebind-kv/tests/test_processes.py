"""Real processes on real files: a writer SIGKILLed mid-stream, and two processes sharing one namespace."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.storage import durable_object_file_name
from flarebind_kv.local import make_local

sys.path.insert(0, str(Path(__file__).parent))
from kv_child import SPEC, writer_op

CHILD = str(Path(__file__).with_name("kv_child.py"))
NS_FILE = durable_object_file_name("miniflare-KVNamespaceObject", SPEC["id"])


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def state_rows(state: Path) -> dict[str, str]:
    db = state / "v3" / "kv" / "miniflare-KVNamespaceObject" / NS_FILE
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(conn.execute("SELECT key, blob_id FROM _mf_entries").fetchall())
    finally:
        conn.close()


def kill_writer_mid_stream(state: Path, start: int, commits: int) -> int:
    """Run a writer from op ``start``; SIGKILL it while it streams a large value, after ``commits`` commits.

    Returns the index of the last op the child reported as committed.
    """
    proc = subprocess.Popen(
        [sys.executable, CHILD, "writer", str(state), str(start)], stdout=subprocess.PIPE, env=child_env(), text=True
    )
    last = start - 1
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("begin "):
                last = int(line)
                continue
            op = int(line.split()[1])
            if op - start >= commits and op % 3 == 0:
                # a multi-megabyte value is being streamed (~100 ms): kill it part way through
                time.sleep(0.02)
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return last


@pytest.mark.slow
async def test_a_killed_writer_leaves_every_committed_key_intact(tmp_path):
    state = tmp_path / "state"
    expected: dict[str, bytes] = {}  # key -> value of the last committed op that wrote it
    in_flight: dict[str, bytes] = {}  # the op a kill may have interrupted (committed or not: both are fine)
    start = 0
    for round_ in range(3):
        last = kill_writer_mid_stream(state, start, commits=12 + 5 * round_)
        for i in range(start, last + 1):
            key, value = writer_op(i)
            expected[key] = value
        key, value = writer_op(last + 1)
        in_flight = {key: value}
        start = last + 2  # never reuse the interrupted op's index

        ctx = LocalContext(persist_to=state)
        kv = make_local("KV", SPEC, ctx)
        listed = []
        cursor = None
        while True:
            page = await kv.list(cursor=cursor)
            listed += [k["name"] for k in page["keys"]]
            if page["list_complete"]:
                break
            cursor = page["cursor"]
        assert set(listed) - set(expected) <= set(in_flight)
        assert set(expected) <= set(listed)
        for key, value in expected.items():
            got = await kv.get(key, "arrayBuffer")
            if key in in_flight and got == in_flight[key]:
                expected[key] = got  # the interrupted put had committed
                continue
            assert got == value, f"{key}: {len(got or b'')} bytes, expected {len(value)}"
        for key, value in in_flight.items():
            got = await kv.get(key, "arrayBuffer")
            assert got is None or got == value or got == expected.get(key)
            if got is not None:
                expected[key] = got
        await ctx.dispose()

    # every row points at a complete blob; nothing but unreferenced, partly written blob files may be left over
    rows = state_rows(state)
    blobs = state / "v3" / "kv" / SPEC["id"] / "blobs"
    files = {p.name for p in blobs.iterdir()}
    assert set(rows.values()) <= files
    leftovers = files - set(rows.values())
    assert all(len(name) == 80 and all(c in "0123456789abcdef" for c in name) for name in leftovers), leftovers
    # evidence that the kills landed mid-value: partial blob files, none of them visible as a value
    assert leftovers
    assert all((blobs / name).stat().st_size < 3_000_000 for name in leftovers)
    # a new writer carries on normally on the same state
    ctx = LocalContext(persist_to=state)
    kv = make_local("KV", SPEC, ctx)
    await kv.put("after-crash", "fine")
    assert await kv.get("after-crash") == "fine"
    await ctx.dispose()


async def test_two_processes_share_a_namespace_without_lock_errors(tmp_path):
    state = tmp_path / "state"  # fresh: both processes race to create the files and switch them to WAL

    async def run(name: str) -> tuple[int, bytes, bytes]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            CHILD,
            "worker",
            str(state),
            name,
            "150",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_env(),
        )
        out, err = await proc.communicate()
        return proc.returncode or 0, out, err

    (rc_a, out_a, err_a), (rc_b, out_b, err_b) = await asyncio.gather(run("a"), run("b"))
    for rc, out, err in ((rc_a, out_a, err_a), (rc_b, out_b, err_b)):
        assert b"database is locked" not in err
        assert rc == 0, err.decode()
        assert out.startswith(b"done")

    ctx = LocalContext(persist_to=state)
    kv = make_local("KV", SPEC, ctx)
    for name in ("a", "b"):
        for i in range(150):
            deleted = i % 5 == 3
            got = await kv.getWithMetadata(f"{name}/{i:04d}")
            if deleted:
                assert got["value"] is None
            else:
                assert got["value"] == f"{name}-{i}" and got["metadata"] == {"by": name}
    for i in range(20):
        assert (await kv.get(f"shared/{i:02d}")).split("-")[0] in ("a", "b")
    await ctx.dispose()
    # every replaced or deleted blob was removed exactly once: the files are exactly the referenced blobs
    rows = state_rows(state)
    files = {p.name for p in (state / "v3" / "kv" / SPEC["id"] / "blobs").iterdir()}
    assert files == set(rows.values())
