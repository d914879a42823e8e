"""Large objects stream through the binding in constant memory (peak RSS of a fresh process, not a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent("""
    import asyncio, hashlib, json, sys
    from pathlib import Path
    from flarebind.bindings.context import LocalContext
    from flarebind_r2.local import make_local

    SIZE = int(sys.argv[2])
    CHUNK = 1 << 20

    def generate():
        block = bytes(range(256)) * (CHUNK // 256)
        for i in range(SIZE // CHUNK):
            yield block[i % 251:] + block[:i % 251]

    async def main():
        ctx = LocalContext(persist_to=Path(sys.argv[1]))
        bucket = make_local("B", {"bucket_name": "big"}, ctx)
        expected = hashlib.md5()
        for chunk in generate():
            expected.update(chunk)
        put = await bucket.put("big", generate())
        got = await bucket.get("big")
        seen = hashlib.md5()
        async for chunk in got.body:
            seen.update(chunk)
        ranged = await bucket.get("big", range={"offset": SIZE // 2, "length": 3 * CHUNK})
        ranged_len = len(await ranged.arrayBuffer())
        await ctx.dispose()
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a child forked from a large pytest process
        # would report its parent's size; VmHWM belongs to this process's own address space
        status = Path("/proc/self/status").read_text()
        peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) * 1024
        print(json.dumps({"etag": put.etag, "expected": expected.hexdigest(), "read": seen.hexdigest(),
                          "size": got.size, "ranged": ranged_len, "peak": peak}))

    asyncio.run(main())
""")


def test_256_mib_put_and_get_stay_under_100_mib_rss(tmp_path):
    size = 256 * 1024 * 1024
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "state"), str(size)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["size"] == size
    assert result["etag"] == result["expected"] == result["read"]
    assert result["ranged"] == 3 * 1024 * 1024
    assert result["peak"] < 100 * 1024 * 1024, f"peak RSS {result['peak'] / 2**20:.1f} MiB"
