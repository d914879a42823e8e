"""Error 10007 (the account has no workers.dev subdomain): never change the account without the user's consent.

Without a terminal flarebind refuses with wrangler's text; in a terminal (a real pseudo-terminal here) it asks as
wrangler does; ``register_subdomain=`` / ``FLAREBIND_REGISTER_SUBDOMAIN`` is the explicit opt-in for CI.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import textwrap

import pytest
from flarebind.remote import start_remote_proxy_session
from flarebind.remote.subdomain import SubdomainRefused

from .conftest import WORKER

KV = {"KV": {"type": "kv_namespace", "id": "kv-id", "remote": True}}
REFUSAL = (
    "You need to register a workers.dev subdomain before publishing to workers.dev\n"
    "You can either deploy your worker to one or more routes by specifying them in your Wrangler configuration "
    "file, or register a workers.dev subdomain here:\n"
    "https://dash.cloudflare.com/acc-123/workers/onboarding"
)


async def test_without_a_terminal_it_refuses_with_wranglers_text_and_changes_nothing(fake_api, auth):
    fake_api.subdomain = None
    with pytest.raises(SubdomainRefused) as info:
        await start_remote_proxy_session(KV, auth=auth, worker=WORKER)
    assert str(info.value) == REFUSAL
    assert fake_api.requests_to(r"/workers/subdomain$", "PUT") == []
    assert fake_api.subdomain is None


async def test_ci_variable_means_no_prompt_even_in_a_terminal(fake_api, auth, monkeypatch):
    from flarebind.remote.subdomain import TerminalPrompter

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("CI", "true")
    assert TerminalPrompter(stdin=Tty(), stderr=Tty()).interactive() is False
    monkeypatch.delenv("CI")
    assert TerminalPrompter(stdin=Tty(), stderr=Tty()).interactive() is True


@pytest.mark.parametrize("how", ["argument", "environment"])
async def test_explicit_opt_in_registers_the_named_subdomain(fake_api, auth, monkeypatch, how):
    fake_api.subdomain = None
    kwargs = {"register_subdomain": "my-team-dev"} if how == "argument" else {}
    if how == "environment":
        monkeypatch.setenv("FLAREBIND_REGISTER_SUBDOMAIN", "my-team-dev")
    session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER, **kwargs)
    try:
        puts = fake_api.requests_to(r"/workers/subdomain$", "PUT")
        assert [json.loads(p["body"]) for p in puts] == [{"subdomain": "my-team-dev"}]
        assert fake_api.subdomain == "my-team-dev"
    finally:
        await session.dispose()


async def test_opt_in_with_an_invalid_name_is_refused(fake_api, auth):
    fake_api.subdomain = None
    with pytest.raises(SubdomainRefused, match=r"^Not_Valid is invalid, please choose another subdomain\.$"):
        await start_remote_proxy_session(KV, auth=auth, worker=WORKER, register_subdomain="Not_Valid")
    assert fake_api.requests_to(r"/workers/subdomain$", "PUT") == []


async def test_an_existing_subdomain_is_never_touched(fake_api, auth):
    session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER, register_subdomain="other")
    try:
        assert fake_api.requests_to(r"/workers/subdomain$", "PUT") == []
        assert fake_api.subdomain == "devsub"
    finally:
        await session.dispose()


# ------------------------------------------------------------------------------------------ in a real terminal
SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from flarebind.remote import Auth, start_remote_proxy_session
    from flarebind.remote.subdomain import SubdomainRefused
    WORKER = ("proxy.js", "export default { fetch() { return new Response('x'); } };")
    async def main():
        auth = Auth(account_id="acc-123", api_token="good-token")
        try:
            s = await start_remote_proxy_session({"KV": {"type": "kv_namespace", "id": "k", "remote": True}},
                                                 auth=auth, worker=WORKER)
        except SubdomainRefused as exc:
            print("REFUSED:", str(exc).splitlines()[-1], flush=True)
            return
        print("STARTED", flush=True)
        await s.dispose()
    asyncio.run(main())
    """
)


def run_in_terminal(fake_api, answers: list[str]) -> str:
    """Run a session in a child process whose stdin/stderr are a pseudo-terminal; answer each prompt in turn."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CLOUDFLARE_API_BASE_URL"] = f"{fake_api.url}/client/v4"
    env["FLAREBIND_EDGE_PREVIEW_ORIGIN"] = fake_api.url
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=env
    )
    os.close(terminal)
    seen = b""
    pending = list(answers)
    try:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            seen += chunk
            asked = len(re.findall(rb"(?:^|\n)\? ", seen))  # prompts start a line with "? "
            if pending and seen.rstrip().endswith(b")") and asked > len(answers) - len(pending):
                os.write(controller, (pending.pop(0) + "\n").encode())
    finally:
        out = child.communicate(timeout=60)[0].decode()
        os.close(controller)
    return seen.decode(errors="replace") + "\n" + out


def test_in_a_terminal_it_asks_checks_availability_confirms_then_registers(fake_api):
    fake_api.subdomain = None
    fake_api.taken_subdomains.add("taken-name")
    transcript = run_in_terminal(fake_api, ["y", "taken-name", "my-dev", "y"])
    assert "You need to register a workers.dev subdomain before publishing to workers.dev" in transcript
    assert "Would you like to register a workers.dev subdomain now?" in transcript
    assert "Subdomain is unavailable, please try a different subdomain" in transcript
    assert (
        "Creating a workers.dev subdomain for your account at https://my-dev.workers.dev. Ok to proceed?" in transcript
    )
    assert "STARTED" in transcript
    assert [json.loads(p["body"]) for p in fake_api.requests_to(r"/workers/subdomain$", "PUT")] == [
        {"subdomain": "my-dev"}
    ]


def test_in_a_terminal_saying_no_refuses_and_changes_nothing(fake_api):
    fake_api.subdomain = None
    transcript = run_in_terminal(fake_api, ["n"])
    assert "REFUSED: https://dash.cloudflare.com/acc-123/workers/onboarding" in transcript
    assert fake_api.requests_to(r"/workers/subdomain$", "PUT") == []
