"""JS ``Response`` (``js.Response``) and the SDK's ``workers.Response`` / pyodide ``FetchResponse`` over it."""

from __future__ import annotations

import json
import types
from http.client import HTTPMessage
from typing import Any

from flarebind.runtime.sdk.body import BodyMixin, ReadableStream, SdkBodyReaders, body_from_init
from flarebind.runtime.sdk.headers import Headers, to_http_message

NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class _ClassOrInstance:
    """``Response.json``: a static constructor on the class, the async body parser on an instance.

    ``on_class`` is a plain function bound to the class here (not a ``classmethod`` wrapped again: Python 3.13 removed
    classmethod chaining, so ``classmethod(classmethod(f))`` is no longer callable).
    """

    def __init__(self, on_class: Any, on_instance: Any) -> None:
        self.on_class = on_class.__func__ if isinstance(on_class, classmethod) else on_class
        self.on_instance = on_instance

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return types.MethodType(self.on_class, cls)
        return self.on_instance.__get__(obj, cls)


def _status(value: Any) -> int:
    status = int(value)
    if not 200 <= status <= 599 and status not in (101, 103):
        raise ValueError(f"Response constructor: The status provided ({status}) is outside the range [200, 599].")
    return status


class JsResponse(BodyMixin):
    """A JS ``Response``: ``status``, ``statusText``, ``headers`` (JS :class:`Headers`), ``ok``, body readers."""

    def __init__(
        self,
        body: Any = None,
        *,
        status: Any = 200,
        statusText: str = "",
        headers: Any = None,
        webSocket: Any = None,
        url: str = "",
        redirected: bool = False,
    ) -> None:
        self.status = _status(status or 200)
        self.statusText = statusText or ""
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        raw, content_type = body_from_init(body)
        if raw is not None and self.status in NULL_BODY_STATUSES:
            raise TypeError(f"Response with null body status ({self.status}) cannot have a body.")
        if content_type and not self.headers.has("content-type"):
            self.headers.set("content-type", content_type)
        self._init_body(raw)
        self.webSocket = webSocket
        self.url = url
        self.redirected = redirected
        self.type = "default"

    @classmethod
    def new(cls, body: Any = None, init: Any = None, **kwargs: Any) -> JsResponse:
        if isinstance(body, JsResponse):
            return body.clone()
        options = dict(init.items() if hasattr(init, "items") else (init or {}))
        options.update(kwargs)
        return cls(
            body,
            status=options.get("status", 200),
            statusText=options.get("statusText", ""),
            headers=options.get("headers"),
            webSocket=options.get("webSocket"),
        )

    @classmethod
    def _from_json(cls, data: Any, init: Any = None, **kwargs: Any) -> JsResponse:
        options = dict(init.items() if hasattr(init, "items") else (init or {}))
        options.update(kwargs)
        headers = Headers(options.get("headers"))
        if not headers.has("content-type"):
            headers.set("content-type", "application/json")
        # JSON.stringify: no spaces
        text = json.dumps(_jsonable(data), separators=(",", ":"), ensure_ascii=False)
        return cls(text, status=options.get("status", 200), statusText=options.get("statusText", ""), headers=headers)

    async def _json_body(self, **kwargs: Any) -> Any:
        return await self._json(**kwargs)

    json = _ClassOrInstance(_from_json, _json_body)

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> JsResponse:
        if int(status) not in REDIRECT_STATUSES:
            raise ValueError("Invalid status code")
        return cls(None, status=int(status), headers={"location": str(url)})

    @classmethod
    def error(cls) -> JsResponse:
        response = cls(None, status=200)
        response.status = 0
        response.type = "error"
        return response

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    def clone(self) -> JsResponse:
        clone = JsResponse(None, status=self.status, statusText=self.statusText, headers=Headers(self.headers))
        clone._init_body(self._tee_body())
        clone.url = self.url
        return clone

    @property
    def js_object(self) -> JsResponse:
        return self

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


def _jsonable(data: Any) -> Any:
    to_py = getattr(data, "to_py", None)
    return to_py() if callable(to_py) and not isinstance(data, (dict, list)) else data


