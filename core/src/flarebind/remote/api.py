"""A small Cloudflare v4 API client on httpx: the envelope, API errors with their codes, retries on 5xx.

Credentials are attached per request from :class:`~flarebind.remote.auth.Auth` and never appear in an exception
text or a log record (httpx logs only the method, URL and status line).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx

from flarebind.errors import FlarebindError
from flarebind.remote.auth import Auth, api_base_url

log = logging.getLogger("flarebind.remote.api")

REQUEST_TIMEOUT = 30.0  # seconds per request, as wrangler's API client
RETRY_ATTEMPTS = 3  # wrangler's retryOnAPIFailure makes about three attempts on 5xx / network errors


@attrs.frozen
class ApiErrorDetail:
    code: int | None
    message: str


class CloudflareAPIError(FlarebindError):
    """A request to the Cloudflare API failed; ``codes`` holds every error code of the envelope (and its chain)."""

    def __init__(self, method: str, path: str, status: int, errors: list[ApiErrorDetail], text: str = "") -> None:
        self.method = method
        self.path = path
        self.status = status
        self.errors = errors
        self.text = text
        detail = "; ".join(f"{e.message} [code: {e.code}]" if e.code is not None else e.message for e in errors)
        super().__init__(f"A request to the Cloudflare API ({method} {path}) failed: {detail or f'HTTP {status}'}")

    @property
    def codes(self) -> set[int]:
        return {e.code for e in self.errors if e.code is not None}

    @property
    def code(self) -> int | None:
        return self.errors[0].code if self.errors else None


def _flatten_errors(raw: Any) -> list[ApiErrorDetail]:
    out: list[ApiErrorDetail] = []
    if not isinstance(raw, list):
        return out
    for item in raw:
        if not isinstance(item, dict):
            continue
        code = item.get("code")
        out.append(
            ApiErrorDetail(
                int(code) if isinstance(code, (int, str)) and str(code).isdigit() else None,
                str(item.get("message", "")),
            )
        )
        out.extend(_flatten_errors(item.get("error_chain")))
    return out


def parse_envelope(method: str, path: str, response: httpx.Response) -> Any:
    """``result`` of a v4 envelope, or :class:`CloudflareAPIError` with its codes."""
    if (response.status_code in (204, 205) or not response.content) and response.is_success:
        return {}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CloudflareAPIError(
            method, path, response.status_code, [ApiErrorDetail(None, response.text[:500])], response.text
        ) from None
    if isinstance(body, dict) and body.get("success") is True:
        return body.get("result")
    errors: list[ApiErrorDetail] = []
    if isinstance(body, dict):
        errors = _flatten_errors(body.get("errors"))
        # Non-standard bodies such as {"code": 10000, "error": "..."} (wrangler tolerates them too).
        if not errors and ("code" in body or "error" in body):
            code = body.get("code")
            errors = [ApiErrorDetail(code if isinstance(code, int) else None, str(body.get("error", "")))]
    if not errors:
        errors = [ApiErrorDetail(None, f"HTTP {response.status_code}")]
    raise CloudflareAPIError(method, path, response.status_code, errors, response.text)


Sleep = Callable[[float], Awaitable[None]]


class CloudflareAPI:
    """``await api.request("GET", "/accounts/{id}/workers/subdomain")`` -> the envelope's ``result``."""

    def __init__(
        self,
        auth: Auth,
        *,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        compliance_region: str | None = None,
    ) -> None:
        self.auth = auth
        self.base_url = (base_url or api_base_url(compliance_region)).rstrip("/")
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(timeout=REQUEST_TIMEOUT)
        self._sleep = sleep

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def raw(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with auth headers; retry network errors and 5xx up to :data:`RETRY_ATTEMPTS` times."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        merged = {**self.auth.headers(), **(headers or {})}
        last_exc: Exception | None = None
        for attempt in range(RETRY_ATTEMPTS):
            try:
                response = await self.client.request(method, url, headers=merged, **kwargs)
            except httpx.TransportError as exc:
                # The message of a transport error names the URL, never headers; keep only its class and text.
                last_exc = FlarebindError(f"A request to the Cloudflare API ({method} {path}) failed: {exc!s}")
                log.debug("API %s %s: network error on attempt %d", method, path, attempt + 1)
            else:
                if response.status_code < 500 or attempt == RETRY_ATTEMPTS - 1:
                    return response
                log.debug("API %s %s: HTTP %d on attempt %d, retrying", method, path, response.status_code, attempt + 1)
            await self._sleep(0.25 * 2**attempt)
        assert last_exc is not None
        raise last_exc

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.raw(method, path, **kwargs)
        return parse_envelope(method, path, response)
