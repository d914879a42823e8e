"""The whole remote path: remote adapters -> session's loopback relay -> proxy worker under workerd."""

from __future__ import annotations

import asyncio

import pytest
from flarebind.plugins import get_plugins
from flarebind.remote.channel import channel_from_connection_string
from flarebind.remote.session import start_remote_proxy_session

# the proxy worker runs under wrangler dev (workerd): the matrix legs other than 3.11 leave such tests out
pytestmark = [pytest.mark.wrangler, pytest.mark.remote]


async def test_adapters_over_a_connection_string_reach_the_deployed_proxy(dev_proxy):
    bindings = {
        "FB_KV_2": {"type": "kv_namespace", "id": "flarebind-test-kv-2", "remote": True},
        "FB_R2_2": {"type": "r2_bucket", "bucket_name": "flarebind-test-bucket-2", "remote": True},
    }
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


async def test_platform_proxy_uses_the_deployed_proxy_from_the_environment(dev_proxy, tmp_path, monkeypatch):
    from flarebind import platform_proxy

    (tmp_path / "wrangler.toml").write_text(
        'name = "app"\nmain = "src/entry.py"\ncompatibility_date = "2025-09-01"\n\n'
        '[[kv_namespaces]]\nbinding = "FB_KV_1"\nid = "flarebind-test-kv-1"\nremote = true\n\n'
        '[[kv_namespaces]]\nbinding = "LOCAL_KV"\nid = "local"\n'
    )
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_URL", dev_proxy.url)
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_SECRET", dev_proxy.secret)
    async with platform_proxy(tmp_path / "wrangler.toml", in_memory=True, allow_production_remote=True) as proxy:
        await proxy.env.FB_KV_1.put("from-platform-proxy", "remote value")
        await proxy.env.LOCAL_KV.put("from-platform-proxy", "local value")
        assert await proxy.env.FB_KV_1.get("from-platform-proxy") == "remote value"
        assert await proxy.env.LOCAL_KV.get("from-platform-proxy") == "local value"
    # the value really is in the proxy's namespace (workerd's storage), not in a local simulation
    from flarebind.remote.channel import channel_for_deployed_proxy

    async with channel_for_deployed_proxy(dev_proxy.url, dev_proxy.secret) as ch:
        assert await ch.call("FB_KV_1", [{"call": "get", "args": ["from-platform-proxy"]}]) == "remote value"
