"""The `workers` / `js` / `pyodide` surface, checked against the SDK behaviour in the reference."""

from __future__ import annotations

import asyncio
import json
from http.client import HTTPMessage

import pytest
from flarebind.errors import JsException
from flarebind.runtime.sdk import ffi
from flarebind.runtime.sdk.blob import Blob, File, FormData, parse_form
from flarebind.runtime.sdk.fetch import fetch
from flarebind.runtime.sdk.headers import Headers, to_http_message
from flarebind.runtime.sdk.jsapi import JSON, URL, Object, jsnull
from flarebind.runtime.sdk.request import JsRequest, Request
from flarebind.runtime.sdk.response import JsResponse, Response


async def test_response_str_body_gets_text_content_type() -> None:
    response = Response("hi", status=201, headers={"x-a": True, "x-n": 123})
    assert response.status == 201
    assert response.ok
    assert response.headers["content-type"] == "text/plain;charset=UTF-8"
    assert response.headers["x-a"] == "true"
    assert response.headers["x-n"] == "123"
    assert await response.text() == "hi"


async def test_response_json_is_static_and_instance() -> None:
    response = Response.json({"a": 1}, status=202)
    assert response.status == 202
    assert response.headers["content-type"] == "application/json"
    assert await response.clone().text() == '{"a": 1}'  # json.dumps spacing, as the SDK
    assert await response.json() == {"a": 1}
    custom = Response.json([1], headers={"content-type": "application/vnd.x+json"})
    assert custom.headers["content-type"] == "application/vnd.x+json"


async def test_js_response_json_uses_js_spacing() -> None:
    response = JsResponse.json({"a": [1, 2]})
    assert await response.text() == '{"a":[1,2]}'


def test_response_rejects_unsupported_bodies_and_header_types() -> None:
    for body in ({"a": 1}, [1], bytearray(b"x"), memoryview(b"x")):
        with pytest.raises(TypeError, match="Unsupported type in Response"):
            Response(body)
    with pytest.raises(TypeError):
        Response("x", headers=HTTPMessage())


def test_response_redirect_returns_js_response_and_checks_status() -> None:
    redirect = Response.redirect("https://example.com/", 301)
    assert isinstance(redirect, JsResponse)
    assert redirect.status == 301
    assert redirect.headers.get("location") == "https://example.com/"
    with pytest.raises(ValueError):
        Response.redirect("https://example.com/", 200)


def test_null_body_status_rejects_a_body() -> None:
    assert Response(None, status=204).status == 204
    with pytest.raises(TypeError):
        Response("x", status=204)


async def test_body_is_read_once() -> None:
    response = Response("once")
    await response.text()
    with pytest.raises(OSError):
        await response.text()


async def test_request_surface() -> None:
    request = Request("https://example.com/a?b=1", method="post", headers={"X-Thing": "1"}, body='{"k": 2}')
    assert request.method == "POST"
    assert "POST" in request.method
    assert request.url == "https://example.com/a?b=1"
    assert isinstance(request.headers, HTTPMessage)
    assert request.headers["x-thing"] == "1"
    assert request.headers["missing"] is None
    assert await request.json() == {"k": 2}
    with pytest.raises(OSError):
        await request.text()
    with pytest.raises(ValueError):
        Request(JsRequest("https://example.com/"), method="POST")


async def test_request_headers_view_is_rebuilt_on_each_access() -> None:
    request = Request("https://example.com/", headers=[("a", "1")])
    request.headers["b"] = "2"
    assert request.headers["b"] is None


def test_headers_js_semantics() -> None:
    headers = Headers({"Content-Type": "text/plain"})
    headers.append("Set-Cookie", "a=1")
    headers.append("set-cookie", "b=2")
    headers.append("Accept", "x")
    headers.append("accept", "y")
    assert headers.get("CONTENT-TYPE") == "text/plain"
    assert headers.get("accept") == "x, y"
    assert headers.getSetCookie() == ["a=1", "b=2"]
    assert "content-type" in headers
    assert list(headers.keys()) == ["accept", "content-type", "set-cookie", "set-cookie"]
    message = to_http_message(headers)
    assert message.get_all("set-cookie") == ["a=1", "b=2"]
    split = to_http_message(headers, preserve_commas=False)
    assert split.get_all("accept") == ["x", "y"]


async def test_formdata_roundtrip_through_a_request() -> None:
    form = FormData({"name": "Ada"})
    form.append("file", Blob([b"\x00\x01"], content_type="application/octet-stream"), filename="a.bin")
    request = Request("https://example.com/", method="POST", body=form)
    parsed = await request.form_data()
    assert parsed["name"] == "Ada"
    upload = parsed["file"]
    assert isinstance(upload, File)
    assert upload.filename == "a.bin"
    assert await upload.bytes() == b"\x00\x01"
    urlencoded = parse_form(b"a=1&a=2&b=", "application/x-www-form-urlencoded")
    assert urlencoded.get_all("a") == ["1", "2"]
    assert urlencoded["b"] == ""


async def test_fetch_takes_exactly_one_positional() -> None:
    with pytest.raises(TypeError, match=r"fetch\(\) takes 1 positional argument but 2 were given"):
        await fetch("http://127.0.0.1:9/", {"method": "POST"})  # type: ignore[call-arg]


async def test_fetch_network_failure_is_oserror() -> None:
    with pytest.raises(OSError):
        await fetch("http://127.0.0.1:9/")  # nothing listens on the discard port


