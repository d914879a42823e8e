"""Measure the raw round trip of one binding call to the proxy worker (no relay), per binding type.

Run: python -m flarebind.testing.remote_proxy -- python tests/remote_worker/measure_roundtrip.py [N]
(the wrapper starts the proxy under wrangler dev and sets FLAREBIND_REMOTE_PROXY_URL / _SECRET).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from flarebind.remote.channel import channel_from_env
from flarebind.remote.codec import Pipeline


async def measure(n: int) -> None:
    channel = channel_from_env()
    assert channel is not None, "set FLAREBIND_REMOTE_PROXY_URL and FLAREBIND_REMOTE_PROXY_SECRET"
    await channel.call("FB_KV_0", [{"call": "put", "args": ["bench", "value"]}])
    await channel.call("FB_R2_0", [{"call": "put", "args": ["bench", b"x" * 1024]}])
    calls = {
        "kv get (text)": ("FB_KV_0", [{"call": "get", "args": ["bench"]}]),
        "kv put": ("FB_KV_0", [{"call": "put", "args": ["bench", "value"]}]),
        "r2 head": ("FB_R2_0", [{"call": "head", "args": ["bench"]}]),
        "r2 get 1 KiB (framed stream)": ("FB_R2_0", [{"call": "get", "args": ["bench"]}]),
        "d1 prepare/bind/first": (
            "FB_DB_0",
            [{"call": "prepare", "args": ["SELECT ? AS n"]}, {"call": "bind", "args": [1]}, {"call": "first"}],
        ),
        "d1 batch of 2": (
            "FB_DB_0",
            [
                {
                    "call": "batch",
                    "args": [
                        [
                            Pipeline([{"call": "prepare", "args": ["SELECT 1"]}]),
                            Pipeline([{"call": "prepare", "args": ["SELECT 2"]}]),
                        ]
                    ],
                }
            ],
        ),
        "service rpc add": ("FB_SVC", [{"call": "add", "args": [1, 2]}]),
    }
    for label, (binding, ops) in calls.items():
        for _ in range(20):  # warm connections and workerd
            result = await channel.call(binding, ops)
            if hasattr(result, "get") and hasattr(result.get("body"), "read"):
                await result["body"].read()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            result = await channel.call(binding, ops)
            if hasattr(result, "get") and hasattr(result.get("body"), "read"):
                await result["body"].read()
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"{label:32s} median {statistics.median(times):6.2f} ms   p90 {times[int(n * 0.9)]:6.2f} ms   (n={n})")
    # the same kv get as a bare httpx POST (no codec, no channel): what the channel itself adds
    from flarebind.remote.protocol import CALL_PATH

    body = b'{"binding":"FB_KV_0","calls":[{"call":"get","args":["bench"]}]}'
    headers = {**channel.headers, "content-type": "application/json"}
    times = []
    for i in range(n + 20):
        t0 = time.perf_counter()
        r = await channel.client.post(channel.base_url + CALL_PATH, content=body, headers=headers)
        assert r.json() == {"result": "value"}
        if i >= 20:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    label = "kv get, bare httpx POST"
    print(f"{label:32s} median {statistics.median(times):6.2f} ms   p90 {times[int(n * 0.9)]:6.2f} ms")
    t0 = time.perf_counter()
    results = await asyncio.gather(*[channel.call("FB_KV_0", [{"call": "get", "args": ["bench"]}]) for _ in range(100)])
    wall = (time.perf_counter() - t0) * 1000
    pool = channel.client._transport._pool
    print(
        f"100 concurrent kv gets: {wall:.1f} ms wall, errors={sum(r != 'value' for r in results)}, "
        f"connections open={len(pool.connections)}"
    )
    await channel.aclose()


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
