"""Cloudflare credentials for remote sessions and ``flarebind whoami``.

Credentials never appear in ``repr``/``str`` (they end up in tracebacks and logs otherwise); two :class:`Auth`
values compare equal when they hold the same account and the same credential, which is what
``maybe_start_or_update_remote_proxy_session`` needs to decide update-vs-restart by value.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Mapping
from typing import Any

import attrs

from flarebind.errors import FlarebindError

DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4"


class AuthError(FlarebindError):
    """No usable credentials were found, or they are malformed."""


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


@attrs.frozen(kw_only=True)
class Auth:
    """An account id plus either an API token or a global API key + email.

    ``source`` records where the credential came from (``"env"`` or ``"argument"``) so error messages can tell
    the user what to fix; it takes no part in equality.
    """

    account_id: str | None = None
    api_token: str | None = attrs.field(default=None, repr=False)
    api_key: str | None = attrs.field(default=None, repr=False)
    email: str | None = None
    source: str = attrs.field(default="argument", eq=False)

    def __attrs_post_init__(self) -> None:
        for value in (self.api_token, self.api_key):
            # Wrangler rejects such tokens before sending: an HTTP header cannot carry them.
            if value is not None and any(ord(ch) > 0xFF for ch in value):
                raise AuthError("The API token or key contains characters that cannot be sent in an HTTP header.")
        if self.api_key and not self.email:
            raise AuthError("CLOUDFLARE_API_KEY needs CLOUDFLARE_EMAIL as well (global API key authentication).")

    @classmethod
    def from_env(cls) -> Auth | None:
        """``CLOUDFLARE_API_TOKEN`` (or ``CLOUDFLARE_API_KEY`` + ``CLOUDFLARE_EMAIL``) and ``CLOUDFLARE_ACCOUNT_ID``."""
        token = _env("CLOUDFLARE_API_TOKEN", "CF_API_TOKEN")
        key = _env("CLOUDFLARE_API_KEY", "CF_API_KEY")
        email = _env("CLOUDFLARE_EMAIL", "CF_EMAIL")
        account = _env("CLOUDFLARE_ACCOUNT_ID", "CF_ACCOUNT_ID")
        if token:
            return cls(account_id=account, api_token=token, source="env")
        if key:
            return cls(account_id=account, api_key=key, email=email, source="env")
        return None

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_token or self.api_key)

    @property
    def credential_env_var(self) -> str:
        return "CLOUDFLARE_API_KEY" if self.api_key and not self.api_token else "CLOUDFLARE_API_TOKEN"

    def headers(self) -> dict[str, str]:
        """The request headers that authenticate an API call (never log these)."""
        if self.api_token:
            return {"Authorization": f"Bearer {self.api_token}"}
        if self.api_key and self.email:
            return {"X-Auth-Key": self.api_key, "X-Auth-Email": self.email}
        raise AuthError(
            "No Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL) "
            "and CLOUDFLARE_ACCOUNT_ID, or pass auth=Auth(account_id=..., api_token=...)."
        )

    def fingerprint(self) -> str:
        """A short non-reversible identifier of the credential, safe to log or compare."""
        material = f"{self.account_id}\0{self.api_token}\0{self.api_key}\0{self.email}".encode()
        return hashlib.sha256(material).hexdigest()[:16]

    def require_account(self) -> str:
        if not self.account_id:
            raise AuthError("No Cloudflare account id: set CLOUDFLARE_ACCOUNT_ID or pass auth=Auth(account_id=...).")
        return self.account_id


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    """An environment variable restricted to ``choices``, with wrangler's message for any other value."""
    if name not in os.environ:
        return None
    value = os.environ[name]
    if value not in choices:
        expected = json.dumps(list(choices), separators=(",", ":"))
        raise AuthError(f"Expected {json.dumps(value)} to be one of {expected}")
    return value


def resolve_compliance_region(configured: str | None = None) -> str:
    """``CLOUDFLARE_COMPLIANCE_REGION``, else the config's ``compliance_region``, else ``public`` (as wrangler).

    The two set to different values is wrangler's error.
    """
    from_env = _choice("CLOUDFLARE_COMPLIANCE_REGION", ("public", "fedramp_high"))
    if from_env is not None and configured is not None and from_env != configured:
        raise AuthError(
            "The compliance region has been set to different values in two places:\n"
            f" - `CLOUDFLARE_COMPLIANCE_REGION` environment variable: `{from_env}`\n"
            f" - `compliance_region` configuration property: `{configured}`"
        )
    return from_env or configured or "public"


def api_base_url(compliance_region: str | None = None) -> str:
    """The Cloudflare API base, derived as wrangler's ``getCloudflareApiBaseUrl`` does.

    ``CLOUDFLARE_API_BASE_URL`` (alias ``CF_API_BASE_URL``) wins; otherwise
    ``https://api{.fed}{.staging}.cloudflare.com/client/v4``, ``.fed`` for the ``fedramp_high`` compliance region
    and ``.staging`` when ``WRANGLER_API_ENVIRONMENT=staging`` (the variable wrangler 4.86 reads).
    """
    override = _env("CLOUDFLARE_API_BASE_URL", "CF_API_BASE_URL")
    if override:
        return override.rstrip("/")
    fed = ".fed" if resolve_compliance_region(compliance_region) == "fedramp_high" else ""
    staging = ".staging" if _choice("WRANGLER_API_ENVIRONMENT", ("production", "staging")) == "staging" else ""
    return f"https://api{fed}{staging}.cloudflare.com/client/v4"


def access_headers() -> dict[str, str]:
    """Cloudflare Access service-token headers for workers.dev, from ``CLOUDFLARE_ACCESS_CLIENT_ID/SECRET``."""
    client_id = _env("CLOUDFLARE_ACCESS_CLIENT_ID")
    secret = _env("CLOUDFLARE_ACCESS_CLIENT_SECRET")
    if client_id and secret:
        return {"CF-Access-Client-Id": client_id, "CF-Access-Client-Secret": secret}
    return {}


def _coerce(value: Any) -> Auth | None:
    if value is None or isinstance(value, Auth):
        return value
    if isinstance(value, Mapping):
        # Accept wrangler's shape {accountId, apiToken: {apiToken} | {authKey, authEmail}} and a flat snake_case one.
        account = value.get("account_id", value.get("accountId"))
        token: Any = value.get("api_token", value.get("apiToken"))
        key = value.get("api_key")
        email = value.get("email")
        if isinstance(token, Mapping):
            key = token.get("authKey", key)
            email = token.get("authEmail", email)
            token = token.get("apiToken")
        return Auth(account_id=account, api_token=token, api_key=key, email=email)
    raise TypeError(f"auth must be an Auth, a mapping or a callable returning one, not {type(value).__name__}")


async def resolve_auth(auth: Any = None) -> Auth:
    """The argument (an :class:`Auth`, a mapping, or a sync/async callable returning one), else the environment."""
    if callable(auth) and not isinstance(auth, Auth):
        auth = auth()
        if inspect.isawaitable(auth):
            auth = await auth
    resolved = _coerce(auth)
    if resolved is None:
        resolved = Auth.from_env()
    if resolved is None or not resolved.has_credentials:
        raise AuthError(
            "No Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL) "
            "and CLOUDFLARE_ACCOUNT_ID, or pass auth=Auth(account_id=..., api_token=...)."
        )
    return resolved