def test_js_response_new_accepts_init_dict_and_kwargs() -> None:
    a = JsResponse.new("x", {"status": 418, "headers": {"x": "1"}})
    b = JsResponse.new("x", status=418, statusText="teapot")
    assert (a.status, a.headers.get("x")) == (418, "1")
    assert (b.status, b.statusText) == (418, "teapot")


def test_url_and_search_params() -> None:
    url = URL.new("https://example.com:8443/a/b?q=1&r=2#h")
    assert url.hostname == "example.com"
    assert url.port == "8443"
    assert url.pathname == "/a/b"
    assert url.searchParams["q"] == "1"
    assert "r" in url.searchParams
    url.hostname = "other.test"
    url.searchParams.set("q", "9")
    assert url.toString() == "https://other.test:8443/a/b?q=9&r=2#h"
    assert url.origin == "https://other.test:8443"


def test_object_json_and_to_js() -> None:
    obj = ffi.to_js({"a": {"b": [1, b"x"]}}, dict_converter=Object.fromEntries)
    assert obj.a.b[0] == 1
    assert obj["a"]["b"][1].buffer == b"x"
    as_map = ffi.to_js({"a": 1})
    assert isinstance(as_map, ffi.JsMap) and as_map.get("a") == 1
    assert JSON.parse('{"x": {"y": 2}}').x.y == 2
    assert JSON.stringify({"a": [1, 2]}) == '{"a":[1,2]}'
    assert not jsnull and jsnull is not None


def test_js_exception_is_the_project_exception() -> None:
    assert ffi.JsException is JsException


def test_create_proxy_destroy() -> None:
    proxy = ffi.create_proxy(lambda x: x * 2)
    assert proxy(3) == 6
    proxy.destroy()
    with pytest.raises(JsException):
        proxy(1)


async def test_run_sync_is_reentrant_inside_a_running_loop() -> None:
    async def inner() -> int:
        await asyncio.sleep(0)
        return 1

    async def outer() -> int:
        # a sync library calling back into async code, from inside a coroutine
        return ffi.run_sync(inner()) + 1

    assert ffi.run_sync(outer()) == 2


async def test_run_sync_from_a_worker_thread_uses_the_runtime_loop() -> None:
    loop = asyncio.get_running_loop()
    ffi.set_runtime_loop(loop)
    try:

        async def where() -> object:
            return asyncio.get_running_loop()

        assert await asyncio.to_thread(ffi.run_sync, where()) is loop
    finally:
        ffi.set_runtime_loop(None)


def test_blob_and_file() -> None:
    blob = Blob(["ab", b"cd"], content_type="Text/Plain")
    assert blob.size == 4
    assert blob.content_type == "text/plain"
    assert asyncio.run(blob.slice(1, 3).text()) == "bc"
    file = File(["x"], "f.txt")
    assert file.name == "f.txt"


async def test_response_json_body_helper_matches_sdk_dumps() -> None:
    response = Response.json({"b": None})
    assert json.loads(await response.text()) == {"b": None}


async def test_request_init_may_be_another_request() -> None:
    original = JsRequest("https://a.example/x", method="POST", headers={"x-k": "v"}, body="payload")
    copy = JsRequest.new("https://b.example/y", original)
    assert (copy.url, copy.method, copy.headers.get("x-k")) == ("https://b.example/y", "POST", "v")
    assert await copy.text() == "payload"
    sdk = Request("https://c.example/")
    assert JsRequest.new("https://d.example/", sdk).method == "GET"


async def test_cache_api_put_match_delete_and_freshness() -> None:
    from flarebind.runtime.sdk.cache import Cache

    now = [1000.0]
    cache = Cache(clock=lambda: now[0])
    url = "https://example.com/page"
    await cache.put(url, Response("cached body", headers={"cache-control": "max-age=60"}))
    hit = await cache.match(url)
    assert hit is not None and await hit.text() == "cached body"
    assert hit.headers.get("cf-cache-status") == "HIT"
    await cache.put("https://example.com/private", JsResponse("x", headers={"cache-control": "private"}))
    assert await cache.match("https://example.com/private") is None
    with pytest.raises(TypeError):
        await cache.put(JsRequest(url, method="POST", body="b"), JsResponse("x"))
    now[0] += 61
    assert await cache.match(url) is None
    await cache.put(url, JsResponse("again"))
    assert await cache.delete(url) is True
    assert await cache.delete(url) is False


async def test_console_log_goes_to_stdout_and_errors_to_stderr(capsys) -> None:
    from flarebind.runtime.sdk.jsapi import console

    console.log("hello", {"a": 1})
    console.error("bad")
    out, err = capsys.readouterr()
    assert out == 'hello {"a":1}\n'
    assert err == "bad\n"


async def test_crypto_subtle_hmac_and_digest() -> None:
    import hashlib
    import hmac

    from flarebind.runtime.sdk.jsapi import TextEncoder, crypto

    encoder = TextEncoder.new()
    key = await crypto.subtle.importKey(
        "raw", encoder.encode("secret"), {"name": "HMAC", "hash": "SHA-256"}, False, ["sign", "verify"]
    )
    signature = await crypto.subtle.sign("HMAC", key, encoder.encode("message"))
    assert signature == hmac.new(b"secret", b"message", "sha256").digest()
    assert await crypto.subtle.verify("HMAC", key, signature, encoder.encode("message"))
    assert not await crypto.subtle.verify("HMAC", key, signature, encoder.encode("other"))
    assert await crypto.subtle.digest({"name": "SHA-1"}, b"x") == hashlib.sha1(b"x").digest()
    assert crypto.subtle.timingSafeEqual(b"ab", b"ab")
    assert len(crypto.randomUUID()) == 36
