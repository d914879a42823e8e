"""Provisioning the proxy worker as an edge preview (the wrangler flow, ``remote-bindings-upstream.md`` §3.4).

1. ``GET /accounts/{a}/workers/subdomain/edge-preview`` -> ``{token, exchange_url?}`` (exchange when present);
2. ``GET /accounts/{a}/workers/subdomain`` -> ``{subdomain}``; code 10007 -> register one only with the user's
   consent (:mod:`flarebind.remote.subdomain`);
3. ``POST /accounts/{a}/workers/scripts/{script}/edge-preview`` with the proxy worker and only the remote bindings
   -> ``{preview_token, tail_url}``;
4. traffic goes to ``https://<script>.<subdomain>.workers.dev`` with ``cf-workers-preview-token``.

Cloudflare API errors become the messages wrangler prints (exact texts below).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import uuid
from collections.abc import Mapping
from importlib import resources
from typing import Any

import httpx

from flarebind.errors import RemoteSessionError
from flarebind.remote.api import CloudflareAPI, CloudflareAPIError
from flarebind.remote.auth import Auth, access_headers, resolve_compliance_region
from flarebind.remote.relay import PROXY_SECRET_HEADER, Upstream
from flarebind.remote.subdomain import Prompter, ensure_subdomain

log = logging.getLogger("flarebind.remote.provision")

#: The proxy worker's compatibility date (wrangler uploads its ProxyServerWorker with this date).
PROXY_COMPATIBILITY_DATE = "2025-04-28"
# Not wrangler's `minimal_mode` / `raw: true`: raw bindings speak Cloudflare's internal binding protocol, which
# wrangler's proxy forwards blindly, while our proxy worker calls the public binding API (env.KV.get(...)), which
# needs ordinary bindings (docs/remote-protocol.md §7).
SESSION_CONFIG = {"workers_dev": True}
AUTH_ERROR_CODES = {9106, 10000, 10405}
SUBDOMAIN_REQUIRED_CODE = 10063
PREVIEW_EXPIRED_CODE = 10049

AUTH_ERROR_HEAD = (
    "This Worker uses bindings that need to run remotely, even when developing locally, but the remote session "
    "could not be authenticated."
)
_AUTH_ENV_TOKEN = (
    "It looks like you are authenticating via a custom API token (`CLOUDFLARE_API_TOKEN`) set in an environment "
    "variable.\nThe token may be invalid or lack the required permissions for this operation.\n\n"
    "To fix this, verify that your token is valid and has the correct permissions.\n"
    "You can also run `flarebind whoami` to check your current authentication status."
)
_AUTH_ENV_KEY = (
    "It looks like you are authenticating via a global API key (`CLOUDFLARE_API_KEY` and `CLOUDFLARE_EMAIL`) set in "
    "environment variables.\nThe key may be invalid or lack the required permissions for this operation.\n\n"
    "To fix this, verify that your key and email are valid.\n"
    "You can also run `flarebind whoami` to check your current authentication status."
)
_AUTH_ARGUMENT = (
    "The credentials passed to the session (`auth=`) may be invalid or lack the required permissions for this "
    "operation (Workers Scripts Write is needed to upload the preview).\n\n"
    "To fix this, verify that your token is valid and has the correct permissions.\n"
    "You can also run `flarebind whoami` to check a token set in `CLOUDFLARE_API_TOKEN`."
)


class RemoteSessionAuthenticationError(RemoteSessionError):
    """Cloudflare rejected the credentials (codes 9106, 10000, 10405)."""

    def __init__(self, auth: Auth) -> None:
        if auth.source == "env":
            detail = _AUTH_ENV_KEY if auth.api_key and not auth.api_token else _AUTH_ENV_TOKEN
        else:
            detail = _AUTH_ARGUMENT
        super().__init__(f"{AUTH_ERROR_HEAD}\n{detail}")


def subdomain_required_message(account_id: str) -> str:
    return (
        "You need to register a workers.dev subdomain before running the dev command in remote mode.\n"
        "You can register a workers.dev subdomain here:\n"
        f"https://dash.cloudflare.com/{account_id}/workers/onboarding"
    )


def map_api_error(exc: CloudflareAPIError, auth: Auth) -> Exception:
    """The user-facing error for an API failure during provisioning (unchanged when there is nothing to add)."""
    if exc.codes & AUTH_ERROR_CODES:
        err: Exception = RemoteSessionAuthenticationError(auth)
    elif SUBDOMAIN_REQUIRED_CODE in exc.codes:
        err = RemoteSessionError(subdomain_required_message(auth.account_id or "<account id>"))
    else:
        return exc
    err.__cause__ = exc
    return err


# ------------------------------------------------------------------------------------------ metadata bindings
def to_metadata_binding(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """One start-worker binding spec -> Cloudflare's upload-metadata binding, built by the type's declaration
    (``BindingType.upload_metadata``); the generic pass-through for types without one."""
    from flarebind.bindings.metadata import to_metadata_binding as build
    from flarebind.plugins import get_plugins

    return build(name, spec, get_plugins().registry)


def metadata_bindings(bindings: Mapping[str, Mapping[str, Any]], proxy_secret: str) -> list[dict[str, Any]]:
    """Remote bindings as ordinary bindings, plus the proxy secret the worker checks on every request."""
    out = [to_metadata_binding(name, spec) for name, spec in bindings.items()]
    out.append({"name": "FLAREBIND_PROXY_SECRET", "type": "secret_text", "text": proxy_secret})
    return out


# ------------------------------------------------------------------------------------------------ the worker
def load_proxy_worker() -> tuple[str, str]:
    """``(module name, source)`` of the proxy worker shipped in ``flarebind.remote.worker``."""
    try:
        root = resources.files("flarebind.remote.worker")
    except ModuleNotFoundError:
        root = None
    candidates = []
    if root is not None:
        candidates = sorted(
            (p for p in root.iterdir() if p.name.endswith((".js", ".mjs"))),
            key=lambda p: (p.name not in ("proxy.js", "index.js", "worker.js", "proxy-worker.js"), p.name),
        )
    if not candidates:
        raise RemoteSessionError(
            "The proxy worker is missing: no .js module found in the package data of flarebind.remote.worker "
            "(the proxy worker ships with flarebind; reinstall it)."
        )
    chosen = candidates[0]
    return chosen.name, chosen.read_text(encoding="utf-8")


def _mime(name: str) -> str:
    return "application/javascript+module" if name.endswith((".js", ".mjs")) else "application/octet-stream"


# ------------------------------------------------------------------------------------------------ the flow
class EdgePreviewProvisioner:
    """Uploads the proxy worker as an edge preview and returns the :class:`Upstream` to reach it."""

    def __init__(
        self,
        api: CloudflareAPI,
        auth: Auth,
        script_name: str,
        proxy_secret: str,
        *,
        worker: tuple[str, str] | None = None,
        compliance_region: str | None = None,
        preview_origin: str | None = None,
        register_subdomain: str | None = None,
        prompter: Prompter | None = None,
    ) -> None:
        self.api = api
        self.auth = auth
        self.account_id = auth.require_account()
        self.script_name = script_name
        self.proxy_secret = proxy_secret
        self._worker = worker
        self.fedramp = resolve_compliance_region(compliance_region) == "fedramp_high"
        self.register_subdomain = register_subdomain
        self.prompter = prompter
        # For tests and self-hosted stand-ins: send preview traffic to this origin with the preview Host header.
        self.preview_origin = preview_origin or os.environ.get("FLAREBIND_EDGE_PREVIEW_ORIGIN") or None
        self._subdomain: str | None = None
        self._session_token: str | None = None

    async def session_token(self) -> str:
        result = await self.api.request("GET", f"/accounts/{self.account_id}/workers/subdomain/edge-preview")
        token = result["token"]
        exchange_url = result.get("exchange_url")
        if exchange_url:
            try:
                response = await self.api.client.get(exchange_url, headers=access_headers())
                response.raise_for_status()
                token = response.json()["token"]
            except (httpx.HTTPError, KeyError, ValueError, TypeError):
                # Wrangler falls back to the initial token on any exchange failure.
                log.debug("edge-preview token exchange failed; using the initial token")
        return str(token)

    async def subdomain(self) -> str:
        if self._subdomain is None:
            self._subdomain = await ensure_subdomain(
                self.api, self.account_id, fed=self.fedramp, opt_in=self.register_subdomain, prompter=self.prompter
            )
        return self._subdomain

    def host(self, subdomain: str) -> str:
        return f"{self.script_name}.{subdomain}{'.fed' if self.fedramp else ''}.workers.dev"

    async def upload(self, bindings: Mapping[str, Mapping[str, Any]], session_token: str) -> str:
        module_name, source = self._worker or load_proxy_worker()
        # A fresh nonce per upload: the edge caches by source, and identical source under the same script name
        # would keep the previous bindings.
        source = f"{source}\n// flarebind-session-update:{uuid.uuid4()}\n"
        metadata = {
            "main_module": module_name,
            "compatibility_date": PROXY_COMPATIBILITY_DATE,
            "bindings": metadata_bindings(bindings, self.proxy_secret),
            # as wrangler sends them with its preview upload
            "compatibility_flags": [],
            "keep_bindings": ["plain_text", "json", "secret_text", "secret_key"],
            "logpush": False,
        }
        files = [
            ("metadata", (None, json.dumps(metadata), "application/json")),
            (module_name, (module_name, source.encode(), _mime(module_name))),
            ("wrangler-session-config", (None, json.dumps(SESSION_CONFIG), "application/json")),
        ]
        result = await self.api.request(
            "POST",
            f"/accounts/{self.account_id}/workers/scripts/{self.script_name}/edge-preview",
            files=files,
            headers={"cf-preview-upload-config-token": session_token},
        )
        return str(result["preview_token"])

    async def provision(self, bindings: Mapping[str, Mapping[str, Any]], *, reuse_session: bool = False) -> Upstream:
        """Run the whole flow; API failures come back as the user-facing errors of :func:`map_api_error`.

        ``reuse_session`` (a bindings update) uploads with the edge-preview session token already held, as wrangler
        does; a start, a refresh and an expiry fetch a new one. An expired held token is replaced once.
        """
        for attempt in (1, 2):
            try:
                if not (reuse_session and attempt == 1 and self._session_token):
                    self._session_token = await self.session_token()
                token = self._session_token
                subdomain = await self.subdomain()
                preview_token = await self.upload(bindings, token)
                break
            except CloudflareAPIError as exc:
                if PREVIEW_EXPIRED_CODE in exc.codes and attempt == 1:
                    log.debug("Preview token expired, fetching a new one")
                    continue  # the session token expired between fetch and upload: start over once
                raise map_api_error(exc, self.auth) from exc
        host = self.host(subdomain)
        headers = {
            "cf-workers-preview-token": preview_token,
            PROXY_SECRET_HEADER: self.proxy_secret,
            "cf-connecting-ip": "",
            **access_headers(),
        }
        return Upstream(
            url=self.preview_origin or f"https://{host}",
            headers=headers,
            host_header=host if self.preview_origin else None,
            preview=True,
            display_host=host,
        )


def session_script_name(worker_name: str | None = None) -> str:
    """A unique per-session script name, never the user's Worker name (avoids DO clashes and stale bindings)."""
    base = "".join(ch if ch.isalnum() else "-" for ch in (worker_name or "").lower()).strip("-")[:24]
    suffix = f"flarebind-{secrets.token_hex(6)}"
    return f"{base}-{suffix}" if base else suffix
