"""Child processes for the crash and concurrency tests (run as ``python kv_child.py <mode> <state dir> …``).

``writer <start>``: puts keys forever, printing ``begin <i>`` before op ``i`` and ``<i>`` once its put returned
(committed); large values are streamed in chunks with short pauses, so the parent can SIGKILL it mid-value.
``worker <name> <n>``: a mixed put/overwrite/get/list/delete workload on a namespace shared with another worker
process.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind_kv.local import make_local

SPEC = {"type": "kv_namespace", "id": "shared-ns"}


def writer_op(i: int) -> tuple[str, bytes]:
    """Op ``i`` of the crash writer: every 4th op overwrites an earlier key; every 3rd value is large."""
    key = f"k{i - 2:06d}" if i % 4 == 3 else f"k{i:06d}"
    size = 3_000_000 + (i % 5) * 500_000 if i % 3 == 0 else 100 + i % 50
    seed = hashlib.sha256(f"op{i}".encode()).digest()
    value = (seed * (size // len(seed) + 1))[:size]
    return key, value


async def slow_chunks(value: bytes):
    for offset in range(0, len(value), 65536):
        yield value[offset : offset + 65536]
        await asyncio.sleep(0.002)


async def writer(state: Path, start: int) -> None:
    ctx = LocalContext(persist_to=state)
    kv = make_local("KV", SPEC, ctx)
    i = start
    while True:
        key, value = writer_op(i)
        sys.stdout.write(f"begin {i}\n")
        sys.stdout.flush()
        await kv.put(key, slow_chunks(value) if len(value) > 1_000_000 else value, metadata={"op": i})
        sys.stdout.write(f"{i}\n")
        sys.stdout.flush()
        i += 1


async def worker(state: Path, name: str, n: int) -> None:
    ctx = LocalContext(persist_to=state)
    kv = make_local("KV", SPEC, ctx)
    for i in range(n):
        await kv.put(f"{name}/{i:04d}", f"{name}-{i}", metadata={"by": name})
        await kv.put(f"shared/{i % 20:02d}", f"{name}-{i}" * (1 + i % 7))
        if i % 3 == 0:
            await kv.put(f"{name}/big/{i % 4}", bytes([i % 256]) * 300_000)
        got = await kv.get(f"{name}/{i:04d}")
        assert got == f"{name}-{i}", got
        shared = await kv.get(f"shared/{i % 20:02d}")
        assert shared is not None and shared.split("-")[0] in ("a", "b"), shared
        if i % 10 == 0:
            await kv.list(prefix="shared/")
        if i % 5 == 4:
            await kv.delete(f"{name}/{i - 1:04d}")
    await ctx.dispose()
    print("done", name)


if __name__ == "__main__":
    mode, state = sys.argv[1], Path(sys.argv[2])
    if mode == "writer":
        asyncio.run(writer(state, int(sys.argv[3])))
    else:
        asyncio.run(worker(state, sys.argv[3], int(sys.argv[4])))
