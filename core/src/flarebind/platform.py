"""Bindings for any Python program: ``build_env`` and ``platform_proxy`` (the ``getPlatformProxy`` analogue)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs

from flarebind.bindings.context import LocalContext
from flarebind.bindings.types import Support
from flarebind.errors import NotSimulatedError, RemoteRequiredError


class Env:
    """The ``env`` a Worker sees: bindings by attribute (``env.MY_KV``) and by item (``env["MY_KV"]``)."""

    def __init__(self, bindings: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_bindings", dict(bindings or {}))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._bindings[name]
        except KeyError:
            raise AttributeError(f"env has no binding named {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self._bindings[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self._bindings[name] = value

    def __setitem__(self, name: str, value: Any) -> None:
        self._bindings[name] = value

    def __contains__(self, name: object) -> bool:
        return name in self._bindings

    def __iter__(self) -> Iterator[str]:
        return iter(self._bindings)

    def __len__(self) -> int:
        return len(self._bindings)

    def __dir__(self) -> list[str]:
        return sorted(self._bindings)

    def keys(self) -> list[str]:
        return list(self._bindings)

    def get(self, name: str, default: Any = None) -> Any:
        return self._bindings.get(name, default)

    def __repr__(self) -> str:
        return f"Env({', '.join(self._bindings)})"


class UnavailableBinding:
    """Stands in for a binding that cannot be built here; any use raises the stored, explanatory error."""

    def __init__(self, name: str, error: Exception, type_name: str | None = None) -> None:
        self._name = name
        self._error = error
        self._type_name = type_name  # what it stands in for (the SDK shim's isinstance checks read it)

    def __getattr__(self, attr: str) -> Any:
        # a fresh copy every time: re-raising one stored exception would chain every raise's frames onto its
        # traceback (a Worker's 500 page and memory grew with each request)
        raise _fresh(self._error)

    def __repr__(self) -> str:
        return f"<unavailable binding {self._name}: {self._error}>"


def _fresh(error: Exception) -> Exception:
    """An equal exception with no traceback, context or cause (``__init__`` is not re-run: its signature varies)."""
    cls = error.__class__
    copy = cls.__new__(cls)
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    return copy


def build_env(
    specs: dict[str, dict[str, Any]],
    ctx: LocalContext,
    *,
    plugins: Any = None,
    local: bool = False,
) -> Env:
    """Build every binding in ``specs``: remotely when the spec carries ``remote_proxy_connection_string`` (and
    ``local`` is false), else with the local simulator; bindings that cannot run here raise on first use."""
    from flarebind.plugins import get_plugins

    registry = (plugins or get_plugins()).registry
    channels: dict[str, Any] = {}
    built: dict[str, Any] = {}
    for name, spec in specs.items():
        type_name = spec.get("type", "")
        bt = registry.get_type(type_name)
        connection = spec.get("remote_proxy_connection_string")
        clean = {k: v for k, v in spec.items() if k != "remote_proxy_connection_string"}
        if connection and not local:
            if connection not in channels:
                channels[connection] = _open_channel(connection, ctx)
            built[name] = registry.factory("remote", type_name, name)(name, clean, channels[connection])
        elif registry.has_adapter("local", type_name):
            built[name] = registry.factory("local", type_name, name)(name, clean, ctx)
        elif bt is not None and bt.support in (Support.REMOTE, Support.ALWAYS_REMOTE):
            built[name] = UnavailableBinding(name, RemoteRequiredError(name), type_name)
        else:
            built[name] = UnavailableBinding(name, registry.not_simulated(type_name, name), type_name)
    return Env(built)


def _open_channel(connection_string: str, ctx: LocalContext) -> Any:
    try:
        from flarebind.remote.channel import channel_from_connection_string
    except ImportError as exc:
        raise NotSimulatedError(
            "remote bindings need flarebind.remote.channel, which is missing from this installation"
        ) from exc
    channel = channel_from_connection_string(connection_string)
    close = getattr(channel, "aclose", None) or getattr(channel, "close", None)
    if close is not None:
        ctx.add_cleanup(close)
    return channel


@attrs.define
class PlatformProxy:
    """What ``platform_proxy`` yields: ``env`` plus what it was built from."""

    env: Env
    config: Any
    ctx: LocalContext
    bindings: dict[str, dict[str, Any]]
    session: Any = None

    async def dispose(self) -> None:
        await self.ctx.dispose()
        if self.session is not None:
            await self.session.dispose()
            self.session = None


def local_context_for(config: Any, *, persist_to: str | Path | None = None, in_memory: bool = False) -> LocalContext:
    """The LocalContext for a config: state in ``<config dir>/.wrangler/state`` unless told otherwise."""
    return LocalContext(
        persist_to=Path(persist_to).resolve() if persist_to and not in_memory else None,
        in_memory=in_memory,
        project_dir=config.dir,
        compatibility_date=config.compatibility_date,
        compatibility_flags=tuple(config.compatibility_flags),
    )


async def start_remote_for(
    specs: dict[str, dict[str, Any]],
    config: Any,
    auth: Any = None,
    *,
    record: str | Path | None = None,
    replay: str | Path | None = None,
) -> Any:
    """Start the remote session for the picked bindings and mark their specs with its connection string.

    With a cassette (``record``/``replay``, else ``FLAREBIND_RECORD``/``FLAREBIND_REPLAY``) the session's calls are
    recorded, or answered from the cassette with no session at all (:mod:`flarebind.remote.cassette`).
    """
    from flarebind.bindings.convert import pick_remote_bindings

    remote = pick_remote_bindings(specs)
    if not remote:
        return None
    try:
        from flarebind.remote import cassette, maybe_start_or_update_remote_proxy_session
        from flarebind.remote.session import RemoteProxySessionData
    except ImportError as exc:
        raise NotSimulatedError(
            f"bindings {', '.join(remote)} are remote, but this flarebind has no remote session support "
            "(flarebind.remote); run with local=True / --local"
        ) from exc
    mode = cassette.cassette_mode(record, replay)
    if mode is not None and mode[0] == "replay":
        details = RemoteProxySessionData(
            cassette.ReplaySession(cassette.Cassette.load(mode[1]), ordered=cassette.replay_ordered()), remote, None
        )
    else:
        details = await maybe_start_or_update_remote_proxy_session(
            {"name": config.name or "worker", "bindings": remote, "account_id": config.account_id}, None, auth
        )
    if details is None:
        return None
    await details.session.ready
    connection = details.session.remote_proxy_connection_string
    if mode is not None and mode[0] == "record":
        recording = cassette.Cassette(mode[1])
        recording.add_secret(*cassette.recording_secrets(details.session))
        cassette.activate(str(connection), cassette.RecordingTransport(recording))
    for name in remote:
        specs[name] = {**specs[name], "remote_proxy_connection_string": str(connection)}
    return details


@asynccontextmanager
async def platform_proxy(
    path: str | Path | None = None,
    *,
    env: str | None = None,
    persist_to: str | Path | None = None,
    in_memory: bool = False,
    local: bool = False,
    allow_production_remote: bool = False,
    auth: Any = None,
    record: str | Path | None = None,
    replay: str | Path | None = None,
) -> AsyncIterator[PlatformProxy]:
    """Every binding of a config, for any Python program (a script, a FastAPI app, a notebook, a test).

    Local bindings persist under ``persist_to`` (default ``<config dir>/.wrangler/state``, shared with wrangler) or
    nowhere with ``in_memory=True``; remote ones go through a remote proxy session unless ``local=True``.
    ``record="calls.json"`` writes every remote call and its answer to a cassette; ``replay="calls.json"`` answers
    them from it with no network and no credentials (:mod:`flarebind.remote.cassette`).
    """
    from flarebind.bindings.convert import convert_config_bindings_to_start_worker_bindings
    from flarebind.config import ConfigError, read_config

    config = read_config(path, env)
    refusal = config.production_refusal(local=local, allow=allow_production_remote)
    if refusal:
        raise ConfigError(refusal, config.path)
    specs = convert_config_bindings_to_start_worker_bindings(config)
    ctx = local_context_for(config, persist_to=persist_to, in_memory=in_memory)
    details = None if local else await start_remote_for(specs, config, auth, record=record, replay=replay)
    proxy = PlatformProxy(
        env=Env(), config=config, ctx=ctx, bindings=specs, session=details.session if details else None
    )
    try:
        proxy.env = build_env(specs, ctx, local=local)
        yield proxy
    finally:
        await proxy.dispose()
