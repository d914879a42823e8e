"""Measure the relay's overhead per call over the raw HTTP round trip to the upstream (median of interleaved calls).

Run:  .venv/bin/python tests/remote_session/measure_relay.py [N]
Upstreams: (1) the real proxy worker under ``wrangler dev`` (a KV get through remote A's HttpChannel), and
(2) a plain local HTTP server (the deployed-proxy stand-in of the tests), with bare httpx POSTs.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from fakes.cloudflare_api import FakeDeployedProxy
from flarebind.remote import start_remote_proxy_session


async def interleaved(n: int, direct, relayed) -> tuple[float, float]:
    for _ in range(30):  # warm connections (and workerd)
        await direct()
        await relayed()
    d, r = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        await direct()
        t1 = time.perf_counter()
        await relayed()
        t2 = time.perf_counter()
        d.append((t1 - t0) * 1000)
        r.append((t2 - t1) * 1000)
    return statistics.median(d), statistics.median(r)


def report(label: str, n: int, direct: float, relay: float) -> None:
    print(f"{label:44s} direct {direct:6.3f} ms  via relay {relay:6.3f} ms  overhead {relay - direct:6.3f} ms (n={n})")


async def main(n: int) -> None:
    # (2) plain HTTP upstream
    fake = FakeDeployedProxy().start()
    try:
        async with (
            await start_remote_proxy_session({}, proxy_url=fake.url, proxy_secret=fake.secret) as session,
            httpx.AsyncClient() as client,
        ):
            body = b'{"binding":"KV","calls":[{"call":"get","args":["k"]}]}'
            url = session.remote_proxy_connection_string + "__flarebind/v1/call"

            async def direct() -> None:
                r = await client.post(
                    fake.url + "/__flarebind/v1/call", content=body, headers={"X-Flarebind-Proxy-Secret": fake.secret}
                )
                assert r.status_code == 200

            async def relayed() -> None:
                r = await client.post(url, content=body)
                assert r.status_code == 200

            report("plain HTTP stand-in, POST 60 B", n, *await interleaved(n, direct, relayed))
    finally:
        fake.stop()

    # (1) the real proxy worker under wrangler dev
    from flarebind.remote.channel import channel_for_deployed_proxy, channel_from_connection_string
    from flarebind.testing.remote_proxy import shared_dev_proxy

    proxy = shared_dev_proxy()
    session = await start_remote_proxy_session({}, proxy_url=proxy.url, proxy_secret=proxy.secret)
    async with (
        session,
        channel_for_deployed_proxy(proxy.url, proxy.secret) as raw,
        channel_from_connection_string(session.remote_proxy_connection_string) as via,
    ):
        await raw.call("FB_KV_0", [{"call": "put", "args": ["bench", "value"]}])

        async def direct() -> None:
            assert await raw.call("FB_KV_0", [{"call": "get", "args": ["bench"]}]) == "value"

        async def relayed() -> None:
            assert await via.call("FB_KV_0", [{"call": "get", "args": ["bench"]}]) == "value"

        report("proxy worker (wrangler dev), KV get", n, *await interleaved(n, direct, relayed))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
