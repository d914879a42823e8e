"""`flarebind dev` with a `remote = true` binding: the Worker's KV calls reach the proxy worker (real workerd under
`wrangler dev`, as a deployed proxy would be) through the remote session, beside a local binding; a config edit keeps
the binding remote."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from .devproc import DevProcess

pytestmark = [pytest.mark.wrangler, pytest.mark.remote]

WORKER = """
from urllib.parse import urlparse, parse_qs

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        value = parse_qs(urlparse(request.url).query).get("v", [""])[0]
        if value:
            await self.env.FB_KV_0.put("dev-remote", value)
            await self.env.LOCAL_KV.put("dev-remote", "local-" + value)
        remote = await self.env.FB_KV_0.get("dev-remote")
        local = await self.env.LOCAL_KV.get("dev-remote")
        return Response(f"{self.env.LABEL} remote={remote} local={local}")
"""

CONFIG = """
name = "dev-remote"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[vars]
LABEL = "{label}"

[[kv_namespaces]]
binding = "FB_KV_0"
id = "flarebind-test-kv-0"
remote = true

[[kv_namespaces]]
binding = "LOCAL_KV"
id = "local-kv"
"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = os.environ.get("FLAREBIND_REMOTE_PROXY_URL")
    secret = os.environ.get("FLAREBIND_REMOTE_PROXY_SECRET")
    if url and secret:
        yield url, secret
        return
    from flarebind.testing.remote_proxy import start_dev_proxy_via_cli

    dev_proxy = start_dev_proxy_via_cli(tmp_path_factory.mktemp("devproxy"))
    try:
        yield dev_proxy.url, dev_proxy.secret
    finally:
        dev_proxy.stop()


async def _proxy_value(url: str, secret: str) -> object:
    from flarebind.remote.channel import channel_for_deployed_proxy

    async with channel_for_deployed_proxy(url, secret) as channel:
        return await channel.call("FB_KV_0", [{"call": "get", "args": ["dev-remote"]}])


async def test_remote_binding_in_dev_reaches_the_proxy(
    proxy: tuple[str, str], tmp_path: Path, clean_env: dict[str, str]
) -> None:
    url, secret = proxy
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(textwrap.dedent(WORKER))
    (tmp_path / "wrangler.toml").write_text(CONFIG.format(label="one"))
    env = {**clean_env, "FLAREBIND_REMOTE_PROXY_URL": url, "FLAREBIND_REMOTE_PROXY_SECRET": secret}
    dev = DevProcess(tmp_path, env=env)
    try:
        dev.wait_for_output("Ready on")
        assert "env.FB_KV_0 (flarebind-test-kv-0)" in dev.output and "remote" in dev.output
        assert dev.get("/?v=first").text == "one remote=first local=local-first"
        # the value is in the proxy's namespace, not in a local simulation
        assert await _proxy_value(url, secret) == "first"

        (tmp_path / "wrangler.toml").write_text(CONFIG.format(label="two"))
        dev.wait_for_body("/", "two remote=first local=local-first")
        assert dev.get("/?v=second").text == "two remote=second local=local-second"
        assert await _proxy_value(url, secret) == "second"
    finally:
        assert dev.stop() == 0, dev.output
