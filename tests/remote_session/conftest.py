"""Fixtures: the local Cloudflare API stand-in (the one allowed mock), a stand-in deployed proxy, clean env."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ -> `fakes` importable

from fakes.cloudflare_api import FakeCloudflareAPI, FakeDeployedProxy
from flarebind.remote.auth import Auth

ENV_VARS = (
    "CLOUDFLARE_API_TOKEN",
    "CF_API_TOKEN",
    "CLOUDFLARE_API_KEY",
    "CF_API_KEY",
    "CLOUDFLARE_EMAIL",
    "CF_EMAIL",
    "CLOUDFLARE_ACCOUNT_ID",
    "CF_ACCOUNT_ID",
    "CLOUDFLARE_API_BASE_URL",
    "CF_API_BASE_URL",
    "CLOUDFLARE_ACCESS_CLIENT_ID",
    "CLOUDFLARE_ACCESS_CLIENT_SECRET",
    "CLOUDFLARE_COMPLIANCE_REGION",
    "WRANGLER_API_ENVIRONMENT",
    "FLAREBIND_REGISTER_SUBDOMAIN",
    "FLAREBIND_REMOTE_PROXY_URL",
    "FLAREBIND_REMOTE_PROXY_SECRET",
    "FLAREBIND_EDGE_PREVIEW_ORIGIN",
)

WORKER = ("proxy.js", "export default { fetch() { return new Response('stand-in'); } };")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCloudflareAPI]:
    fake = FakeCloudflareAPI().start()
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", f"{fake.url}/client/v4")
    monkeypatch.setenv("FLAREBIND_EDGE_PREVIEW_ORIGIN", fake.url)
    yield fake
    for gate in fake.worker.gates.values():
        gate.set()
    fake.stop()


@pytest.fixture
def deployed() -> Iterator[FakeDeployedProxy]:
    proxy = FakeDeployedProxy().start()
    yield proxy
    for gate in proxy.worker.gates.values():
        gate.set()
    proxy.stop()


@pytest.fixture
def auth(fake_api: FakeCloudflareAPI) -> Auth:
    return Auth(account_id=fake_api.account_id, api_token=fake_api.token)
