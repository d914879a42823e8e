"""``flarebind whoami``: check the Cloudflare credentials remote bindings will use; never print them."""

from __future__ import annotations

import asyncio
from typing import Any

import click


async def verify_credentials() -> tuple[bool, list[str]]:
    """Return ``(ok, lines)``: the token's status from ``/user/tokens/verify`` (or the account endpoint)."""
    from flarebind.remote.api import CloudflareAPI, CloudflareAPIError
    from flarebind.remote.auth import Auth, AuthError, api_base_url

    try:
        auth = Auth.from_env()
    except AuthError as exc:
        return False, [str(exc)]
    if auth is None:
        return False, [
            "You are not authenticated: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL) "
            "and CLOUDFLARE_ACCOUNT_ID."
        ]
    lines = [f"API: {api_base_url()}"]
    api = CloudflareAPI(auth)
    try:
        if auth.api_key and not auth.api_token:
            user: Any = await api.request("GET", "/user")
            email = (user or {}).get("email") or auth.email
            lines.append(f"You are authenticated with a global API key (CLOUDFLARE_API_KEY) for {email}.")
            if auth.account_id:
                lines.append(f"Account ID: {auth.account_id}")
            return True, lines
        result: Any = None
        kind = "User API Token"
        try:
            result = await api.request("GET", "/user/tokens/verify")
        except CloudflareAPIError:
            # Account-owned tokens are not user tokens: verify them against the account instead.
            if not auth.account_id:
                raise
            result = await api.request("GET", f"/accounts/{auth.account_id}/tokens/verify")
            kind = "Account API Token"
        status = str((result or {}).get("status", "unknown"))
        article = "an" if kind.startswith("A") else "a"
        lines.append(f"You are authenticated with {article} {kind} (CLOUDFLARE_API_TOKEN).")
        lines.append(f"Token status: {status}")
        if (result or {}).get("expires_on"):
            lines.append(f"Token expires on: {result['expires_on']}")
        lines.append(f"Account ID: {auth.account_id or '(not set: set CLOUDFLARE_ACCOUNT_ID)'}")
        if status != "active":
            return False, lines
        lines.append(
            "Remote bindings need the Workers Scripts Write permission to upload an edge preview "
            "(a deployed proxy, `flarebind remote deploy-proxy`, needs none)."
        )
        return True, lines
    except CloudflareAPIError as exc:
        codes = ", ".join(str(c) for c in sorted(exc.codes)) or str(exc.status)
        lines.append(
            f"The token in {auth.credential_env_var} is not valid (Cloudflare API error {codes}: "
            f"{'; '.join(e.message for e in exc.errors)})."
        )
        return False, lines
    except Exception as exc:  # network errors: name the class and message only (they never carry headers)
        lines.append(f"Could not reach the Cloudflare API: {type(exc).__name__}: {exc}")
        return False, lines
    finally:
        await api.aclose()


@click.command("whoami")
def whoami_command() -> None:
    """Check the Cloudflare API token (CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID) without printing it."""
    ok, lines = asyncio.run(verify_credentials())
    for line in lines:
        click.echo(line)
    if not ok:
        raise SystemExit(1)
