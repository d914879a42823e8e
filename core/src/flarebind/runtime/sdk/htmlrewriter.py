"""``HTMLRewriter`` on lol-html (the engine Cloudflare's HTMLRewriter runs on), through ``python-lolhtml``.

Two faces, as on Cloudflare: the JS class (``from js import HTMLRewriter``; ``HTMLRewriter.new().on(sel, handler)
.onDocument(handler).transform(js_response)``) and the Python SDK's (``from workers import HTMLRewriter``;
``HTMLRewriter().on(...).on_document(...).transform(workers_response)``). Handlers are objects with ``element`` /
``comments`` / ``text`` (and for documents ``doctype`` / ``end``) methods; they receive objects with the JS API
(``getAttribute``, ``setAttribute``, ``prepend(content, {"html": True})`` or ``html=True``, ``remove()``, …).

The body is rewritten as it streams: each input chunk is written to lol-html and what it has emitted so far is
passed on.

Async handlers (an ``async def``, or a handler returning any awaitable, as a JS handler returns a Promise) are awaited
before lol-html goes on, as Cloudflare does: lol-html's ``write()`` runs in a greenlet (``_Pass.step``); a handler's
awaitable is handed to the event loop's task, which awaits it and resumes lol-html inside that same callback. The
event loop is never blocked and the element stays valid while its handler awaits.

``element.onEndTag(handler)``: python-lolhtml does not expose lol-html's end-tag handlers, so an end tag is found in
lol-html's output instead. ``onEndTag`` appends a marker comment (unique per rewriter) as the element's last
content; lol-html emits it, then any content appended later, then the end tag, all while it processes that end tag,
so the handler runs at the same point of the parse as on Cloudflare (before later elements' handlers). It gets an
``EndTag`` (``name`` read/write, ``before``, ``after``, ``remove``) and the marker never reaches the output. An
element without an end tag in the source (``<p>`` closed implicitly, ``removeAndKeepContent()``, a removed
element) has no end-tag handler call, as with lol-html.
"""

from __future__ import annotations

import inspect
import itertools
import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

ELEMENT_METHODS = ("element", "comments", "text")
DOCUMENT_METHODS = ("doctype", "comments", "text", "end")


def _content_type(options: Any, kwargs: dict[str, Any]) -> Any:
    import lolhtml

    html = kwargs.get("html")
    if html is None and options is not None:
        html = options.get("html") if hasattr(options, "get") else getattr(options, "html", None)
    return lolhtml.ContentType.HTML if html else lolhtml.ContentType.TEXT


def _text(content: Any) -> str:
    """Content for before/after/append/…: a string. Cloudflare also takes a ReadableStream or Response (streamed
    content); that is not simulated, so it is a clear error rather than the object's repr in the page."""
    if isinstance(content, str):
        return content
    from flarebind.runtime.sdk.body import ReadableStream
    from flarebind.runtime.sdk.response import JsResponse, Response

    if isinstance(content, (ReadableStream, JsResponse, Response)) or hasattr(content, "getReader"):
        raise TypeError(
            "HTMLRewriter: streamed content (a ReadableStream or Response) is not simulated by flarebind; pass the "
            "content as a string (e.g. await response.text())"
        )
    return str(content)


