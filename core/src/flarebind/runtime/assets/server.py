"""The asset server: decides, per request, asset or Worker, and builds the asset response.

Routing (workers-sdk packages/workers-shared/router-worker and asset-worker): with ``run_worker_first = true`` or a
matching pattern (``!`` patterns exclude and win over the others) the Worker gets the request. Otherwise an asset
answers when the path resolves to one (or to an html_handling redirect, or a ``_redirects`` rule); the
``not_found_handling`` fallback only applies in front of a Worker for navigation requests (``Sec-Fetch-Mode:
navigate``, compat flag ``assets_navigation_prefers_asset_serving``), else unmatched requests go to the Worker.
The ``env.ASSETS.fetch`` binding always applies the full rules and never calls the Worker.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from flarebind.runtime.assets.config import AssetsConfig
from flarebind.runtime.assets.manifest import Manifest, content_type
from flarebind.runtime.assets.routing import Redirect, Resolver, Serve, decode_path, encode_path
from flarebind.runtime.assets.rules import Rules

CACHE_CONTROL = "public, max-age=0, must-revalidate"
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass
class AssetResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _glob(rule: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in rule.split("*")) + "$")


class AssetServer:
    def __init__(self, config: AssetsConfig) -> None:
        self.config = config
        self.manifest = Manifest(config.directory)
        self.rules = Rules(config.directory)
        self._rules_stamp = self._stamp()
        self._rules_checked = time.monotonic()
        rwf = config.run_worker_first
        self._worker_all = rwf is True
        patterns = rwf if isinstance(rwf, tuple) else ()
        self._include = [_glob(p) for p in patterns if not p.startswith("!")]
        self._exclude = [_glob(p[1:]) for p in patterns if p.startswith("!")]

    @property
    def warnings(self) -> list[str]:
        return self.rules.warnings

    def _stamp(self) -> tuple[int, ...]:
        out = []
        for name in ("_headers", "_redirects", ".assetsignore"):
            try:
                out.append(os.stat(self.config.directory / name).st_mtime_ns)
            except OSError:
                out.append(0)
        return tuple(out)

    def _refresh_rules(self) -> None:
        # _headers / _redirects / .assetsignore edited while flarebind dev runs: re-read them (checked at most once
        # a second); a changed .assetsignore re-walks the directory, so newly ignored files stop being served
        now = time.monotonic()
        if now - self._rules_checked < 1.0:
            return
        self._rules_checked = now
        stamp = self._stamp()
        if stamp != self._rules_stamp:
            if stamp[2] != self._rules_stamp[2]:
                self.manifest.rescan()
            self._rules_stamp = stamp
            self.rules = Rules(self.config.directory)

    # -- routing ----------------------------------------------------------------------------------------------

    def worker_first(self, path: str) -> bool:
        if self._worker_all:
            return True
        if any(p.match(path) for p in self._exclude):
            return False
        return any(p.match(path) for p in self._include)

    def route(self, method: str, path: str, host: str, search: str, headers: Mapping[str, str]) -> AssetResponse | None:
        """The asset response for a request to a Worker with assets, or None when the Worker should handle it."""
        if not self.config.has_user_worker:
            # an assets-only Worker: the asset server answers everything, not_found_handling included, else 404
            found = self.respond(method, path, host, search, headers)
            return found if found is not None else self._finish(host, path, AssetResponse(404))
        if self.worker_first(path):
            return None
        navigate = self.config.navigation_prefers_assets and headers.get("sec-fetch-mode") == "navigate"
        return self.respond(method, path, host, search, headers, not_found=None if navigate else "none")

    def respond(
        self,
        method: str,
        path: str,
        host: str,
        search: str,
        headers: Mapping[str, str],
        *,
        not_found: str | None = None,
    ) -> AssetResponse | None:
        """What the asset worker answers (None: no asset matches and no fallback applies)."""
        self._refresh_rules()
        resolver = Resolver(self.manifest.etag, self.config.html_handling, not_found or self.config.not_found_handling)
        proxied = False
        redirect = self.rules.redirect_for(host, path)
        if redirect is not None:
            status, to = redirect
            if status == 200:
                path = urlsplit(urljoin(f"https://{host}{path}", to)).path
                proxied = True
            else:
                return self._finish(host, path, AssetResponse(status, [("Location", _location(host, to, search))]))
        decoded = decode_path(path)
        intent = resolver.intent(decoded)
        if intent is None:
            return self._finish(host, path, AssetResponse(404)) if proxied else None
        if method.upper() not in ("GET", "HEAD"):
            return self._finish(host, path, AssetResponse(405))
        destination = intent.to if isinstance(intent, Redirect) else decoded
        encoded = encode_path(destination)
        if isinstance(intent, Redirect) or encoded != path:
            return self._finish(host, path, AssetResponse(307, [("Location", encoded + search)]))
        assert isinstance(intent, Serve)
        return self._finish(host, path, self._asset(intent, method, headers))

    def _asset(self, intent: Serve, method: str, headers: Mapping[str, str]) -> AssetResponse:
        entry = self.manifest.get(intent.path)
        if entry is None:  # removed between resolving and reading
            return AssetResponse(404)
        out = [("ETag", f'"{intent.etag}"'), ("Content-Type", content_type(intent.path))]
        if "authorization" not in headers and "range" not in headers:
            out.append(("Cache-Control", CACHE_CONTROL))
        if headers.get("if-none-match", "") in (f'"{intent.etag}"', f'W/"{intent.etag}"'):
            return AssetResponse(304, out)
        body = b"" if method.upper() == "HEAD" else entry.read()
        if method.upper() == "HEAD":
            out.append(("Content-Length", str(entry.size)))
        return AssetResponse(intent.status, out, body)

    def _finish(self, host: str, path: str, response: AssetResponse) -> AssetResponse:
        if self.rules.headers:
            response.headers = self.rules.apply_headers(host, path, response.headers)
        return response


def _location(host: str, to: str, search: str) -> str:
    """A ``_redirects`` target: same-origin targets become a path (keeping the request's query when the target has
    none), others stay absolute."""
    base = f"https://{host}/"
    dest = urlsplit(urljoin(base, to))
    query = f"?{dest.query}" if dest.query else search
    fragment = f"#{dest.fragment}" if dest.fragment else ""
    if dest.scheme == "https" and dest.netloc == host:
        return f"{dest.path}{query}{fragment}"
    return f"{dest.scheme}://{dest.netloc}{dest.path}{query}{fragment}"
