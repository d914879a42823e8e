"""maybe_start_or_update_remote_proxy_session: upstream's decision rules, auth compared by value."""

from __future__ import annotations

import httpx
import pytest
from flarebind.remote import Auth, maybe_start_or_update_remote_proxy_session, session_for
from flarebind.remote.session import RemoteProxySession

KV_REMOTE = {"type": "kv_namespace", "id": "kv-1", "remote": True}
KV_LOCAL = {"type": "kv_namespace", "id": "kv-1"}


@pytest.fixture
def use_deployed(deployed, monkeypatch):
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_URL", deployed.url)
    monkeypatch.setenv("FLAREBIND_REMOTE_PROXY_SECRET", deployed.secret)
    return deployed


async def test_no_remote_bindings_and_no_previous_gives_none(use_deployed):
    assert await maybe_start_or_update_remote_proxy_session({"bindings": {"KV": KV_LOCAL}}) is None
    assert use_deployed.requests == []


async def test_deployed_proxy_needs_no_cloudflare_api(use_deployed):
    data = await maybe_start_or_update_remote_proxy_session({"name": "w", "bindings": {"KV": KV_REMOTE}})
    assert data is not None
    try:
        assert data.session.mode == "deployed"
        assert data.remote_bindings == {"KV": KV_REMOTE}
        async with httpx.AsyncClient() as client:
            r = await client.get(data.session.remote_proxy_connection_string + "ping")
        assert r.status_code == 200
        assert use_deployed.requests[-1]["headers"]["x-flarebind-proxy-secret"] == use_deployed.secret
    finally:
        await data.session.dispose()


async def test_same_bindings_reuse_changed_bindings_update(fake_api, auth):
    # two distinct but equal Auth objects: the same credentials, so never a restart
    first = await maybe_start_or_update_remote_proxy_session({"bindings": {"KV": KV_REMOTE}}, None, auth)
    assert first is not None
    try:
        uploads = len(fake_api.uploads)
        again = await maybe_start_or_update_remote_proxy_session(
            {"bindings": {"KV": dict(KV_REMOTE)}}, first, Auth(account_id="acc-123", api_token="good-token")
        )
        assert again is first and len(fake_api.uploads) == uploads

        changed = {"KV": {**KV_REMOTE, "id": "kv-2"}}
        updated = await maybe_start_or_update_remote_proxy_session(
            {"bindings": changed}, again, Auth(account_id="acc-123", api_token="good-token")
        )
        assert updated is not None and updated.session is first.session
        assert updated.session.remote_proxy_connection_string == first.session.remote_proxy_connection_string
        assert len(fake_api.uploads) == uploads + 1
        assert fake_api.uploads[-1]["metadata"]["bindings"][0]["namespace_id"] == "kv-2"

        # the last remote binding removed: the session is kept, updated to no bindings
        emptied = await maybe_start_or_update_remote_proxy_session({"bindings": {"KV": KV_LOCAL}}, updated, auth)
        assert emptied is not None and emptied.session is first.session and emptied.remote_bindings == {}
        assert [b["name"] for b in fake_api.uploads[-1]["metadata"]["bindings"]] == ["FLAREBIND_PROXY_SECRET"]
    finally:
        await first.session.dispose()


async def test_different_auth_restarts(fake_api, auth):
    first = await maybe_start_or_update_remote_proxy_session({"bindings": {"KV": KV_REMOTE}}, None, auth)
    assert first is not None
    fake_api.token = "second-token"
    second = await maybe_start_or_update_remote_proxy_session(
        {"bindings": {"KV": KV_REMOTE}}, first, Auth(account_id="acc-123", api_token="second-token")
    )
    try:
        assert second is not None and second.session is not first.session
        assert first.session._disposed
    finally:
        await second.session.dispose()


async def test_auth_from_env_compared_by_value(fake_api, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "good-token")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acc-123")
    first = await maybe_start_or_update_remote_proxy_session({"bindings": {"KV": KV_REMOTE}})
    assert first is not None
    try:
        # a callable auth returning the same values counts as the same auth
        again = await maybe_start_or_update_remote_proxy_session(
            {"bindings": {"KV": KV_REMOTE}},
            first,
            lambda: {"accountId": "acc-123", "apiToken": {"apiToken": "good-token"}},
        )
        assert again is first
    finally:
        await first.session.dispose()


async def test_account_id_from_the_worker_object(fake_api, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "good-token")
    data = await maybe_start_or_update_remote_proxy_session(
        {"name": "w", "account_id": "acc-123", "bindings": {"AI": {"type": "ai", "remote": True}}}
    )
    assert data is not None
    try:
        assert fake_api.uploads[0]["metadata"]["bindings"][0] == {"name": "AI", "type": "ai"}
    finally:
        await data.session.dispose()


async def test_session_for_helper(use_deployed):
    assert await session_for({"KV": KV_LOCAL}) is None
    session = await session_for({"KV": KV_REMOTE, "OTHER": KV_LOCAL})
    assert isinstance(session, RemoteProxySession)
    try:
        assert session.bindings == {"KV": KV_REMOTE}
    finally:
        await session.dispose()


async def test_path_variant_reads_the_config(use_deployed, tmp_path):
    (tmp_path / "wrangler.toml").write_text(
        'name = "app"\ncompatibility_date = "2025-01-01"\n\n[env.staging]\n'
        '[[env.staging.kv_namespaces]]\nbinding = "KV"\nid = "prod"\npreview_id = "prev"\nremote = true\n'
    )
    data = await maybe_start_or_update_remote_proxy_session(
        {"path": str(tmp_path / "wrangler.toml"), "environment": "staging"}
    )
    assert data is not None
    try:
        assert data.remote_bindings["KV"]["id"] == "prev"  # dev conversion uses the preview id
    finally:
        await data.session.dispose()
