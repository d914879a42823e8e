"""flarebind's pytest plugin (``pytest11`` entry point ``flarebind``).

Fixtures, each isolated per test (in-memory state unless ``flarebind_persist_to`` is overridden):

- ``flarebind_config``: the wrangler config for the test — the ``flarebind_config`` ini option, else the nearest
  ``wrangler.json`` / ``wrangler.jsonc`` / ``wrangler.toml`` at or above the test file. Override it to choose another.
- ``env``: every binding of that config (``await env.KV.put(...)``), the same objects a Worker sees.
- ``flarebind_plugins``: plugin objects to register in-process for ``env`` / ``worker`` (default none); override
  it to test a plugin that is not installed.
- ``worker``: the config's Worker running in-process; ``await worker.fetch("/path", method=..., body=...)`` returns a
  ``workers.Response``; also ``worker.env``, ``worker.scheduled(cron=...)``, ``worker.queue(...)``, ``worker.settle()``,
  ``worker.enqueue(queue, *bodies)`` / ``worker.drain(queue)`` (local queues, delivered deterministically).

Tests marked ``@pytest.mark.flarebind_remote`` use remote bindings (``remote = true`` in the config) and run only with
``--flarebind-remote``; without it they are skipped with the reason.

Tests marked ``@pytest.mark.flarebind_cassette("name")`` replay their remote binding calls from
``cassettes/<name>.json`` beside the test file: offline, with no credentials. Run once with ``--flarebind-record``
(and credentials) to record the cassette (:mod:`flarebind.remote.cassette`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

try:  # async fixtures work in pytest-asyncio's strict mode too
    import pytest_asyncio

    _async_fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - without pytest-asyncio async tests need another plugin anyway
    _async_fixture = pytest.fixture  # type: ignore[assignment]

REMOTE_MARKER = "flarebind_remote"
CASSETTE_MARKER = "flarebind_cassette"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flarebind")
    group.addoption(
        "--flarebind-remote",
        action="store_true",
        default=False,
        help="run tests marked flarebind_remote, with remote bindings (needs Cloudflare credentials)",
    )
    group.addoption(
        "--flarebind-record",
        action="store_true",
        default=False,
        help="record the cassettes of tests marked flarebind_cassette against the real remote bindings",
    )
    parser.addini("flarebind_config", "wrangler config used by the env / worker fixtures (default: nearest one)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{REMOTE_MARKER}: use remote bindings for env / worker (runs only with --flarebind-remote)"
    )
    config.addinivalue_line(
        "markers",
        f"{CASSETTE_MARKER}(name): replay remote binding calls from cassettes/<name>.json (record: --flarebind-record)",
    )


def _find_config(start: Path) -> Path | None:
    from flarebind.config.locate import find_config_path  # the CLI's discovery, so tests see the same config

    return find_config_path(None, start)


@pytest.fixture
def flarebind_config(request: pytest.FixtureRequest) -> Path:
    """Path of the wrangler config the ``env`` / ``worker`` fixtures use."""
    configured = request.config.getini("flarebind_config")
    if configured:
        return (Path(request.config.rootpath) / configured).resolve()
    found = _find_config(Path(request.path).parent)
    if found is None:
        pytest.fail(
            f"flarebind: no wrangler.json / wrangler.jsonc / wrangler.toml at or above {Path(request.path).parent}; "
            "set the flarebind_config ini option or override the flarebind_config fixture"
        )
    return found


@pytest.fixture
def flarebind_plugins() -> list[Any]:
    """Plugin objects (modules or objects with ``@hookimpl`` functions, or ``(name, object)`` pairs) registered
    in-process for ``env`` and ``worker``; override it to test a plugin without installing it."""
    return []


def _plugins_registered(plugins: list[Any]) -> Any:
    import contextlib

    if not plugins:
        return contextlib.nullcontext()
    from flarebind.testing.plugins import registered_plugins

    return registered_plugins(*plugins)


@pytest.fixture
def flarebind_env_name() -> str | None:
    """The config environment (``[env.<name>]``) to use; override to select one."""
    return None


@pytest.fixture
def flarebind_persist_to() -> Path | None:
    """Where local state lives; ``None`` (default) keeps it in memory, isolated per test. Override with a path
    (e.g. ``tmp_path``) to test against files."""
    return None


def _cassette(request: pytest.FixtureRequest) -> dict[str, Path]:
    """``{"record": path}`` / ``{"replay": path}`` for a test marked ``flarebind_cassette``, else ``{}``.

    ``@pytest.mark.flarebind_cassette("name", ordered=False)`` replays calls in any order (concurrent code).
    """
    marker = request.node.get_closest_marker(CASSETTE_MARKER)
    if marker is None:
        return {}
    if marker.kwargs.get("ordered", True) is False:
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("FLAREBIND_REPLAY_ORDER", "any")
    name = marker.args[0] if marker.args else request.node.name
    path = Path(request.path).parent / "cassettes" / f"{name}.json"
    if request.config.getoption("--flarebind-record"):
        return {"record": path}
    if not path.is_file():
        pytest.fail(f"flarebind: no cassette at {path}; record it once with --flarebind-record (needs credentials)")
    return {"replay": path}


def _use_remote(request: pytest.FixtureRequest) -> bool:
    if request.node.get_closest_marker(CASSETTE_MARKER) is not None:
        return True  # recording needs the real remote bindings; replaying routes them to the cassette
    if request.node.get_closest_marker(REMOTE_MARKER) is None:
        return False
    if not request.config.getoption("--flarebind-remote"):
        pytest.skip("uses remote bindings: run with --flarebind-remote (needs Cloudflare credentials)")
    return True


@_async_fixture
async def env(
    request: pytest.FixtureRequest,
    flarebind_config: Path,
    flarebind_env_name: str | None,
    flarebind_persist_to: Path | None,
    flarebind_plugins: list[Any],
) -> AsyncIterator[Any]:
    """Every binding of the config, built fresh for this test."""
    from flarebind.platform import platform_proxy

    remote = _use_remote(request)
    with _plugins_registered(flarebind_plugins):
        async with platform_proxy(
            flarebind_config,
            env=flarebind_env_name,
            persist_to=flarebind_persist_to,
            in_memory=flarebind_persist_to is None,
            local=not remote,
            **_cassette(request),
        ) as proxy:
            yield proxy.env


class WorkerClient:
    """Sends events to a Worker running in this process."""

    def __init__(self, runtime: Any, base_url: str = "http://localhost") -> None:
        self.runtime = runtime
        self.base_url = base_url.rstrip("/")

    @property
    def env(self) -> Any:
        return self.runtime._env

    async def fetch(self, url: str = "/", *, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        if url.startswith("/"):
            url = self.base_url + url
        return await self.runtime.dispatch_fetch(url, method=method, headers=headers, body=body)

    async def scheduled(self, cron: str = "", scheduled_time: float | None = None) -> str:
        return await self.runtime.dispatch_scheduled(cron=cron, scheduled_time=scheduled_time)

    async def queue(self, queue: str, messages: list[Any]) -> Any:
        return await self.runtime.dispatch_queue(queue, messages)

    async def enqueue(self, queue: str, *bodies: Any, **options: Any) -> None:
        """Send messages to a local queue (``contentType=``, ``delaySeconds=`` as for ``sendBatch``)."""
        from flarebind.runtime.queues.host import enqueue

        await enqueue(self.runtime, queue, list(bodies), **options)

    async def drain(self, queue: str | None = None) -> int:
        """Deliver every visible queued message to the consumer now (no batch timeout); returns how many."""
        from flarebind.runtime.queues.host import drain

        return await drain(self.runtime, queue)

    async def durable_object(self, binding: str, name_or_id: Any) -> Any:
        """A stub for a Durable Object (``idFromName(name)``, or an id): ``await stub.method()``, ``stub.fetch``."""
        return await self.runtime.get_durable_object(binding, name_or_id)

    async def run_alarm(self, binding: str, name_or_id: Any) -> bool:
        """Run a Durable Object's alarm now, if one is set; returns whether it ran."""
        return bool(await self.runtime.dispatch_alarm(binding, name_or_id))

    async def settle(self) -> None:
        """Wait for every ``ctx.waitUntil`` task the Worker started."""
        await self.runtime.wait_until_settled()

    def http(self) -> Any:
        """An ``httpx.AsyncClient`` talking to the Worker in-process (through the same ASGI app as ``dev``)."""
        import httpx

        from flarebind.runtime.asgi_app import RuntimeApp

        app = RuntimeApp(self.runtime, access_log=False)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=self.base_url)


@_async_fixture
async def worker(
    request: pytest.FixtureRequest,
    flarebind_config: Path,
    flarebind_env_name: str | None,
    flarebind_persist_to: Path | None,
    flarebind_plugins: list[Any],
) -> AsyncIterator[WorkerClient]:
    """The config's Worker, loaded fresh for this test, with isolated state."""
    from flarebind.runtime.runtime import Runtime

    remote = _use_remote(request)
    with _plugins_registered(flarebind_plugins):
        runtime = Runtime.from_config(
            flarebind_config,
            env=flarebind_env_name,
            persist_to=flarebind_persist_to,
            in_memory=flarebind_persist_to is None,
            local=not remote,
            **_cassette(request),
        )
        async with runtime:
            yield WorkerClient(runtime)
