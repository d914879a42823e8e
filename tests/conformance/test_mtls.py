"""mTLS certificate binding conformance: ``fetch`` through a client certificate, locally and through the proxy.

Locally the request goes to a real HTTPS server on 127.0.0.1 that requires the client certificate; remotely the
proxy's mTLS stand-in is the echoing target worker on workerd (which cannot present a certificate), so the remote
leg checks the wire path and workerd's own Request/fetch texts.
"""

from __future__ import annotations

import pytest
from flarebind_mtls.store import add_certificate
from flarebind_mtls.testing import make_pems, mtls_server

CERT_ID = "6a1f0c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
INVALID_REDIRECT = (
    'Invalid redirect value, must be one of "follow" or "manual" ("error" won\'t be implemented since it does not '
    'make sense at the edge; use "manual" and check the response status code).'
)


@pytest.fixture
async def cert(make_binding, binding_mode, tmp_path):
    if binding_mode == "remote":
        yield await make_binding("mtls_certificate", {"certificate_id": CERT_ID}, name="CERT"), "https://mtls.test"
        return
    pems = make_pems(tmp_path / "pems")
    add_certificate(
        tmp_path / "state" / "v3" / "mtls",
        CERT_ID,
        pems.client_cert.read_bytes(),
        pems.client_key.read_bytes(),
        pems.ca.read_bytes(),
    )
    with mtls_server(pems) as url:
        yield await make_binding("mtls_certificate", {"certificate_id": CERT_ID}, name="CERT"), url


async def test_fetch_sends_method_path_body_and_headers(cert):
    binding, base = cert
    resp = await binding.fetch(f"{base}/hello", method="POST", body="payload", headers={"x-test": "abc"})
    assert resp.status == 200 and resp.ok
    assert resp.headers.get("content-type") == "application/json"
    data = await resp.json()
    assert (data["method"], data["path"], data["body"], data["header"]) == ("POST", "/hello", "payload", "abc")


async def test_status_codes_come_through(cert):
    binding, base = cert
    resp = await binding.fetch(f"{base}/teapot")
    assert resp.status == 418 and not resp.ok
    assert (await resp.json())["path"] == "/teapot"


async def test_streamed_request_body(cert):
    binding, base = cert

    async def chunks():
        for part in (b"a" * 1000, b"b" * 1000):
            yield part

    resp = await binding.fetch(f"{base}/upload", method="PUT", body=chunks())
    assert (await resp.json())["body"] == "a" * 1000 + "b" * 1000


async def test_redirect_error_is_refused_with_workerd_text(cert):
    binding, base = cert
    with pytest.raises(TypeError) as info:
        await binding.fetch(f"{base}/x", redirect="error")
    assert str(info.value) == INVALID_REDIRECT