class _Content:
    """before/after/replace/remove shared by elements, text chunks, comments and end tags."""

    _raw: Any

    def before(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        self._raw.before(_text(content), _content_type(options, kwargs))
        return self

    def after(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        self._raw.after(_text(content), _content_type(options, kwargs))
        return self

    def replace(self, content: str, options: Any = None, **kwargs: Any) -> _Content:
        if hasattr(self._raw, "replace"):
            self._raw.replace(_text(content), _content_type(options, kwargs))
        else:  # lol-html's replace = insert before, then remove
            self._raw.before(_text(content), _content_type(options, kwargs))
            self._raw.remove()
        return self

    def remove(self) -> _Content:
        self._raw.remove()
        return self

    @property
    def removed(self) -> bool:
        return bool(self._raw.removed)


# elements that never have an end tag: onEndTag on them is an error, as lol-html's "No end tag."
VOID_ELEMENTS = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr".split()  # noqa: SIM905
)


def _escape(text: str) -> str:
    # lol-html's escaping of text content (quotes are left alone outside attributes)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _as_content(content: Any, options: Any, kwargs: dict[str, Any]) -> str:
    import lolhtml

    text = _text(content)
    return text if _content_type(options, kwargs) is lolhtml.ContentType.HTML else _escape(text)


class EndTag:
    """What an ``onEndTag`` handler gets: the element's end tag as emitted (``name``, ``before``, ``after``,
    ``remove``)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._renamed = False
        self._before: list[str] = []
        self._after: list[str] = []
        self._removed = False

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)
        self._renamed = True

    def before(self, content: str, options: Any = None, **kwargs: Any) -> EndTag:
        self._before.append(_as_content(content, options, kwargs))
        return self

    def after(self, content: str, options: Any = None, **kwargs: Any) -> EndTag:
        # lol-html inserts each `after` right after the tag, so the last call ends up first
        self._after.insert(0, _as_content(content, options, kwargs))
        return self

    def remove(self) -> EndTag:
        self._removed = True
        return self

    def render(self, raw: bytes) -> bytes:
        tag = b"" if self._removed else (f"</{self._name}>".encode() if self._renamed else raw)
        return "".join(self._before).encode() + tag + "".join(self._after).encode()


class Element(_Content):
    def __init__(self, raw: Any, rewrite: _Pass | None = None) -> None:
        self._raw = raw
        self._pass = rewrite
        self._markers: list[str] = []
        self._records: list[list[Any]] = []

    @property
    def tagName(self) -> str:
        return str(self._raw.tag_name)

    @tagName.setter
    def tagName(self, value: str) -> None:
        self._raw.tag_name = value
        for record in self._records:  # lol-html renames the end tag too
            record[1] = str(value).lower()

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
        self._raw.prepend(_text(content), _content_type(options, kwargs))
        return self

    def append(self, content: str, options: Any = None, **kwargs: Any) -> Element:
        self._raw.append(_text(content), _content_type(options, kwargs))
        return self

    def setInnerContent(self, content: str, options: Any = None, **kwargs: Any) -> Element:
        import lolhtml

        self._raw.set_inner_content(_text(content), _content_type(options, kwargs))
        for marker in self._markers:  # set_inner_content drops appended content: end-tag markers go back in
            self._raw.append(marker, lolhtml.ContentType.HTML)
        return self

    def removeAndKeepContent(self) -> Element:
        self._raw.remove_and_keep_content()
        return self

    def onEndTag(self, handler: Any) -> None:
        import lolhtml

        if self._pass is None:
            raise TypeError("onEndTag() can only be called inside an HTMLRewriter element handler")
        if self.tagName.lower() in VOID_ELEMENTS:
            raise TypeError("Parser error: No end tag.")
        record = [_unproxy(handler), self.tagName.lower()]  # the end tag's expected name (renames update it)
        self._records.append(record)
        marker = self._pass.end_tags.register(record)
        self._markers.append(marker)
        self._raw.append(marker, lolhtml.ContentType.HTML)

    on_end_tag = onEndTag

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
        self._raw.append(_text(content), _content_type(options, kwargs))
        return self


_WRAPPERS: dict[str, Callable[..., Any]] = {
    "text": Text,
    "comments": Comment,
    "doctype": Doctype,
    "end": DocumentEnd,
}


def _adapter(handler: Any, methods: tuple[str, ...], rewrite: _Pass | None) -> Any:
    """An object lol-html calls, forwarding to the user's handler with JS-API wrappers (awaiting what it returns)."""

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
            wrapped = Element(raw, rewrite) if _name == "element" else _WRAPPERS[_name](raw)
            try:
                result = _fn(wrapped)
                if inspect.isawaitable(result):
                    _await_in_handler(result, _name, wrapped)
            except BaseException as exc:
                # python-lolhtml turns it into RuntimeError("Content handler error: ..."): the reader gets this one
                if rewrite is not None:
                    rewrite.error = exc
                raise

        setattr(adapter, name, call)
    return adapter


_REWRITER_GREENLET = "_flarebind_htmlrewriter"
_SUSPENDED = "_flarebind_suspended"


class _Owned:
    """A python-lolhtml object whose methods run in the greenlet inside whose callback it was given.

    python-lolhtml only applies an edit made from that greenlet (one made from the event loop's greenlet while the
    handler awaits is silently lost), so a call from elsewhere is sent to the suspended callback (``_on_owner``)."""

    __slots__ = ("_obj", "_owner")

    def __init__(self, obj: Any, owner: Any) -> None:
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_owner", owner)

    def __getattr__(self, name: str) -> Any:
        owner = self._owner
        value = _on_owner(owner, getattr, self._obj, name)
        if callable(value):
            return lambda *args: _on_owner(owner, value, *args)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        _on_owner(self._owner, setattr, self._obj, name, value)


def _on_owner(owner: Any, fn: Callable[..., Any], *args: Any) -> Any:
    from greenlet import getcurrent

    current = getcurrent()
    if current is owner or owner.dead or not getattr(owner, _SUSPENDED, False):
        return fn(*args)
    kind, value = owner.switch(("call", fn, args, current))
    if kind == "err":
        raise value
    return value


def _await_in_handler(awaitable: Any, what: str, wrapped: Any = None) -> Any:
    """Suspend lol-html (inside its callback) until the event loop has awaited ``awaitable``; its result.

    While suspended, ``wrapped``'s lol-html object is an ``_Owned`` proxy, so the awaiting code's calls on it run
    here (``_on_owner``); outside an await the wrappers call python-lolhtml directly."""
    from greenlet import getcurrent

    current = getcurrent()
    if not getattr(current, _REWRITER_GREENLET, False) or current.parent is None:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        raise RuntimeError(f"HTMLRewriter: the {what}() handler returned an awaitable outside a transform() stream")
    raw = getattr(wrapped, "_raw", None)
    if raw is not None:
        wrapped._raw = _Owned(raw, current)
    setattr(current, _SUSPENDED, True)
    try:
        message = current.parent.switch(("await", awaitable))
        while message[0] == "call":
            _, fn, args, caller = message
            try:
                reply: tuple[str, Any] = ("ok", fn(*args))
            except BaseException as exc:
                reply = ("err", exc)
            message = caller.switch(reply)
    finally:
        setattr(current, _SUSPENDED, False)
        if raw is not None:
            wrapped._raw = raw
    kind, value = message
    if kind == "raise":
        raise value
    return value


class _EndTags:
    """End-tag handlers, found by their marker in lol-html's output (see the module docstring)."""

    _END_TAG = re.compile(rb"</([^\s/>]+)[^>]*>")
    _END_TAG_START = re.compile(rb"<(/[^>]*)?")

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit
        self._nonce = secrets.token_hex(8)
        self._marker = re.compile(rf"<!--flarebind-end-tag-{self._nonce}-(\d+)-->".encode())
        self._handlers: dict[int, Any] = {}
        self._keys = itertools.count()  # never reused: a marker that never reaches the output keeps its entry
        self.error: BaseException | None = None  # what an end-tag handler raised
        self._waiting: list[Any] = []  # handlers whose end tag comes next
        self._held: list[bytes] = []  # content appended after a marker, emitted before the end tag
        self._partial = b""
        self.active = False  # an end tag is awaited: the output goes through sink(); else straight out

    def register(self, handler: Any) -> str:
        key = next(self._keys)
        self._handlers[key] = handler
        self.active = True
        return f"<!--flarebind-end-tag-{self._nonce}-{key}-->"

    def sink(self, chunk: bytes) -> None:
        self._sink(chunk)
        self.active = bool(self._handlers or self._waiting or self._partial)

    def _sink(self, chunk: bytes) -> None:
        if self._partial:  # an end tag lol-html emitted in pieces (`</`, `section`, `>` after a rename)
            chunk, self._partial = self._partial + chunk, b""
        while chunk:
            if self._waiting:
                if self._END_TAG_START.fullmatch(chunk):
                    self._partial = chunk
                    return
                tag = self._END_TAG.match(chunk)
                if tag is not None:
                    name = tag.group(1).decode("utf-8", "replace").lower()
                    if name == self._waiting[0][1]:
                        self._end_tag(tag.group(0), name)
                        chunk = chunk[tag.end() :]
                        continue
                    # another element's end tag: ours was implied (lol-html emits the appended content, no end tag)
                    self.settle()
            found = self._marker.search(chunk)
            if found is None:
                self._put(chunk)
                return
            if found.start():
                self._put(chunk[: found.start()])
            self._waiting.append(self._handlers.pop(int(found.group(1))))
            chunk = chunk[found.end() :]

    def _put(self, data: bytes) -> None:
        if self._waiting:
            self._held.append(data)
        else:
            self._emit(data)

    def _end_tag(self, raw: bytes, name: str) -> None:
        records, self._waiting = self._waiting, []
        held, self._held = self._held, []
        end = EndTag(name)
        for handler, _ in records:
            try:
                result = handler(end)
                if inspect.isawaitable(result):
                    _await_in_handler(result, "onEndTag")
            except BaseException as exc:  # re-raised as itself by _Pass.step (python-lolhtml wraps sink errors)
                self.error = exc
                raise
        self._emit(b"".join(held) + end.render(raw))

    def settle(self) -> None:
        """After a write(): a marker whose end tag did not follow (the element lost its end tag) is dropped."""
        if self._waiting or self._held or self._partial:
            self._waiting = []
            held, self._held = [*self._held, self._partial], []
            self._partial = b""
            if held:
                self._emit(b"".join(held))


class _Pass:
    """One transform()'s rewriting: lol-html, its output, and the greenlet that lets handlers await."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.end_tags = _EndTags(self.out.append)
        self.error: BaseException | None = None  # what a handler raised, re-raised as itself by step()
        out, end_tags = self.out, self.end_tags

        def sink(chunk: Any) -> None:  # lol-html calls it for every piece of output: kept short
            if end_tags.active:
                end_tags.sink(bytes(chunk))
            else:
                out.append(bytes(chunk))

        self.sink = sink

    async def step(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (lol-html's write or end) so that a handler may await: each awaitable it hands over is
        awaited here, on the event loop, and its result (or exception) sent back into the handler."""
        from greenlet import getcurrent, greenlet

        def run() -> tuple[str, Any]:
            fn(*args)
            self.end_tags.settle()
            return ("done", None)

        child = greenlet(run)
        setattr(child, _REWRITER_GREENLET, True)
        child.gr_context = getcurrent().gr_context  # the handler sees the request's context variables
        try:
            kind, value = child.switch()
            while kind == "await":
                try:
                    result = await value
                except BaseException as exc:  # the handler gets the exception where it awaited
                    kind, value = child.switch(("raise", exc))
                else:
                    kind, value = child.switch(("value", result))
        except Exception:
            error = self.error or self.end_tags.error
            if error is not None:
                raise error from None
            raise
        if self.end_tags.error is not None:  # python-lolhtml ignores an exception raised in its output sink
            raise self.end_tags.error


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

    def _build(self, sink: Any, rewrite: _Pass | None = None) -> Any:
        import lolhtml

        rewriter = lolhtml.HTMLRewriter(sink)
        for kind, selector, handler in self._handlers:
            if kind == "element":
                try:
                    rewriter.on(selector, _adapter(handler, ELEMENT_METHODS, rewrite))
                except Exception as exc:
                    raise TypeError(f"Parser error: {exc}") from None  # an invalid selector, as workerd words it
            else:
                rewriter.on_document(_adapter(handler, DOCUMENT_METHODS, rewrite))
        return rewriter

    async def _rewrite(self, source: Any) -> AsyncIterator[bytes]:
        rewrite = _Pass()
        out = rewrite.out
        rewriter = self._build(rewrite.sink, rewrite)
        if source is not None:
            async for chunk in source:
                await rewrite.step(rewriter.write, bytes(chunk))
                if out:
                    data, out[:] = b"".join(out), []
                    yield data
        await rewrite.step(rewriter.end)
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
