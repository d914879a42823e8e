"""``HTMLRewriter`` on lol-html (the engine Cloudflare's HTMLRewriter runs on), through ``python-lolhtml``.

Two faces, as on Cloudflare: the JS class (``from js import HTMLRewriter``; ``HTMLRewriter.new().on(sel, handler)
.onDocument(handler).transform(js_response)``) and the Python SDK's (``from workers import HTMLRewriter``;
``HTMLRewriter().on(...).on_document(...).transform(workers_response)``). Handlers are objects with ``element`` /
``comments`` / ``text`` (and for documents ``doctype`` / ``end``) methods; they receive objects with the JS API
(``getAttribute``, ``setAttribute``, ``prepend(content, {"html": True})`` or ``html=True``, ``remove()``, …).

The body is rewritten as it streams: each input chunk is written to lol-html and what it has emitted so far is
passed on. Handlers run synchronously inside lol-html's callbacks; an ``async`` handler is a clear error (not
simulated yet).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

ELEMENT_METHODS = ("element", "comments", "text")
DOCUMENT_METHODS = ("doctype", "comments", "text", "end")


def _content_type(options: Any, kwargs: dict[str, Any]) -> Any:
    import lolhtml

    html = kwargs.get("html")
    if html is None and options is not None:
        html = options.get("html") if hasattr(options, "get") else getattr(options, "html", None)
    return lolhtml.ContentType.HTML if html else lolhtml.ContentType.TEXT


class _Content:
    """before/after/replace/remove shared by elements, text chunks, comments and end tags."""

    _raw: Any

    def before(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        self._raw.before(str(content), _content_type(options, kwargs))
        return self

    def after(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        self._raw.after(str(content), _content_type(options, kwargs))
        return self

    def replace(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        if hasattr(self._raw, "replace"):
            self._raw.replace(str(content), _content_type(options, kwargs))
        else:  # lol-html's replace = insert before, then remove
            self._raw.before(str(content), _content_type(options, kwargs))
            self._raw.remove()
        return self

    def remove(self) -> _Content:
        self._raw.remove()
        return self

    @property
    def removed(self) -> bool:
        return bool(self._raw.removed)


class Element(_Content):
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def tagName(self) -> str:
        return str(self._raw.tag_name)

    @tagName.setter
    def tagName(self, value: str) -> None:
        self._raw.tag_name = value

    tag_name = tagName

    @property
    def namespaceURI(self) -> str:
        return str(self._raw.namespace_uri)

    @property
    def attributes(self) -> list[list[str]]:
        # JS: an iterator of [name, value] pairs
        return [[name, value] for name, value in self._raw.attributes]

    def getAttribute(self, name: str) -> str | None:
        return self._raw.get_attribute(name)

    def hasAttribute(self, name: str) -> bool:
        return bool(self._raw.has_attribute(name))

    def setAttribute(self, name: str, value: Any) -> Element:
        self._raw.set_attribute(name, str(value))
        return self

    def removeAttribute(self, name: str) -> Element:
        self._raw.remove_attribute(name)
        return self

    def prepend(self, content: str, options: Any = None, **kwargs: Any) -> Element:
        self._raw.prepend(str(content), _content_type(options, kwargs))
        return self

    def append(self, content: str, options: Any = None, **kwargs: Any) -> Element:
        self._raw.append(str(content), _content_type(options, kwargs))
        return self

    def setInnerContent(self, content: str, options: Any = None, **kwargs: Any) -> Element:
        self._raw.set_inner_content(str(content), _content_type(options, kwargs))
        return self

    def removeAndKeepContent(self) -> Element:
        self._raw.remove_and_keep_content()
        return self

    def onEndTag(self, handler: Any) -> None:
        raise NotImplementedError(
            "Element.onEndTag() is not simulated by flarebind (python-lolhtml does not expose end-tag handlers)"
        )

    get_attribute, has_attribute, set_attribute, remove_attribute = (
        getAttribute,
        hasAttribute,
        setAttribute,
        removeAttribute,
    )
    set_inner_content, remove_and_keep_content = setInnerContent, removeAndKeepContent


class Text(_Content):
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def text(self) -> str:
        return str(self._raw.text)

    @property
    def lastInTextNode(self) -> bool:
        return bool(self._raw.last_in_text_node)

    last_in_text_node = lastInTextNode


class Comment(_Content):
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def text(self) -> str:
        return str(self._raw.text)

    @text.setter
    def text(self, value: str) -> None:
        self._raw.text = value


class Doctype:
    def __init__(self, raw: Any) -> None:
        self.name = raw.name
        self.publicId = raw.public_id
        self.systemId = raw.system_id
        self.public_id, self.system_id = self.publicId, self.systemId


class DocumentEnd:
    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def append(self, content: str, options: Any = None, **kwargs: Any) -> DocumentEnd:
        self._raw.append(str(content), _content_type(options, kwargs))
        return self


_WRAPPERS = {"element": Element, "text": Text, "comments": Comment, "doctype": Doctype, "end": DocumentEnd}


def _adapter(handler: Any, methods: tuple[str, ...]) -> Any:
    """An object lol-html calls, forwarding to the user's handler with JS-API wrappers."""

    class Adapter:
        pass

    adapter = Adapter()
    for name in methods:
        fn = getattr(handler, name, None)
        if fn is None and isinstance(handler, dict):
            fn = handler.get(name)
        if fn is None:
            continue

        def call(raw: Any, _fn: Any = fn, _name: str = name) -> None:
            result = _fn(_WRAPPERS[_name](raw))
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise NotImplementedError(
                    f"HTMLRewriter: the {_name}() handler is async; flarebind runs HTMLRewriter handlers "
                    "synchronously (async handlers are not simulated yet): make it a plain def"
                )

        setattr(adapter, name, call)
    return adapter


