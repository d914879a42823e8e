"""End to end: a session's relay in front of the real proxy worker under ``wrangler dev`` (workerd bindings)."""

from __future__ import annotations

import asyncio

import pytest
from flarebind.remote import start_remote_proxy_session

pytestmark = [pytest.mark.wrangler, pytest.mark.remote]


@pytest.fixture(scope="module")
def dev_proxy():
    from flarebind.testing.remote_proxy import shared_dev_proxy

    return shared_dev_proxy()


async def test_kv_r2_d1_through_the_relay(dev_proxy):
    from flarebind.remote.channel import channel_from_connection_string

    async with (
        await start_remote_proxy_session(
            {"FB_KV_0": {"type": "kv_namespace", "id": "x", "remote": True}},
            proxy_url=dev_proxy.url,
            proxy_secret=dev_proxy.secret,
        ) as session,
        channel_from_connection_string(session.remote_proxy_connection_string) as channel,
    ):
        await channel.call("FB_KV_0", [{"call": "put", "args": ["relay-key", "relay-value"]}])
        assert await channel.call("FB_KV_0", [{"call": "get", "args": ["relay-key"]}]) == "relay-value"
        big = bytes(range(256)) * 4096  # 1 MiB through the relay both ways
        await channel.call("FB_R2_0", [{"call": "put", "args": ["relay-obj", big]}])
        obj = await channel.call("FB_R2_0", [{"call": "get", "args": ["relay-obj"]}])
        data = await obj["body"].read() if hasattr(obj["body"], "read") else obj["body"]
        assert data == big
        row = await channel.call(
            "FB_DB_0",
            [{"call": "prepare", "args": ["SELECT ? AS n"]}, {"call": "bind", "args": [7]}, {"call": "first"}],
        )
        assert row["n"] == 7
        # a JS error crosses the relay with its type and message
        with pytest.raises(TypeError):
            await channel.call("FB_KV_0", [{"call": "put", "args": ["", "v"]}])


async def test_updates_during_calls_through_the_real_proxy(dev_proxy):
    from flarebind.remote.channel import channel_from_connection_string

    session = await start_remote_proxy_session(
        {"FB_KV_1": {"type": "kv_namespace", "id": "x", "remote": True}},
        proxy_url=dev_proxy.url,
        proxy_secret=dev_proxy.secret,
    )
    try:
        async with channel_from_connection_string(session.remote_proxy_connection_string) as channel:
            await channel.call("FB_KV_1", [{"call": "put", "args": ["k", "v"]}])

            async def reads(n: int) -> list[object]:
                return [await channel.call("FB_KV_1", [{"call": "get", "args": ["k"]}]) for _ in range(n)]

            task = asyncio.gather(*(reads(10) for _ in range(5)))
            for i in range(3):
                await session.update_bindings({"FB_KV_1": {"type": "kv_namespace", "id": f"x{i}", "remote": True}})
            results = await task
        assert all(v == "v" for batch in results for v in batch)
    finally:
        await session.dispose()
