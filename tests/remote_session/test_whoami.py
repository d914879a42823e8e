"""``flarebind whoami`` as a real process against the local API stand-in: status shown, token never printed."""

from __future__ import annotations

import os
import subprocess
import sys

SENTINEL = "WHOAMI-SENTINEL-77aa"


def run_whoami(fake, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
    base.update({"CLOUDFLARE_API_BASE_URL": f"{fake.url}/client/v4", **env})
    return subprocess.run(
        [sys.executable, "-c", "from flarebind.cli.whoami import whoami_command; whoami_command()"],
        capture_output=True,
        text=True,
        env=base,
        timeout=120,
    )


def test_user_token_active(fake_api):
    fake_api.token = SENTINEL
    out = run_whoami(fake_api, CLOUDFLARE_API_TOKEN=SENTINEL, CLOUDFLARE_ACCOUNT_ID="acc-123")
    assert out.returncode == 0, out.stderr
    assert "You are authenticated with a User API Token (CLOUDFLARE_API_TOKEN)." in out.stdout
    assert "Token status: active" in out.stdout and "Account ID: acc-123" in out.stdout
    assert SENTINEL not in out.stdout + out.stderr
    assert fake_api.requests_to(r"/user/tokens/verify$")


def test_account_token_falls_back_to_the_account_endpoint(fake_api):
    fake_api.token = SENTINEL
    fake_api.token_kind = "account"
    out = run_whoami(fake_api, CLOUDFLARE_API_TOKEN=SENTINEL, CLOUDFLARE_ACCOUNT_ID="acc-123")
    assert out.returncode == 0, out.stderr
    assert "Account API Token" in out.stdout and "Token status: active" in out.stdout
    assert fake_api.requests_to(r"/accounts/acc-123/tokens/verify$")
    assert SENTINEL not in out.stdout + out.stderr


def test_invalid_token(fake_api):
    out = run_whoami(fake_api, CLOUDFLARE_API_TOKEN=SENTINEL, CLOUDFLARE_ACCOUNT_ID="acc-123")
    assert out.returncode == 1
    assert "The token in CLOUDFLARE_API_TOKEN is not valid (Cloudflare API error 10000" in out.stdout
    assert SENTINEL not in out.stdout + out.stderr


def test_expired_token_status(fake_api):
    fake_api.token_status = "expired"
    out = run_whoami(fake_api, CLOUDFLARE_API_TOKEN=fake_api.token, CLOUDFLARE_ACCOUNT_ID="acc-123")
    assert out.returncode == 1 and "Token status: expired" in out.stdout


def test_not_authenticated(fake_api):
    out = run_whoami(fake_api)
    assert out.returncode == 1 and "You are not authenticated" in out.stdout
