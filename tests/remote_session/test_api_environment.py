"""The API base and preview host derived as wrangler 4.86 derives them (getCloudflareApiBaseUrl)."""

from __future__ import annotations

import pytest
from flarebind.remote.api import CloudflareAPI
from flarebind.remote.auth import Auth, AuthError, api_base_url, resolve_compliance_region
from flarebind.remote.provision import EdgePreviewProvisioner

AUTH = Auth(account_id="acc-123", api_token="t")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "https://api.cloudflare.com/client/v4"),
        ({"CLOUDFLARE_COMPLIANCE_REGION": "public"}, "https://api.cloudflare.com/client/v4"),
        ({"CLOUDFLARE_COMPLIANCE_REGION": "fedramp_high"}, "https://api.fed.cloudflare.com/client/v4"),
        ({"WRANGLER_API_ENVIRONMENT": "staging"}, "https://api.staging.cloudflare.com/client/v4"),
        (
            {"CLOUDFLARE_COMPLIANCE_REGION": "fedramp_high", "WRANGLER_API_ENVIRONMENT": "staging"},
            "https://api.fed.staging.cloudflare.com/client/v4",
        ),
        (
            {"CLOUDFLARE_COMPLIANCE_REGION": "fedramp_high", "CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:9/v4/"},
            "http://127.0.0.1:9/v4",
        ),
        ({"CF_API_BASE_URL": "http://127.0.0.1:9/old"}, "http://127.0.0.1:9/old"),
    ],
)
def test_api_base_url(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert api_base_url() == expected
    assert CloudflareAPI(AUTH).base_url == expected


def test_the_session_api_and_the_preview_host_agree_on_fedramp(monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_COMPLIANCE_REGION", "fedramp_high")
    api = CloudflareAPI(AUTH)
    provisioner = EdgePreviewProvisioner(api, AUTH, "flarebind-abc", "secret")
    assert api.base_url == "https://api.fed.cloudflare.com/client/v4"
    assert provisioner.host("devsub") == "flarebind-abc.devsub.fed.workers.dev"


def test_a_configured_region_without_the_variable():
    assert api_base_url("fedramp_high") == "https://api.fed.cloudflare.com/client/v4"
    assert CloudflareAPI(AUTH, compliance_region="fedramp_high").base_url == "https://api.fed.cloudflare.com/client/v4"


def test_conflicting_regions_give_wranglers_error(monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_COMPLIANCE_REGION", "public")
    with pytest.raises(AuthError) as info:
        resolve_compliance_region("fedramp_high")
    assert str(info.value) == (
        "The compliance region has been set to different values in two places:\n"
        " - `CLOUDFLARE_COMPLIANCE_REGION` environment variable: `public`\n"
        " - `compliance_region` configuration property: `fedramp_high`"
    )


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [
        ("CLOUDFLARE_COMPLIANCE_REGION", "fedramp", '["public","fedramp_high"]'),
        ("WRANGLER_API_ENVIRONMENT", "prod", '["production","staging"]'),
    ],
)
def test_values_outside_the_choices_give_wranglers_error(monkeypatch, name, value, choices):
    monkeypatch.setenv(name, value)
    with pytest.raises(AuthError) as info:
        api_base_url()
    assert str(info.value) == f'Expected "{value}" to be one of {choices}'
