"""``env.CERT.fetch`` against a real HTTPS server on 127.0.0.1 that requires a client certificate."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from flarebind.plugin import JsException, LocalContext
from flarebind_mtls import errors
from flarebind_mtls.errors import CertificateError
from flarebind_mtls.local import make_local
from flarebind_mtls.store import add_certificate
from flarebind_mtls.testing import Pems

CERT_ID = "11111111-2222-4333-8444-555555555555"


def add(state: Path, pems: Pems, *, cert: Path | None = None, key: Path | None = None, ca: bool = True) -> Path:
    return add_certificate(
        state / "v3" / "mtls",
        CERT_ID,
        (cert or pems.client_cert).read_bytes(),
        (key or pems.client_key).read_bytes(),
        pems.ca.read_bytes() if ca else None,
    )


@pytest.fixture
async def ctx(tmp_path: Path):
    context = LocalContext(persist_to=tmp_path / "state", project_dir=tmp_path)
    yield context
    await context.dispose()


def cert_binding(ctx: LocalContext):
    return make_local("CERT", {"type": "mtls_certificate", "certificate_id": CERT_ID}, ctx)


async def test_the_right_certificate_is_accepted(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems)
    resp = await cert_binding(ctx).fetch(f"{server}/echo", method="POST", body="hello", headers={"x-test": "yes"})
    assert resp.status == 200 and resp.ok
    data = await resp.json()
    assert data == {
        "method": "POST",
        "path": "/echo",
        "body": "hello",
        "header": "yes",
        "client": "client.flarebind.test",
    }
    assert resp.headers.get("content-type") == "application/json"


async def test_init_as_a_dict_and_a_request_like_object(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems)

    class Req:
        url = f"{server}/obj"
        method = "PUT"
        headers = (("x-test", "from-object"),)
        body = b"payload"

    data = await (await cert_binding(ctx).fetch(Req())).json()
    assert (data["method"], data["path"], data["body"], data["header"]) == ("PUT", "/obj", "payload", "from-object")
    data = await (await cert_binding(ctx).fetch(f"{server}/d", {"method": "DELETE"})).json()
    assert data["method"] == "DELETE"


async def test_no_local_certificate_names_the_command(ctx, server):
    with pytest.raises(CertificateError) as info:
        await cert_binding(ctx).fetch(f"{server}/echo")
    assert f"flarebind mtls-certificate add-local {CERT_ID} --cert" in str(info.value)
    assert "remote = true" in str(info.value)


async def test_a_wrong_certificate_is_refused_by_the_server(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems, cert=pems.other_cert, key=pems.other_key)
    with pytest.raises(JsException) as info:
        await (await cert_binding(ctx).fetch(f"{server}/echo")).text()
    # TLS 1.3 checks the client certificate after the client finished its handshake: the server's refusal reaches
    # the client as an alert or, as here with Python's server, a reset connection
    message = str(info.value)
    assert message == errors.CONNECTION_LOST or message.startswith("internal error; TLS handshake with the server")


async def test_without_any_client_certificate_the_server_refuses(pems, server):
    # what a plain fetch (no binding) gets from this server: the handshake fails, so the binding's success above
    # is the certificate's doing
    import ssl

    import httpx

    plain = ssl.create_default_context(cafile=str(pems.ca))
    async with httpx.AsyncClient(verify=plain) as client:
        # (Python 3.10's ssl raises the TLS 1.3 "certificate required" alert as a bare SSLError on read)
        with pytest.raises((httpx.TransportError, ssl.SSLError)):
            r = await client.get(f"{server}/echo")
            r.raise_for_status()


async def test_a_private_ca_needs_ca(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems, ca=False)
    with pytest.raises(JsException) as info:
        await cert_binding(ctx).fetch(f"{server}/echo")
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


async def test_redirects_follow_manual_and_error(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems)
    cert = cert_binding(ctx)
    followed = await cert.fetch(f"{server}/redirect/3")
    assert followed.status == 200 and followed.redirected and followed.url == f"{server}/echo"
    assert (await followed.json())["path"] == "/echo"
    manual = await cert.fetch(f"{server}/redirect/1", redirect="manual")
    assert manual.status == 302 and manual.headers.get("location") == "/echo" and not manual.redirected
    with pytest.raises(TypeError) as info:
        await cert.fetch(f"{server}/redirect/1", redirect="error")
    assert str(info.value) == errors.INVALID_REDIRECT
    with pytest.raises(JsException) as too_many:
        await cert.fetch(f"{server}/redirect/25")
    assert str(too_many.value) == errors.TOO_MANY_REDIRECTS


async def test_streaming_bodies_both_ways(ctx, pems, server, tmp_path):
    add(tmp_path / "state", pems)
    cert = cert_binding(ctx)

    async def chunks():
        for part in (b"one ", b"two ", "three"):
            yield part

    data = await (await cert.fetch(f"{server}/stream", method="POST", body=chunks())).json()
    assert data["body"] == "one two three"
    size = 3 * 1024 * 1024 + 5
    resp = await cert.fetch(f"{server}/big/{size}")
    pieces = [len(c) async for c in resp.body]
    assert sum(pieces) == size and len(pieces) > 1  # arrived in pieces, not as one buffer
    with pytest.raises(TypeError):
        await resp.text()  # the body was read already


async def test_connection_failures_are_workers_errors(ctx, pems, tmp_path):
    add(tmp_path / "state", pems)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(JsException) as info:
        await cert_binding(ctx).fetch(f"https://127.0.0.1:{port}/")
    assert str(info.value) == errors.CONNECTION_LOST
    with pytest.raises(TypeError) as bad:
        await cert_binding(ctx).fetch("ftp://example.com/")
    assert str(bad.value) == "Fetch API cannot load: ftp://example.com/"


async def test_the_key_is_stored_0600_and_never_logged_or_copied(ctx, pems, server, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    folder = add(tmp_path / "state", pems)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in ("cert.pem", "key.pem", "ca.pem", "meta.json"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    cert = cert_binding(ctx)
    await (await cert.fetch(f"{server}/echo")).text()
    key = pems.client_key.read_bytes()
    secret_line = key.splitlines()[1].decode()  # a line of the base64 key body
    out = capsys.readouterr()
    assert secret_line not in caplog.text and secret_line not in out.out + out.err
    assert secret_line not in repr(cert)
    holders = sorted(p for p in tmp_path.rglob("*") if p.is_file() and secret_line.encode() in p.read_bytes())
    assert holders == [pems.client_key, folder / "key.pem"]


def test_certificate_ids_are_confined_to_the_state_folder(tmp_path, pems):
    ctx = LocalContext(persist_to=tmp_path / "state", project_dir=tmp_path)
    for bad in ("../escape", "a/b", "..", ".hidden", ""):
        with pytest.raises(CertificateError):
            make_local("CERT", {"type": "mtls_certificate", "certificate_id": bad}, ctx)
    with pytest.raises(CertificateError) as info:
        add_certificate(tmp_path / "m", "ok-id", pems.client_cert.read_bytes(), pems.other_key.read_bytes())
    assert "cannot be used together" in str(info.value)
    assert not (tmp_path / "m" / "ok-id").exists()


async def test_a_worker_forwards_its_request_through_the_certificate(pems, server, tmp_path):
    import textwrap

    from flarebind.runtime.runtime import Runtime

    add(tmp_path / "state", pems)
    main = tmp_path / "src" / "entry.py"
    main.parent.mkdir(parents=True)
    main.write_text(
        textwrap.dedent(f"""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                if request.method == "POST":
                    upstream = await self.env.CERT.fetch("{server}/forwarded", method="POST",
                                                         body=await request.text(), headers={{"x-test": "worker"}})
                else:
                    upstream = await self.env.CERT.fetch("{server}/plain")
                return Response(await upstream.text(), status=upstream.status)
        """)
    )
    async with Runtime(
        main=main,
        persist_to=tmp_path / "state",
        compatibility_date="2026-05-01",
        compatibility_flags=["python_workers"],
        bindings={"CERT": {"type": "mtls_certificate", "certificate_id": CERT_ID}},
    ) as rt:
        resp = await rt.dispatch_fetch("http://localhost/", method="POST", body="from the client")
        data = await resp.json()
    assert resp.status == 200
    assert (data["path"], data["body"], data["header"], data["client"]) == (
        "/forwarded",
        "from the client",
        "worker",
        "client.flarebind.test",
    )
