"""The account's workers.dev subdomain, which an edge preview needs, and the consent to register one.

Registering a subdomain is a permanent change to the user's account, so it is never done silently. As wrangler 4.86
does when ``GET /accounts/{a}/workers/subdomain`` answers code 10007:

- in a terminal: warn, ask whether to register one now, ask for the name (suggesting one), check that it is free
  (``GET /accounts/{a}/workers/subdomains/{name}``: code 10032 means free, 10031 taken), confirm, then ``PUT`` it;
- anywhere else (no terminal, or ``CI`` set): refuse with wrangler's text and the dashboard's onboarding link;
- beyond wrangler, an explicit opt-in for CI: ``register_subdomain="name"`` on the session (or
  ``FLAREBIND_REGISTER_SUBDOMAIN=name``) registers that name without asking.

The texts are wrangler's (``getWorkersDevSubdomain`` / ``registerSubdomain``).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sys
from collections.abc import Callable
from typing import Any, Protocol

from flarebind.errors import FlarebindError
from flarebind.remote.api import CloudflareAPI, CloudflareAPIError

NO_SUBDOMAIN_CODE = 10007
SUBDOMAIN_AVAILABLE_CODE = 10032
SUBDOMAIN_TAKEN_CODE = 10031
VALID_SUBDOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
OPT_IN_ENV = "FLAREBIND_REGISTER_SUBDOMAIN"

NEEDS_SUBDOMAIN = "You need to register a workers.dev subdomain before publishing to workers.dev"
ASK_REGISTER = "Would you like to register a workers.dev subdomain now?"
ASK_NAME = (
    "What would you like your workers.dev subdomain to be? It will be accessible at https://<subdomain>.workers.dev"
)
TAKEN = "Subdomain is unavailable, please try a different subdomain"


class SubdomainRefused(FlarebindError):
    """No workers.dev subdomain, and none may be registered here; the message is wrangler's."""


def refusal_message(account_id: str) -> str:
    # wrangler names the config file here; a remote session has none in hand, so it says "Wrangler configuration"
    return (
        "You can either deploy your worker to one or more routes by specifying them in your Wrangler configuration "
        "file, or register a workers.dev subdomain here:\n"
        f"https://dash.cloudflare.com/{account_id}/workers/onboarding"
    )


class Prompter(Protocol):
    """Asks the user; the default reads the terminal (in a thread, so the event loop keeps running)."""

    def interactive(self) -> bool: ...
    def warn(self, message: str) -> None: ...
    def confirm(self, question: str) -> bool: ...
    def ask(self, question: str, default: str) -> str: ...


class TerminalPrompter:
    def __init__(self, stdin: Any = None, stderr: Any = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stderr = stderr or sys.stderr

    def interactive(self) -> bool:
        # wrangler's isNonInteractiveOrCI: a CI variable or no TTY means "do not ask"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            return False
        return bool(self.stdin.isatty() and self.stderr.isatty())

    def warn(self, message: str) -> None:
        self.stderr.write(f"▲ [WARNING] {message}\n\n")
        self.stderr.flush()

    def _line(self, prompt: str) -> str:
        self.stderr.write(prompt)
        self.stderr.flush()
        line = self.stdin.readline()
        if not line:
            raise EOFError
        return line.strip()

    def confirm(self, question: str) -> bool:
        answer = self._line(f"? {question} (Y/n) ").lower()
        return answer in ("", "y", "yes")

    def ask(self, question: str, default: str) -> str:
        return self._line(f"? {question} ({default}) ") or default


async def ensure_subdomain(
    api: CloudflareAPI,
    account_id: str,
    *,
    fed: bool = False,
    opt_in: str | None = None,
    prompter: Prompter | None = None,
    suggest: Callable[[], str] = lambda: secrets.token_hex(4),
) -> str:
    """The account's subdomain, registering one only with the user's consent (see the module docstring)."""
    path = f"/accounts/{account_id}/workers/subdomain"
    try:
        result = await api.request("GET", path)
        return str(result["subdomain"])
    except CloudflareAPIError as exc:
        if NO_SUBDOMAIN_CODE not in exc.codes:
            raise
    opt_in = opt_in or os.environ.get(OPT_IN_ENV) or None
    if opt_in is not None:
        if not VALID_SUBDOMAIN.fullmatch(opt_in):
            raise SubdomainRefused(f"{opt_in} is invalid, please choose another subdomain.")
        return await _register(api, path, opt_in)
    prompter = prompter or TerminalPrompter()
    if not prompter.interactive():
        raise SubdomainRefused(f"{NEEDS_SUBDOMAIN}\n{refusal_message(account_id)}")
    return await asyncio.to_thread(_ask_and_register_blocking, api, account_id, path, fed, prompter, suggest)


def _ask_and_register_blocking(
    api: CloudflareAPI, account_id: str, path: str, fed: bool, prompter: Prompter, suggest: Callable[[], str]
) -> str:
    # the questions block on the terminal, so they run in a worker thread; API calls go back to the loop's client
    # through a private loop of their own (httpx clients are loop-bound, so a fresh API object is used)
    prompter.warn(NEEDS_SUBDOMAIN)
    try:
        if not prompter.confirm(ASK_REGISTER):
            raise SubdomainRefused(refusal_message(account_id))
        while True:
            name = prompter.ask(ASK_NAME, suggest())
            if not VALID_SUBDOMAIN.fullmatch(name):
                prompter.warn(f"{name} is invalid, please choose another subdomain.")
                continue
            available = asyncio.run(_available(api, account_id, name))
            if available is not True:
                prompter.warn(TAKEN if available is False else "An unexpected error occurred, please try again.")
                continue
            host = f"https://{name}{'.fed' if fed else ''}.workers.dev"
            if not prompter.confirm(f"Creating a workers.dev subdomain for your account at {host}. Ok to proceed?"):
                raise SubdomainRefused(refusal_message(account_id))
            return asyncio.run(_register_fresh(api, path, name))
    except EOFError:
        raise SubdomainRefused(refusal_message(account_id)) from None


def _fresh(api: CloudflareAPI) -> CloudflareAPI:
    return CloudflareAPI(api.auth, base_url=api.base_url)


async def _available(api: CloudflareAPI, account_id: str, name: str) -> bool | None:
    """True when free, False when taken, None when the check failed otherwise (the user is asked again)."""
    fresh = _fresh(api)
    try:
        await fresh.request("GET", f"/accounts/{account_id}/workers/subdomains/{name}")
    except CloudflareAPIError as exc:
        if SUBDOMAIN_AVAILABLE_CODE in exc.codes:
            return True
        return False if SUBDOMAIN_TAKEN_CODE in exc.codes else None
    finally:
        await fresh.aclose()
    return True  # wrangler goes on to register when the check answers without an error


async def _register_fresh(api: CloudflareAPI, path: str, name: str) -> str:
    fresh = _fresh(api)
    try:
        return await _register(fresh, path, name)
    finally:
        await fresh.aclose()


async def _register(api: CloudflareAPI, path: str, name: str) -> str:
    result = await api.request("PUT", path, json={"subdomain": name})
    return str((result or {}).get("subdomain") or name)
