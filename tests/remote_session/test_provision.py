"""The edge-preview flow against the local Cloudflare API stand-in: requests, shapes, refresh, expiry, errors."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from flarebind.remote import Auth, RemoteSessionAuthenticationError, RemoteSessionError, start_remote_proxy_session
from flarebind.remote.provision import metadata_bindings, to_metadata_binding
from flarebind.remote.session import RemoteProxySessionUpdateError

from .conftest import WORKER

KV = {"KV": {"type": "kv_namespace", "id": "kv-id", "remote": True}}


async def start(auth, bindings=KV, **kw):
    return await start_remote_proxy_session(bindings, auth=auth, worker=WORKER, **kw)


async def test_flow_requests_and_shapes(fake_api, auth):
    fake_api.exchange = True
    async with await start(auth, worker_name="my-worker") as session:
        assert session.mode == "edge-preview"
        paths = [(r["method"], r["path"]) for r in fake_api.requests]
        assert paths == [
            ("GET", "/client/v4/accounts/acc-123/workers/subdomain/edge-preview"),
            ("GET", "/client/v4/exchange/1"),
            ("GET", "/client/v4/accounts/acc-123/workers/subdomain"),
            ("POST", paths[3][1]),
        ]
        script = re.fullmatch(r"/client/v4/accounts/acc-123/workers/scripts/([a-z0-9-]+)/edge-preview", paths[3][1])
        assert script and script.group(1) != "my-worker" and script.group(1).startswith("my-worker-flarebind-")
        api_requests = [r for r in fake_api.requests if not r["path"].startswith("/client/v4/exchange")]
        assert all(r["headers"]["authorization"] == "Bearer good-token" for r in api_requests)
        upload_req = fake_api.requests[3]
        # the exchanged token is the one sent as the upload config token
        assert upload_req["headers"]["cf-preview-upload-config-token"] == "exchanged-1"
        upload = fake_api.uploads[0]
        assert upload["session_config"] == {"workers_dev": True}
        assert upload["metadata"]["main_module"] == "proxy.js"
        assert upload["metadata"]["compatibility_date"] == "2025-04-28"
        assert upload["metadata"]["bindings"][0] == {"name": "KV", "type": "kv_namespace", "namespace_id": "kv-id"}
        assert upload["metadata"]["bindings"][1]["type"] == "secret_text"
        module = upload["parts"]["proxy.js"]
        assert module["content_type"] == "application/javascript+module"
        assert module["data"].decode().startswith(WORKER[1])
        assert "flarebind-session-update:" in module["data"].decode()

        async with httpx.AsyncClient() as client:
            r = await client.post(
                session.remote_proxy_connection_string + "__flarebind/v1/call",
                content=b"abc",
                headers={"x-test": "yes"},
            )
        assert r.status_code == 200
        echoed = r.json()
        assert echoed["path"] == "/__flarebind/v1/call" and echoed["body"] == "abc" and echoed["x-test"] == "yes"
        assert echoed["host"] == f"{script.group(1)}.devsub.workers.dev"
        sent = fake_api.requests[-1]["headers"]
        assert sent["cf-workers-preview-token"] == "preview-2"
        assert sent["x-flarebind-proxy-secret"] == upload["secret"]
        # the upstream secret is not the relay's session secret (which local processes see)
        assert upload["secret"] not in session.remote_proxy_connection_string


async def test_each_session_gets_a_unique_script_name(fake_api, auth):
    a = await start(auth, worker_name="w")
    b = await start(auth, worker_name="w")
    try:
        assert fake_api.uploads[0]["script"] != fake_api.uploads[1]["script"]
        assert a.remote_proxy_connection_string != b.remote_proxy_connection_string
    finally:
        await a.dispose()
        await b.dispose()


async def test_expired_preview_is_reprovisioned_and_the_call_retried(fake_api, auth):
    async with await start(auth) as session, httpx.AsyncClient() as client:
        url = session.remote_proxy_connection_string
        assert (await client.get(url + "one")).status_code == 200
        fake_api.expire_all()
        r = await client.post(url + "__flarebind/v1/call", content=b"payload")
        assert r.status_code == 200 and r.json()["body"] == "payload"
        assert session.refreshes == 1
        assert len(fake_api.uploads) == 2
        assert session.relay.stats.expiries == 1


async def test_expiry_code_10049_in_body_also_reprovisions(fake_api, auth):
    async with await start(auth) as session, httpx.AsyncClient() as client:
        fake_api.fail_next("GET", r".*", 400, 10049, "Preview token expired")  # only API calls consult this
        fake_api.expire_all()
        r = await client.get(session.remote_proxy_connection_string + "x")
        # the first re-provision hit the injected 10049 on the token fetch; the next attempt succeeds
        assert r.status_code == 200
        assert len(fake_api.uploads) == 2


async def test_refresh_uses_a_new_token(fake_api, auth):
    async with await start(auth) as session, httpx.AsyncClient() as client:
        await session.refresh()
        assert session.refreshes == 1
        r = await client.get(session.remote_proxy_connection_string + "x")
        assert r.status_code == 200
        assert fake_api.requests[-1]["headers"]["cf-workers-preview-token"] == "preview-4"


async def test_refresh_loop_runs_every_50_minutes_and_backs_off_on_failure(fake_api, auth):
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        # the session's clock: the refresh interval, the refresh backoff and the API client's retry pauses
        delays.append(seconds)
        if delays.count(50 * 60) > 1:  # park the loop at its second interval
            await asyncio.Event().wait()
        await asyncio.sleep(0)

    session = await start(auth, sleep=fake_sleep)
    try:
        # make the first refresh fail once (a 5xx thrice = the API client's retries exhausted)
        fake_api.fail_next("GET", r"/accounts/acc-123/workers/subdomain/edge-preview", 500, 10013, "oops", times=3)
        for _ in range(200):
            if delays.count(50 * 60) > 1:
                break
            await asyncio.sleep(0.01)
        assert delays[0] == 50 * 60
        assert 5.0 in delays  # the backoff after the failed refresh
        assert session.refreshes == 1
    finally:
        await session.dispose()


@pytest.mark.parametrize("code", [9106, 10000, 10405])
async def test_auth_error_codes_give_the_auth_message(fake_api, monkeypatch, code):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "good-token")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "acc-123")
    fake_api.fail_next("GET", r"/accounts/acc-123/workers/subdomain/edge-preview", 403, code, "Authentication error")
    with pytest.raises(RemoteSessionAuthenticationError) as info:
        await start(None)
    assert str(info.value) == (
        "This Worker uses bindings that need to run remotely, even when developing locally, but the remote session "
        "could not be authenticated.\n"
        "It looks like you are authenticating via a custom API token (`CLOUDFLARE_API_TOKEN`) set in an environment "
        "variable.\nThe token may be invalid or lack the required permissions for this operation.\n\n"
        "To fix this, verify that your token is valid and has the correct permissions.\n"
        "You can also run `flarebind whoami` to check your current authentication status."
    )


async def test_wrong_token_gives_the_auth_message_for_an_argument(fake_api):
    with pytest.raises(RemoteSessionAuthenticationError) as info:
        await start(Auth(account_id="acc-123", api_token="wrong"))
    assert str(info.value).startswith(
        "This Worker uses bindings that need to run remotely, even when developing locally, but the remote session "
        "could not be authenticated.\nThe credentials passed to the session (`auth=`)"
    )
    assert "wrong" not in str(info.value)


async def test_subdomain_required_10063(fake_api, auth):
    fake_api.fail_next("POST", r"/accounts/acc-123/workers/scripts/.*/edge-preview", 400, 10063, "no subdomain")
    with pytest.raises(RemoteSessionError) as info:
        await start(auth)
    assert str(info.value) == (
        "You need to register a workers.dev subdomain before running the dev command in remote mode.\n"
        "You can register a workers.dev subdomain here:\nhttps://dash.cloudflare.com/acc-123/workers/onboarding"
    )


async def test_other_failures_say_failed_to_start(fake_api, auth):
    fake_api.fail_next("GET", r"/accounts/acc-123/workers/subdomain", 500, 10013, "internal", times=3)
    with pytest.raises(RemoteSessionError) as info:
        await start(auth)
    assert str(info.value).startswith("Failed to start the remote proxy session. CloudflareAPIError: ")
    assert "internal [code: 10013]" in str(info.value)
    # three attempts (retried on 5xx), then given up
    assert len(fake_api.requests_to(r"/workers/subdomain$", "GET")) == 3


async def test_5xx_is_retried_then_succeeds(fake_api, auth):
    fake_api.fail_next("GET", r"/accounts/acc-123/workers/subdomain", 502, 10013, "bad gateway", times=2)
    async with await start(auth):
        assert len(fake_api.requests_to(r"/workers/subdomain$", "GET")) == 3


async def test_update_bindings_failure_text(fake_api, auth):
    async with await start(auth) as session:
        fake_api.fail_next("POST", r"/accounts/acc-123/workers/scripts/.*/edge-preview", 400, 10021, "bad binding")
        with pytest.raises(RemoteProxySessionUpdateError) as info:
            await session.update_bindings({"R2": {"type": "r2_bucket", "bucket_name": "b", "remote": True}})
        assert str(info.value).startswith("RemoteProxySession.updateBindings failed during reload: ")
        assert "bad binding [code: 10021]" in str(info.value)
        # the session still serves calls after a failed update (queue released)
        async with httpx.AsyncClient() as client:
            assert (await client.get(session.remote_proxy_connection_string + "x")).status_code == 200


async def test_update_bindings_uploads_the_new_set(fake_api, auth):
    async with await start(auth) as session:
        before = session.remote_proxy_connection_string
        await session.update_bindings({"DB": {"type": "d1", "database_id": "db-1", "remote": True}})
        assert session.remote_proxy_connection_string == before
        assert fake_api.uploads[-1]["metadata"]["bindings"][0] == {"name": "DB", "type": "d1", "id": "db-1"}
        assert fake_api.uploads[-1]["script"] == fake_api.uploads[0]["script"]


async def test_update_reuses_the_session_token_and_replaces_it_once_when_expired(fake_api, auth):
    async with await start(auth) as session:
        await session.update_bindings({"KV": {"type": "kv_namespace", "id": "second", "remote": True}})
        assert len(fake_api.requests_to(r"/subdomain/edge-preview$", "GET")) == 1  # held token reused
        fake_api.session_tokens.clear()  # the held token has expired meanwhile
        await session.update_bindings({"KV": {"type": "kv_namespace", "id": "third", "remote": True}})
        assert len(fake_api.requests_to(r"/subdomain/edge-preview$", "GET")) == 2
        assert fake_api.uploads[-1]["metadata"]["bindings"][0]["namespace_id"] == "third"


async def test_access_service_token_headers_are_sent(fake_api, auth, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_ACCESS_CLIENT_ID", "cid")
    monkeypatch.setenv("CLOUDFLARE_ACCESS_CLIENT_SECRET", "csecret")
    async with await start(auth) as session, httpx.AsyncClient() as client:
        await client.get(session.remote_proxy_connection_string + "x")
    headers = fake_api.requests[-1]["headers"]
    assert headers["cf-access-client-id"] == "cid" and headers["cf-access-client-secret"] == "csecret"


def test_metadata_binding_shapes():
    assert to_metadata_binding("B", {"type": "r2_bucket", "bucket_name": "b", "jurisdiction": "eu"}) == {
        "name": "B",
        "type": "r2_bucket",
        "bucket_name": "b",
        "jurisdiction": "eu",
    }
    assert to_metadata_binding("S", {"type": "service", "service": "auth", "entrypoint": "E"}) == {
        "name": "S",
        "type": "service",
        "service": "auth",
        "entrypoint": "E",
    }
    assert to_metadata_binding("AI", {"type": "ai", "remote": True}) == {"name": "AI", "type": "ai"}
    assert to_metadata_binding("V", {"type": "vectorize", "index_name": "i"}) == {
        "name": "V",
        "type": "vectorize",
        "index_name": "i",
    }
    assert to_metadata_binding("P", {"type": "pipeline", "pipeline": "p"}) == {
        "name": "P",
        "type": "pipelines",
        "pipeline": "p",
    }
    assert to_metadata_binding(
        "D", {"type": "dispatch_namespace", "namespace": "n", "outbound": {"service": "o", "parameters": ["a"]}}
    ) == {
        "name": "D",
        "type": "dispatch_namespace",
        "namespace": "n",
        "outbound": {"worker": {"service": "o"}, "params": [{"name": "a"}]},
    }
    with pytest.raises(RemoteSessionError, match='MY_KV bindings must have an "id" field'):
        to_metadata_binding("MY_KV", {"type": "kv_namespace"})
    with pytest.raises(RemoteSessionError, match='MY_DB bindings must have a "database_id" field'):
        to_metadata_binding("MY_DB", {"type": "d1"})
    bindings = metadata_bindings({"AI": {"type": "ai"}}, "s3")
    assert bindings == [
        {"name": "AI", "type": "ai"},
        {"name": "FLAREBIND_PROXY_SECRET", "type": "secret_text", "text": "s3"},
    ]


async def test_real_proxy_worker_is_uploaded_from_package_data(fake_api, auth):
    from importlib import resources

    source = (resources.files("flarebind.remote.worker") / "proxy.js").read_text()
    session = await start_remote_proxy_session(KV, auth=auth)
    try:
        assert fake_api.uploads[0]["parts"]["proxy.js"]["data"].decode().startswith(source)
    finally:
        await session.dispose()


async def test_upload_with_an_expired_session_token_starts_over(fake_api, auth):
    fake_api.fail_next(
        "POST", r"/accounts/acc-123/workers/scripts/.*/edge-preview", 400, 10049, "Preview token expired"
    )
    async with await start(auth):
        assert len(fake_api.requests_to(r"/workers/subdomain/edge-preview$", "GET")) == 2
        assert len(fake_api.uploads) == 1
