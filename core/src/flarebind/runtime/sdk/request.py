"""JS ``Request`` (``js.Request``, legacy handlers) and the SDK's ``workers.Request`` wrapper around it."""

from __future__ import annotations

import enum
from http.client import HTTPMessage
from typing import Any

from flarebind.runtime.sdk.body import BodyMixin, ReadableStream, SdkBodyReaders, body_from_init
from flarebind.runtime.sdk.headers import Headers, to_http_message

try:  # Python 3.11+
    from http import HTTPMethod  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10

    class HTTPMethod(str, enum.Enum):  # type: ignore[no-redef]
        CONNECT = "CONNECT"
        DELETE = "DELETE"
        GET = "GET"
        HEAD = "HEAD"
        OPTIONS = "OPTIONS"
        PATCH = "PATCH"
        POST = "POST"
        PUT = "PUT"
        TRACE = "TRACE"

        def __str__(self) -> str:
            return self.value


_NORMALISED_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}


class JsRequest(BodyMixin):
    """A JS ``Request``: ``url``, ``method``, ``headers`` (JS :class:`Headers`), ``cf``, async body readers."""

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Any = None,
        body: Any = None,
        cf: Any = None,
        redirect: str = "follow",
    ) -> None:
        self.url = str(url)
        method = str(method)
        # JS upper-cases only the standard methods; "patch" stays "patch"
        self.method = method.upper() if method.upper() in _NORMALISED_METHODS else method
        self.headers = Headers(headers)
        raw, content_type = body_from_init(body)
        if raw is not None and self.method in ("GET", "HEAD"):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")
        if content_type and not self.headers.has("content-type"):
            self.headers.set("content-type", content_type)
        self._init_body(raw)
        self.cf = cf
        self.redirect = redirect

    @classmethod
    def new(cls, input: Any, init: Any = None, **kwargs: Any) -> JsRequest:
        options = init_options(init)
        options.update(kwargs)
        if isinstance(input, Request):
            input = input.js_object
        if isinstance(input, JsRequest):
            base = {
                "method": input.method,
                "headers": Headers(input.headers),
                "body": input._tee_body(),
                "cf": input.cf,
                "redirect": input.redirect,
            }
            base.update(options)
            return cls(input.url, **_request_kwargs(base))
        return cls(str(input), **_request_kwargs(options))

    async def json(self, **kwargs: Any) -> Any:
        return await self._json(**kwargs)

    def clone(self) -> JsRequest:
        return JsRequest(
            self.url,
            method=self.method,
            headers=Headers(self.headers),
            body=self._tee_body(),
            cf=self.cf,
            redirect=self.redirect,
        )

    @property
    def js_object(self) -> JsRequest:
        return self

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


def init_options(init: Any) -> dict[str, Any]:
    """A JS ``RequestInit``: a mapping, or another request whose method, headers and body are copied
    (``new Request(url, request)`` / ``fetch(url, request)``)."""
    if init is None:
        return {}
    if isinstance(init, Request):
        init = init.js_object
    if isinstance(init, JsRequest):
        return {
            "method": init.method,
            "headers": Headers(init.headers),
            "body": init._tee_body(),
            "redirect": init.redirect,
            "cf": init.cf,
        }
    return dict(init.items() if hasattr(init, "items") else init)


def _request_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    allowed = {"method", "headers", "body", "cf", "redirect"}
    return {k: v for k, v in options.items() if k in allowed}


class Request(SdkBodyReaders):
    """``workers.Request``: the SDK view of a JS request (``method`` as ``HTTPMethod``, headers as ``HTTPMessage``)."""

    def __init__(self, input: Any, **kwargs: Any) -> None:
        if isinstance(input, JsRequest):
            if kwargs:
                raise ValueError("Cannot pass fetch options when constructing a Request from a JS Request")
            self._js_request = input
        elif isinstance(input, Request):
            self._js_request = JsRequest.new(input.js_object, kwargs)
        else:
            self._js_request = JsRequest.new(str(input), kwargs)
        self._preserve_commas = True

    @property
    def js_object(self) -> JsRequest:
        return self._js_request

    @property
    def url(self) -> str:
        return self._js_request.url

    @property
    def method(self) -> Any:
        method = self._js_request.method
        try:
            return HTTPMethod(method)
        except ValueError:
            return method

    @property
    def headers(self) -> HTTPMessage:
        # rebuilt on every access, as in the SDK: mutating it changes nothing
        return to_http_message(self._js_request.headers, preserve_commas=self._preserve_commas)

    @property
    def body(self) -> ReadableStream | None:
        return self._js_request.body

    @property
    def body_used(self) -> bool:
        return self._js_request.bodyUsed

    @property
    def cf(self) -> Any:
        return self._js_request.cf

    @property
    def redirect(self) -> str:
        return self._js_request.redirect

    def clone(self) -> Request:
        return Request(self._js_request.clone())

    def __repr__(self) -> str:
        return f"<workers.Request {self._js_request.method} {self.url}>"
