"""The whole remote path: remote adapters -> session's loopback relay -> proxy worker under workerd."""

from __future__ import annotations

import asyncio

from flarebind.plugins import get_plugins
from flarebind.remote.channel import channel_from_connection_string
from flarebind.remote.session import start_remote_proxy_session


async def test_adapters_over_a_connection_string_reach_the_deployed_proxy(dev_proxy):
    bindings = {"FB_KV_2": {"type": "kv_namespace", "id": "flarebind-test-kv-2", "remote": True},
                "FB_R2_2": {"type": "r2_bucket", "bucket_name": "flarebind-test-bucket-2", "remote": True}}
    session = await start_remote_proxy_session(bindings, proxy_url=dev_proxy.url, proxy_secret=dev_proxy.secret)
    try:
        channel = channel_from_connection_string(session.remote_proxy_connection_string)
        assert channel.headers == {}  # the relay adds the proxy secret, the client never holds it
        registry = get_plugins().registry
        kv = registry.factory("remote", "kv_namespace", "KV")("FB_KV_2", bindings["FB_KV_2"], channel)
        r2 = registry.factory("remote", "r2_bucket", "R2")("FB_R2_2", bindings["FB_R2_2"], channel)
        await kv.put("through-relay", "yes", metadata={"n": 1})
        assert await kv.getWithMetadata("through-relay") == {"value": "yes", "metadata": {"n": 1}, "cacheStatus": None}
        data = b"r" * (3 * 1024 * 1024)
        assert (await r2.put("relayed", data)).size == len(data)
        assert await (await r2.get("relayed")).arrayBuffer() == data
        results = await asyncio.gather(*[kv.get("through-relay") for _ in range(100)])
        assert results == ["yes"] * 100
        await channel.aclose()
    finally:
        await session.dispose()
