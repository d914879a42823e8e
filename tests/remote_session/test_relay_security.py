"""Relay security: session secret, Host check (DNS rebinding), and upstream credentials never leaking."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from flarebind.remote import Auth, RemoteSessionAuthenticationError, start_remote_proxy_session
from flarebind.remote.relay import is_loopback_host

from .conftest import WORKER

KV = {"KV": {"type": "kv_namespace", "id": "kv-id", "remote": True}}


async def raw_request(port: int, target: str, host: str) -> tuple[int, bytes]:
    """A hand-written HTTP request, so the Host header is exactly what an attacker's browser would send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()  # the relay closes rejected connections
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize("mode", ["deployed", "edge"])
async def test_rejections_reach_nothing_upstream(mode, deployed, fake_api, auth):
    if mode == "deployed":
        session = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
        upstream = deployed
    else:
        session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER)
        upstream = fake_api
    try:
        before = len(upstream.requests)
        conns_before = upstream.connections
        port = session.relay.port
        secret = session.relay.secret
        cases = [
            (f"/x/{secret}/", f"127.0.0.1:{port}", 401),  # secret not as the prefix
            ("/", f"127.0.0.1:{port}", 401),  # no secret
            # wrong secret: the last character changed (to "B" when it already is "A", which failed 1 run in 64)
            (f"/{secret[:-1]}{'B' if secret.endswith('A') else 'A'}/x", f"127.0.0.1:{port}", 401),
            (f"/{secret}x", f"127.0.0.1:{port}", 401),  # secret without the separating slash
            (f"/{secret}/x", "evil.example.com", 403),  # DNS rebinding: right secret, foreign Host
            (f"/{secret}/x", f"evil.example.com:{port}", 403),
            (f"/{secret}/x", "127.0.0.1.evil.example", 403),
            ("/", "evil.example.com", 403),
        ]
        for target, host, expected in cases:
            status, _ = await raw_request(port, target, host)
            assert status == expected, (target, host)
        assert len(upstream.requests) == before
        assert upstream.connections == conns_before
        assert session.relay.stats.rejected_secret == 4 and session.relay.stats.rejected_host == 4
        # and the right secret with a loopback Host goes through
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
            status, _ = await raw_request(port, f"/{secret}/ok", host)
            assert status == 200
    finally:
        await session.dispose()


def test_loopback_host_parsing():
    assert is_loopback_host("127.0.0.1:8787") and is_loopback_host("localhost") and is_loopback_host("[::1]:80")
    assert not is_loopback_host("localhost.evil.com") and not is_loopback_host("") and not is_loopback_host(None)
    assert not is_loopback_host("10.0.0.1:80")


async def test_client_cannot_set_upstream_credentials(deployed):
    async with await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret) as s:
        async with httpx.AsyncClient() as client:
            r = await client.get(
                s.remote_proxy_connection_string + "x",
                headers={"X-Flarebind-Proxy-Secret": "attacker", "cf-workers-preview-token": "t"},
            )
        assert r.status_code == 200
        sent = deployed.requests[-1]["headers"]
        assert sent["x-flarebind-proxy-secret"] == deployed.secret
        assert "cf-workers-preview-token" not in sent


SENTINEL = "SENTINEL-TOKEN-4f1c2d9e8b7a"


async def test_sentinel_token_leaks_nowhere(fake_api, tmp_path, monkeypatch, caplog, capfd):
    """A run with debug logging: the API token appears in no log line, exception, file or child environment."""
    fake_api.token = SENTINEL
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "flarebind", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    auth = Auth(account_id="acc-123", api_token=SENTINEL)
    texts: list[str] = [repr(auth), str(auth)]

    session = await start_remote_proxy_session(KV, auth=auth, worker=WORKER)
    try:
        texts.append(repr(session))
        texts.append(session.remote_proxy_connection_string)
        async with httpx.AsyncClient() as client:
            for _ in range(3):
                r = await client.post(session.remote_proxy_connection_string + "__flarebind/v1/call", content=b"{}")
                assert r.status_code == 200
                texts.append(r.text)
                texts.extend(f"{k}: {v}" for k, v in r.headers.items())
            fake_api.expire_all()  # forces a re-provision with the token
            assert (await client.get(session.remote_proxy_connection_string + "x")).status_code == 200
        await session.refresh()
        await session.update_bindings({"KV2": {"type": "kv_namespace", "id": "other", "remote": True}})
        # a child process started now (like the worker process) inherits nothing of the token
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(sorted(os.environ.items()))"],
            capture_output=True,
            text=True,
            check=True,
        )
        texts.append(child.stdout)
        assert SENTINEL not in os.environ.values()
    finally:
        await session.dispose()

    # an authentication failure: the exception text and its chain carry no token
    fake_api.token = "something-else"
    with pytest.raises(RemoteSessionAuthenticationError) as info:
        await start_remote_proxy_session(KV, auth=auth, worker=WORKER)
    exc: BaseException | None = info.value
    while exc is not None:
        texts.append(str(exc))
        texts.append(repr(exc))
        exc = exc.__cause__ or exc.__context__
    import traceback

    texts.append("".join(traceback.format_exception(info.value)))

    captured = capfd.readouterr()
    texts.extend([captured.out, captured.err])
    texts.extend(record.getMessage() for record in caplog.records)
    texts.extend(str(record.args) for record in caplog.records)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # debug logging really was on
    for text in texts:
        assert SENTINEL not in text
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path
    # the token did reach the API (so the test would catch a leak of a value that was really used)
    assert any(r["headers"].get("authorization") == f"Bearer {SENTINEL}" for r in fake_api.requests)


async def test_access_redirect_becomes_a_clear_403(deployed, caplog):
    s = await start_remote_proxy_session(KV, proxy_url=deployed.url, proxy_secret=deployed.secret)
    async with s, httpx.AsyncClient() as client:
        r1 = await client.get(s.remote_proxy_connection_string + "access-login")
        r2 = await client.get(s.remote_proxy_connection_string + "access-login")
    assert r1.status_code == 403 and r2.status_code == 403
    assert r1.text.startswith(
        "Cloudflare Access blocked this remote bindings request. Set CLOUDFLARE_ACCESS_CLIENT_ID "
        "and CLOUDFLARE_ACCESS_CLIENT_SECRET"
    )
    banners = [r for r in caplog.records if r.getMessage() == "Cloudflare Access blocked a remote bindings request"]
    assert len(banners) == 1  # printed once per session


async def test_unreachable_upstream_answers_502(deployed):
    url = deployed.url
    deployed.stop()
    s = await start_remote_proxy_session(KV, proxy_url=url, proxy_secret="s")
    async with s, httpx.AsyncClient() as client:
        r = await client.post(s.remote_proxy_connection_string + "x", content=b"{}")
    assert r.status_code == 502 and r.text.startswith("The remote proxy could not be reached")