class JsHTMLRewriter:
    """The JS ``HTMLRewriter`` (``HTMLRewriter.new()``)."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, str | None, Any]] = []

    @classmethod
    def new(cls) -> JsHTMLRewriter:
        return cls()

    def on(self, selector: str, handlers: Any) -> JsHTMLRewriter:
        self._handlers.append(("element", str(selector), _unproxy(handlers)))
        return self

    def onDocument(self, handlers: Any) -> JsHTMLRewriter:
        self._handlers.append(("document", None, _unproxy(handlers)))
        return self

    on_document = onDocument

    def _build(self, sink: Any) -> Any:
        import lolhtml

        rewriter = lolhtml.HTMLRewriter(sink)
        for kind, selector, handler in self._handlers:
            if kind == "element":
                try:
                    rewriter.on(selector, _adapter(handler, ELEMENT_METHODS))
                except Exception as exc:
                    raise TypeError(f"Parser error: {exc}") from None  # an invalid selector, as workerd words it
            else:
                rewriter.on_document(_adapter(handler, DOCUMENT_METHODS))
        return rewriter

    async def _rewrite(self, source: Any) -> AsyncIterator[bytes]:
        out: list[bytes] = []
        rewriter = self._build(lambda chunk: out.append(bytes(chunk)))
        if source is not None:
            async for chunk in source:
                rewriter.write(bytes(chunk))
                if out:
                    data, out[:] = b"".join(out), []
                    yield data
        rewriter.end()
        if out:
            yield b"".join(out)

    def transform(self, response: Any) -> Any:
        from flarebind.runtime.sdk.body import ReadableStream
        from flarebind.runtime.sdk.response import JsResponse

        js = getattr(response, "js_object", response)
        if not isinstance(js, JsResponse):
            raise TypeError("HTMLRewriter.transform() expects a Response")
        self._build(lambda chunk: None)  # invalid selectors raise here, when transform() is called
        headers = [(k, v) for k, v in js.headers.raw_items() if k.lower() != "content-length"]
        body = js.body
        return JsResponse(
            ReadableStream(self._rewrite(body)) if body is not None else None,
            status=js.status,
            statusText=js.statusText,
            headers=headers,
        )


class HTMLRewriter(JsHTMLRewriter):
    """The Python SDK's ``workers.HTMLRewriter``: ``HTMLRewriter()``, ``on``, ``on_document``, ``transform(Response)``
    returning a ``workers.Response``."""

    def transform(self, response: Any) -> Any:
        from flarebind.runtime.sdk.response import Response

        return Response(super().transform(response))


def _unproxy(value: Any) -> Any:
    # create_proxy(handler) keeps the object it wraps here
    inner = getattr(value, "_flarebind_proxied", None)
    return inner if inner is not None else value
