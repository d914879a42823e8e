"""`remote = true` on a queue producer: through a remote session to the real queue (workerd behind the proxy worker),
and a loud error when the runtime has no session."""

from __future__ import annotations

from pathlib import Path

import pytest
from flarebind.bindings.context import LocalContext
from flarebind.errors import JsException
from flarebind.platform import build_env


@pytest.fixture(scope="module")
def queue_proxy(tmp_path_factory: pytest.TempPathFactory):
    from flarebind.testing.remote_proxy import start_dev_proxy

    proxy = start_dev_proxy(tmp_path_factory.mktemp("qproxy"), bindings={"JOBS": {"type": "queue", "queue": "jobs"}})
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.mark.wrangler
@pytest.mark.remote
async def test_remote_producer_sends_through_the_session_to_workerds_queue(queue_proxy, tmp_path: Path) -> None:
    from flarebind.plugins import get_plugins
    from flarebind.remote.channel import channel_for_deployed_proxy

    spec = {"type": "queue", "queue": "jobs", "remote": True}
    async with channel_for_deployed_proxy(queue_proxy.url, queue_proxy.secret) as channel:
        producer = get_plugins().registry.factory("remote", "queue", "JOBS")("JOBS", spec, channel)
        await producer.send({"hello": "remote"})
        await producer.sendBatch([{"body": "a", "contentType": "text"}, {"body": "b", "contentType": "text"}])
        # the checks ran in workerd: its texts come back through the proxy
        with pytest.raises(
            TypeError, match='Content Type "text" requires a value of type string, but received: number'
        ):
            await producer.send(5, {"contentType": "text"})
    # nothing went to the local queue store
    assert not (tmp_path / "v3").exists()


async def test_remote_producer_in_a_local_only_runtime_refuses_to_send(tmp_path: Path) -> None:
    ctx = LocalContext(persist_to=tmp_path, project_dir=tmp_path)
    env = build_env({"JOBS": {"type": "queue", "queue": "jobs", "remote": True}}, ctx, local=True)
    with pytest.raises(JsException, match=r"has remote = true, but this runtime has no remote session"):
        await env.JOBS.send("x")
    await ctx.dispose()
    assert not (tmp_path / "v3").exists()
