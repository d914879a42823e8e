"""The mTLS certificate binding: ``env.CERT.fetch(input, init)`` presenting a client certificate, as a Worker sees it.

The request goes out through httpx with a TLS context holding the certificate stored by ``flarebind
mtls-certificate add-local`` (see :mod:`flarebind_mtls.store`). As in Workers: redirects are followed unless
``redirect="manual"`` (``"error"`` is refused with workerd's text), request bodies may be streams, the response body
streams from the origin, there is no overall timeout (only a connect timeout), and failures raise
:class:`~flarebind.plugin.JsException`.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flarebind.plugin import JsException

from flarebind_mtls import errors
from flarebind_mtls.response import BodyStream, FetchResponse

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 20  # the Fetch standard's limit, which Workers keeps
CONNECT_TIMEOUT = 30.0
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})


class MtlsCertificate:
    """``env.CERT``: a Fetcher whose requests present the certificate ``certificate_id``."""

    def __init__(self, binding: str, certificate_id: str, folder: Path | None) -> None:
        self._binding = binding
        self._certificate_id = certificate_id
        self._folder = folder
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        # never the key or its path: only what the config says
        return f"<MtlsCertificate {self._binding} certificate_id={self._certificate_id!r}>"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            from flarebind_mtls.store import ssl_context

            folder = self._folder
            if folder is None or not (folder / "cert.pem").is_file():
                raise errors.no_local_certificate(self._binding, self._certificate_id)
            self._client = httpx.AsyncClient(
                verify=ssl_context(folder),
                follow_redirects=False,  # followed here, so "manual" and the hop limit behave as in Workers
                timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT),
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def fetch(self, input: Any, init: Any = None, /, **kwargs: Any) -> FetchResponse:
        """``fetch(url | Request, init)``; ``init`` as a dict or keyword arguments (``method=``, ``headers=``,
        ``body=``, ``redirect=``)."""
        options = dict(init or {})
        options.update(kwargs)
        url = str(getattr(input, "url", input))
        method = str(options.get("method") or getattr(input, "method", None) or "GET").upper()
        headers = _header_pairs(options["headers"] if "headers" in options else getattr(input, "headers", None))
        redirect = str(options.get("redirect") or getattr(input, "redirect", None) or "follow")
        if redirect not in ("follow", "manual"):
            raise TypeError(errors.INVALID_REDIRECT)
        if not url.startswith(("http://", "https://")):
            raise TypeError(f"Fetch API cannot load: {url}")
        body = options["body"] if "body" in options else (None if isinstance(input, str) else _input_body(input))
        if body is not None and method in ("GET", "HEAD"):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")
        client = self._http()
        content = await _content(body)
        redirected = False
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                request = client.build_request(method, url, headers=headers, content=content)
                reply = await client.send(request, stream=True)
            except Exception as exc:
                mapped = _map_error(exc)
                if mapped is None:
                    raise
                raise mapped from exc
            location = reply.headers.get("location")
            if redirect == "manual" or reply.status_code not in (301, 302, 303, 307, 308) or location is None:
                return await _response(reply, method, redirected)
            await reply.aclose()
            redirected = True
            url = str(reply.url.join(location))
            if reply.status_code == 303 or (reply.status_code in (301, 302) and method == "POST"):
                method, content = ("HEAD" if method == "HEAD" else "GET"), None
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
            elif not isinstance(content, (bytes, type(None))):
                raise TypeError("A request with a one-time-use body was redirected; it cannot be sent again.")
        raise JsException(errors.TOO_MANY_REDIRECTS)


async def _response(reply: httpx.Response, method: str, redirected: bool) -> FetchResponse:
    body = None
    if reply.status_code not in NULL_BODY_STATUSES and method != "HEAD":
        body = BodyStream(reply.aiter_bytes(), reply.aclose, _map_error)
    else:
        await reply.aclose()  # nothing to read: give the connection back now
    headers = list(reply.headers.multi_items())
    return FetchResponse(reply.status_code, reply.reason_phrase, headers, body, str(reply.url), redirected)


def _map_error(exc: BaseException) -> Exception | None:
    """httpx / ssl failures as the Worker sees them; None for anything that is not a transport failure."""
    import httpx

    if not isinstance(exc, (httpx.TransportError, ssl.SSLError, OSError)):
        return None
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return errors.tls_failure(cause.reason or cause.__class__.__name__)
        cause = cause.__cause__ or cause.__context__
    if "SSL" in str(exc) or "certificate" in str(exc).lower():
        return errors.tls_failure(str(exc))
    return JsException(errors.CONNECTION_LOST)


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    if headers is None:
        return []
    raw = getattr(headers, "raw_items", None)
    if callable(raw):
        return [(str(k), str(v)) for k, v in raw()]
    if hasattr(headers, "items"):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def _input_body(input: Any) -> Any:
    body = getattr(input, "body", None)
    return body


async def _content(body: Any) -> Any:
    """What httpx sends: bytes for whole bodies, an async iterator of bytes for streams."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, AsyncIterable):
        return _encoded_chunks(body)
    if hasattr(body, "read") and callable(body.read):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable) and not isinstance(body, (dict, list, tuple)):
        return _sync_chunks(body)
    raise TypeError(f"fetch() body of type {body.__class__.__name__} is not supported; pass str, bytes or a stream.")


async def _encoded_chunks(body: AsyncIterable[Any]) -> Any:
    async for chunk in body:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


async def _sync_chunks(body: Iterable[Any]) -> Any:
    for chunk in body:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
