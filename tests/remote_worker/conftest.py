"""The proxy worker under ``wrangler dev`` (real workerd, locally simulated bindings behind it), once per session.

It is written by ``flarebind remote deploy-proxy --dry-run`` from a wrangler.toml with remote KV / R2 / D1 bindings
and a service binding to a second local worker, exactly as a user deploys one; tests connect with its URL and
secret. If ``FLAREBIND_REMOTE_PROXY_URL`` / ``_SECRET`` are set, that proxy is used instead.
"""

from __future__ import annotations

import os

import pytest
from flarebind.testing.remote_proxy import DevProxy, proxy_test_bindings, start_dev_proxy_via_cli


@pytest.fixture(scope="session")
def dev_proxy(tmp_path_factory: pytest.TempPathFactory) -> DevProxy:
    url = os.environ.get("FLAREBIND_REMOTE_PROXY_URL")
    secret = os.environ.get("FLAREBIND_REMOTE_PROXY_SECRET")
    if url and secret:
        yield DevProxy(
            url,
            secret,
            None,
            tmp_path_factory.mktemp("external"),
            tmp_path_factory.mktemp("log") / "none",
            proxy_test_bindings(),
        )
        return
    proxy = start_dev_proxy_via_cli(tmp_path_factory.mktemp("devproxy"))
    saved = {k: os.environ.get(k) for k in ("FLAREBIND_REMOTE_PROXY_URL", "FLAREBIND_REMOTE_PROXY_SECRET")}
    # open_bindings("remote") in these tests then uses this proxy instead of starting its own
    os.environ["FLAREBIND_REMOTE_PROXY_URL"] = proxy.url
    os.environ["FLAREBIND_REMOTE_PROXY_SECRET"] = proxy.secret
    try:
        yield proxy
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proxy.stop()


@pytest.fixture
async def channel(dev_proxy: DevProxy):
    from flarebind.remote.channel import channel_for_deployed_proxy

    async with channel_for_deployed_proxy(dev_proxy.url, dev_proxy.secret) as ch:
        yield ch
