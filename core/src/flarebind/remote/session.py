"""Remote proxy sessions: a loopback relay in front of the proxy worker, which holds the real bindings.

Two ways to reach the proxy worker:

* an **edge preview** uploaded with the session's remote bindings (needs a token with Workers Scripts Write),
  refreshed every 50 minutes (preview tokens live one hour) and re-provisioned when the edge reports expiry;
* a **deployed proxy** (``flarebind remote deploy-proxy``): ``proxy_url`` + ``proxy_secret`` arguments or
  ``FLAREBIND_REMOTE_PROXY_URL`` + ``FLAREBIND_REMOTE_PROXY_SECRET``; then no Cloudflare API call is made at all.

Either way ``session.remote_proxy_connection_string`` is the relay URL the remote adapters talk to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from flarebind.errors import FlarebindError
from flarebind.remote.api import CloudflareAPI
from flarebind.remote.auth import Auth, AuthError, resolve_auth
from flarebind.remote.provision import (
    EdgePreviewProvisioner,
    RemoteSessionError,
    session_script_name,
)
from flarebind.remote.relay import PROXY_SECRET_HEADER, Relay, Upstream
from flarebind.remote.subdomain import SubdomainRefused

log = logging.getLogger("flarebind.remote.session")

Bindings = Mapping[str, Mapping[str, Any]]
Sleep = Callable[[float], Awaitable[None]]

#: Preview tokens live one hour; refresh well before (wrangler's PREVIEW_TOKEN_REFRESH_INTERVAL).
REFRESH_INTERVAL = 50 * 60.0
#: Backoff between failed refreshes (wrangler does not retry a failed refresh; we do, see workers-sdk#15541).
REFRESH_BACKOFF = (5.0, 15.0, 30.0, 60.0)
#: How long update_bindings lets in-flight calls finish on the old upload before swapping it.
DRAIN_TIMEOUT = 10.0

START_FAILED = "Failed to start the remote proxy session."
UPDATE_FAILED = "RemoteProxySession.updateBindings failed during reload: "


class RemoteProxySessionUpdateError(RemoteSessionError):
    pass


def deployed_proxy_from_env() -> tuple[str, str] | None:
    url = os.environ.get("FLAREBIND_REMOTE_PROXY_URL")
    secret = os.environ.get("FLAREBIND_REMOTE_PROXY_SECRET")
    if url and secret:
        return url, secret
    if url or secret:
        raise RemoteSessionError(
            "FLAREBIND_REMOTE_PROXY_URL and FLAREBIND_REMOTE_PROXY_SECRET must be set together "
            "(the deployed proxy's URL and the secret it was deployed with)."
        )
    return None


def _types_of(bindings: Bindings) -> dict[str, str]:
    return {name: str(spec.get("type")) for name, spec in bindings.items()}


class RemoteProxySession:
    """A running session: ``await session.ready``, ``session.remote_proxy_connection_string``,
    ``await session.update_bindings(b)``, ``await session.dispose()``; also ``async with``."""

    def __init__(
        self,
        bindings: Bindings,
        *,
        relay: Relay,
        provisioner: EdgePreviewProvisioner | None = None,
        deployed: Upstream | None = None,
        api: CloudflareAPI | None = None,
        sleep: Sleep = asyncio.sleep,
        refresh_interval: float = REFRESH_INTERVAL,
        drain_timeout: float = DRAIN_TIMEOUT,
    ) -> None:
        self._bindings = {k: dict(v) for k, v in bindings.items()}
        self._relay = relay
        self._provisioner = provisioner
        self._deployed = deployed
        self._api = api
        self._sleep = sleep
        self.refresh_interval = refresh_interval
        self.drain_timeout = drain_timeout
        self._lock = asyncio.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self._disposed = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        relay.binding_types = _types_of(self._bindings)
        self.refreshes = 0  # successful token refreshes / re-provisions (for tests and diagnostics)
        relay.on_expired = self._on_expired

    # ------------------------------------------------------------------------------------------ properties
    @property
    def remote_proxy_connection_string(self) -> str:
        return self._relay.connection_string

    @property
    def bindings(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self._bindings.items()}

    @property
    def mode(self) -> str:
        return "deployed" if self._deployed is not None else "edge-preview"

    @property
    def relay(self) -> Relay:
        return self._relay

    def __repr__(self) -> str:
        return f"<RemoteProxySession {self.mode} bindings={sorted(self._bindings)} port={self._relay.port}>"

    # ------------------------------------------------------------------------------------------- lifecycle
    async def _start(self) -> None:
        await self._relay.start()
        if self._deployed is not None:
            self._relay.set_upstream(self._deployed)
        else:
            assert self._provisioner is not None
            log.debug("⎔ Starting remote preview...")
            self._relay.set_upstream(await self._provisioner.provision(self._bindings))
            self._refresh_task = asyncio.create_task(self._refresh_loop())
        self._relay.play()
        self.ready.set_result(None)

    async def dispose(self) -> None:
        if self._disposed:
            return
        self._disposed = True
        log.debug("⎔ Shutting down remote preview...")
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(BaseException):
                await self._refresh_task
        await self._relay.aclose()
        if self._api is not None:
            await self._api.aclose()
        if not self.ready.done():
            self.ready.cancel()

    async def __aenter__(self) -> RemoteProxySession:
        await self.ready
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.dispose()

    # ---------------------------------------------------------------------------------------------- updates
    async def update_bindings(self, bindings: Bindings) -> None:
        """Re-provision with ``bindings``; the connection string stays the same and calls are queued meanwhile."""
        new = {k: dict(v) for k, v in bindings.items()}
        if self._deployed is not None:
            # A deployed proxy holds whatever bindings it was deployed with; nothing to upload.
            self._bindings = new
            self._relay.binding_types = _types_of(new)
            return
        try:
            async with self._lock:
                self._relay.pause()
                try:
                    # In-flight calls finish on the old upload; those still running after the grace period are
                    # retried by the relay when idempotent.
                    await self._relay.drain(self.drain_timeout)
                    upstream = await self._provisioner.provision(new, reuse_session=True)  # type: ignore[union-attr]
                    self._relay.set_upstream(upstream)
                    self._bindings = new
                    self._relay.binding_types = _types_of(new)
                    log.debug("⎔ Detected changes, restarted server.")
                finally:
                    self._relay.play()
        except Exception as exc:
            raise RemoteProxySessionUpdateError(f"{UPDATE_FAILED}{exc}") from exc

    async def refresh(self) -> None:
        """Fetch a new preview token (a new edge-preview session and upload) without pausing traffic."""
        if self._provisioner is None:
            return
        generation = self._relay.upstream.generation if self._relay.upstream else 0
        async with self._lock:
            if self._relay.upstream and self._relay.upstream.generation != generation:
                return  # someone else re-provisioned meanwhile
            log.debug("⎔ Refreshing preview token...")
            self._relay.set_upstream(await self._provisioner.provision(self._bindings))
            self.refreshes += 1
            log.debug("✔ Preview token refreshed successfully")

    async def _on_expired(self, generation: int) -> None:
        """The edge said the preview expired: pause new calls, re-provision once, resume."""
        if self._provisioner is None:
            return
        if self._lock.locked():
            if not self._relay.paused:
                # A token refresh is under way: its new upstream is what the retry needs.
                async with self._lock:
                    pass
            return  # an update paused the relay: the retry is queued until it resumes
        async with self._lock:
            current = self._relay.upstream
            if current is not None and current.generation != generation:
                return  # already replaced
            log.debug("Preview token expired, fetching a new one")
            self._relay.pause()
            try:
                self._relay.set_upstream(await self._provisioner.provision(self._bindings))
                self.refreshes += 1
            finally:
                self._relay.play()

    async def _refresh_loop(self) -> None:
        while not self._disposed:
            await self._sleep(self.refresh_interval)
            for delay in (*REFRESH_BACKOFF, None):
                try:
                    await self.refresh()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("Refreshing the remote preview token failed (%s); retrying", type(exc).__name__)
                    if delay is None:
                        break  # keep the loop alive: the next interval (or an expiry response) tries again
                    await self._sleep(delay)


# ------------------------------------------------------------------------------------------------ starting
async def start_remote_proxy_session(
    bindings: Bindings,
    auth: Any = None,
    worker_name: str | None = None,
    *,
    proxy_url: str | None = None,
    proxy_secret: str | None = None,
    complianceRegion: str | None = None,
    compliance_region: str | None = None,
    register_subdomain: str | None = None,
    sleep: Sleep = asyncio.sleep,
    refresh_interval: float = REFRESH_INTERVAL,
    drain_timeout: float = DRAIN_TIMEOUT,
    worker: tuple[str, str] | None = None,
) -> RemoteProxySession:
    """Start a session for ``bindings`` (``{NAME: {"type": ..., ...}}``, only the remote ones).

    Uses a deployed proxy when ``proxy_url``/``proxy_secret`` are given or ``FLAREBIND_REMOTE_PROXY_URL`` /
    ``FLAREBIND_REMOTE_PROXY_SECRET`` are set; otherwise uploads an edge preview with ``auth`` (an :class:`Auth`,
    a mapping, a callable returning one, or ``None`` for ``CLOUDFLARE_API_TOKEN`` / ``CLOUDFLARE_ACCOUNT_ID``).

    An account without a workers.dev subdomain is asked in a terminal and refused elsewhere (wrangler's texts);
    ``register_subdomain="name"`` (or ``FLAREBIND_REGISTER_SUBDOMAIN``) registers that name without asking, for CI.
    """
    log.debug("⎔ Establishing remote connection...")
    if (proxy_url is None) != (proxy_secret is None):
        raise RemoteSessionError("proxy_url and proxy_secret must be given together.")
    deployed = (proxy_url, proxy_secret) if proxy_url and proxy_secret else deployed_proxy_from_env()
    relay = Relay()
    session: RemoteProxySession | None = None
    api: CloudflareAPI | None = None
    try:
        if deployed is not None:
            url, secret = deployed
            from flarebind.remote.auth import access_headers

            upstream = Upstream(
                url=url,
                headers={PROXY_SECRET_HEADER: secret, **access_headers()},
                display_host=url.split("://", 1)[-1].split("/", 1)[0],
            )
            session = RemoteProxySession(
                bindings,
                relay=relay,
                deployed=upstream,
                sleep=sleep,
                refresh_interval=refresh_interval,
                drain_timeout=drain_timeout,
            )
        else:
            resolved = await resolve_auth(auth)
            region = compliance_region or complianceRegion
            api = CloudflareAPI(resolved, sleep=sleep, compliance_region=region)
            provisioner = EdgePreviewProvisioner(
                api,
                resolved,
                session_script_name(worker_name),
                secrets.token_urlsafe(32),
                worker=worker,
                compliance_region=region,
                register_subdomain=register_subdomain,
            )
            session = RemoteProxySession(
                bindings,
                relay=relay,
                provisioner=provisioner,
                api=api,
                sleep=sleep,
                refresh_interval=refresh_interval,
                drain_timeout=drain_timeout,
            )
        await session._start()
        return session
    except BaseException as exc:
        if session is not None:
            await session.dispose()
        else:
            await relay.aclose()
            if api is not None:
                await api.aclose()
        if isinstance(exc, (RemoteSessionError, AuthError, SubdomainRefused)) or not isinstance(exc, Exception):
            raise
        raise RemoteSessionError(f"{START_FAILED} {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------- maybe start or update
@attrs.define
class RemoteProxySessionData:
    """What :func:`maybe_start_or_update_remote_proxy_session` returns and takes back as ``previous``."""

    session: RemoteProxySession
    remote_bindings: dict[str, dict[str, Any]]
    auth: Any = None  # the value compared with the next call's auth (an Auth, or a deployed-proxy key)


async def _auth_key(auth: Any) -> Any:
    """The value that identifies the upstream credentials, compared by value between calls."""
    env = None
    with contextlib.suppress(RemoteSessionError):
        env = deployed_proxy_from_env()
    if env is not None:
        import hashlib

        return ("deployed", env[0], hashlib.sha256(env[1].encode()).hexdigest())
    try:
        return await resolve_auth(auth)
    except AuthError:
        return None  # starting will report the missing credentials


def _read_bindings(config_or_worker: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], str | None, str | None]:
    if "path" in config_or_worker:
        try:
            from flarebind import convert_config_bindings_to_start_worker_bindings
            from flarebind.config import read_config
        except ImportError as exc:  # the config layer is a separate piece of work
            raise FlarebindError(
                f"reading bindings from a config path needs flarebind.config.read_config ({exc})"
            ) from exc
        config = read_config(config_or_worker["path"], env=config_or_worker.get("environment"))
        return (
            dict(convert_config_bindings_to_start_worker_bindings(config)),
            getattr(config, "name", None),
            getattr(config, "account_id", None),
        )
    return (
        {k: dict(v) for k, v in (config_or_worker.get("bindings") or {}).items()},
        config_or_worker.get("name"),
        config_or_worker.get("account_id"),
    )


async def maybe_start_or_update_remote_proxy_session(
    config_or_worker: Mapping[str, Any],
    previous: RemoteProxySessionData | None = None,
    auth: Any = None,
) -> RemoteProxySessionData | None:
    """Upstream's decision rules, with auth compared by value:

    no remote bindings and no previous session -> ``None``; different auth -> dispose and start anew; same auth and
    same remote bindings -> reuse; same auth, different bindings -> ``update_bindings`` (kept alive even when the
    remote set becomes empty) or start when there was no session.
    """
    from flarebind.bindings.convert import pick_remote_bindings

    bindings, name, account_id = _read_bindings(config_or_worker)
    remote = pick_remote_bindings(bindings)
    if not remote and previous is None:
        return None
    key = await _auth_key(auth)
    if isinstance(key, Auth) and not key.account_id and account_id:
        key = attrs.evolve(key, account_id=account_id)  # the config's account_id, as wrangler uses it
    if previous is not None and previous.auth != key:
        await previous.session.dispose()
        previous = None
    if previous is None:
        if not remote:
            return None
        session = await start_remote_proxy_session(
            remote, auth=key if isinstance(key, Auth) else auth, worker_name=name
        )
        return RemoteProxySessionData(session, remote, key)
    if remote == previous.remote_bindings:
        return previous
    await previous.session.update_bindings(remote)
    return RemoteProxySessionData(previous.session, remote, key)


async def session_for(
    bindings_specs: Bindings, auth: Any = None, *, worker_name: str | None = None
) -> RemoteProxySession | None:
    """For runtimes: start a session for the remote subset of ``bindings_specs``, or ``None`` when there is none."""
    from flarebind.bindings.convert import pick_remote_bindings

    remote = pick_remote_bindings(bindings_specs)
    if not remote:
        return None
    return await start_remote_proxy_session(remote, auth=auth, worker_name=worker_name)