class FetchResponse(SdkBodyReaders):
    """pyodide's ``FetchResponse``: the Python view of a JS response (what ``pyfetch`` returns)."""

    def __init__(self, url: str, js_response: JsResponse) -> None:
        self._url = url
        self.js_response = js_response

    @property
    def js_object(self) -> JsResponse:
        return self.js_response

    @property
    def status(self) -> int:
        return self.js_response.status

    @property
    def status_text(self) -> str:
        return self.js_response.statusText

    @property
    def ok(self) -> bool:
        return self.js_response.ok

    @property
    def redirected(self) -> bool:
        return self.js_response.redirected

    @property
    def type(self) -> str:
        return self.js_response.type

    @property
    def url(self) -> str:
        return self.js_response.url or self._url

    @property
    def body_used(self) -> bool:
        return self.js_response.bodyUsed

    @property
    def headers(self) -> Any:
        return dict(self.js_response.headers.items())

    @property
    def body(self) -> ReadableStream | None:
        return self.js_response.body

    string = SdkBodyReaders.text  # older pyodide name

    async def memoryview(self) -> memoryview:
        return memoryview(await self.bytes())

    formData = SdkBodyReaders.form_data

    def clone(self) -> FetchResponse:
        return FetchResponse(self._url, self.js_response.clone())

    def raise_for_status(self) -> None:
        if 400 <= self.status < 600:
            kind = "Client" if self.status < 500 else "Server"
            raise OSError(f"{self.status} {kind} Error: {self.status_text} for url: {self.url}")


_UNSUPPORTED = (dict, list, tuple, bytearray, memoryview)


class Response(FetchResponse):
    """``workers.Response(body=None, status=None, status_text="", headers=None, web_socket=None)``."""

    def __init__(
        self,
        body: Any = None,
        status: Any = None,
        status_text: str = "",
        headers: Any = None,
        web_socket: Any = None,
    ) -> None:
        if isinstance(body, (Response, FetchResponse)):
            body = body.js_object
        if isinstance(body, JsResponse):
            if status is not None or status_text or headers is not None or web_socket is not None:
                raise TypeError("Cannot pass other arguments together with a JS Response body")
            super().__init__(body.url, body)
            return
        if isinstance(body, _UNSUPPORTED):
            raise TypeError(f"Unsupported type in Response: {type(body)}")
        if isinstance(headers, HTTPMessage):
            raise TypeError(f"Unsupported type in Response headers: {type(headers)}")
        js = JsResponse(body, status=status or 200, statusText=status_text, headers=headers, webSocket=web_socket)
        super().__init__("", js)

    @classmethod
    def from_json(cls, data: Any, status: Any = 200, status_text: str = "", headers: Any = None) -> Response:
        js_headers = Headers(headers)
        if not js_headers.has("content-type"):
            js_headers.set("content-type", "application/json")
        # the SDK uses json.dumps with its default separators ('{"a": 1}'), unlike JS
        return cls(json.dumps(_jsonable(data)), status=status, status_text=status_text, headers=js_headers)

    @classmethod
    def _static_json(cls, data: Any, status: Any = 200, status_text: str = "", headers: Any = None) -> Response:
        return cls.from_json(data, status=status, status_text=status_text, headers=headers)

    json = _ClassOrInstance(_static_json, FetchResponse._json_body)  # type: ignore[assignment]

    @staticmethod
    def redirect(url: str, status: int = 302) -> JsResponse:
        # the SDK returns the raw JS response here
        return JsResponse.redirect(url, status)

    @property
    def headers(self) -> HTTPMessage:  # type: ignore[override]
        return to_http_message(self.js_response.headers)

    def replace_body(self, body: Any) -> Response:
        js = JsResponse(
            body, status=self.status, statusText=self.status_text, headers=Headers(self.js_response.headers)
        )
        return Response(js)

    def __repr__(self) -> str:
        return f"<workers.Response {self.status}>"


def as_js_response(value: Any) -> JsResponse:
    """What a handler returned, as the JS response the runtime sends (SDK, pyodide or JS responses)."""
    if isinstance(value, JsResponse):
        return value
    if isinstance(value, FetchResponse):
        return value.js_response
    raise TypeError(f"Incorrect type: the fetch handler did not return a Response object (got {type(value).__name__})")
