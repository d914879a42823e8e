"""Ad-hoc numbers for the local R2 simulation (the side-by-side benchmark with Miniflare lives in bench/).

    .venv/bin/python plugins/flarebind-r2/scripts/measure_r2.py [--small N] [--large-mib 64] [--rss-mib 1024]

Prints small-object put/get ops/s, large-object put/get MB/s (on disk, in a temporary folder) and the peak RSS of
a fresh process that puts and gets one object of --rss-mib MiB from a generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flarebind.bindings.context import LocalContext
from flarebind_r2.local import make_local

RSS_CHILD = """
import asyncio, resource, sys, time
from pathlib import Path
from flarebind.bindings.context import LocalContext
from flarebind_r2.local import make_local
size = int(sys.argv[2]); chunk = b"r" * (1 << 20)
async def main():
    ctx = LocalContext(persist_to=Path(sys.argv[1]))
    bucket = make_local("B", {"bucket_name": "rss"}, ctx)
    t0 = time.perf_counter()
    await bucket.put("big", (chunk for _ in range(size >> 20)))
    t1 = time.perf_counter()
    n = 0
    async for c in (await bucket.get("big")).body:
        n += len(c)
    t2 = time.perf_counter()
    assert n == size
    await ctx.dispose()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, size / 1e6 / (t1 - t0), size / 1e6 / (t2 - t1))
asyncio.run(main())
"""


async def measure(small: int, large_mib: int, root: Path) -> dict[str, float]:
    ctx = LocalContext(persist_to=root / "state")
    bucket = make_local("B", {"bucket_name": "measure"}, ctx)
    value = b"v" * 100
    t0 = time.perf_counter()
    for i in range(small):
        await bucket.put(f"key-{i}", value)
    t1 = time.perf_counter()
    for i in range(small):
        obj = await bucket.get(f"key-{i}")
        await obj.arrayBuffer()
    t2 = time.perf_counter()
    size = large_mib << 20
    chunk = b"L" * (1 << 20)
    t3 = time.perf_counter()
    await bucket.put("large", (chunk for _ in range(large_mib)))
    t4 = time.perf_counter()
    n = 0
    async for c in (await bucket.get("large")).body:
        n += len(c)
    t5 = time.perf_counter()
    assert n == size
    await ctx.dispose()
    return {
        "small_put_ops_s": small / (t1 - t0),
        "small_get_ops_s": small / (t2 - t1),
        f"put_{large_mib}mib_MB_s": size / 1e6 / (t4 - t3),
        f"get_{large_mib}mib_MB_s": size / 1e6 / (t5 - t4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large-mib", type=int, default=64)
    parser.add_argument("--rss-mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(measure(args.small, args.large_mib, Path(tmp)))
        out = subprocess.run(
            [sys.executable, "-c", RSS_CHILD, str(Path(tmp) / "rss"), str(args.rss_mib << 20)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        results[f"peak_rss_{args.rss_mib}mib_MiB"] = float(out[0])
        results[f"put_{args.rss_mib}mib_MB_s"] = float(out[1])
        results[f"get_{args.rss_mib}mib_MB_s"] = float(out[2])
    print(json.dumps({k: round(v, 1) for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
