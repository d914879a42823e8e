"""HTMLRewriter: async handlers (awaited before lol-html goes on, without blocking the event loop) and
`element.onEndTag` (name, before/after/remove, its place in the parse), on real HTML streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from flarebind.runtime.sdk.body import ReadableStream
from flarebind.runtime.sdk.htmlrewriter import HTMLRewriter, JsHTMLRewriter
from flarebind.runtime.sdk.response import JsResponse, Response


def stream(*chunks: str) -> ReadableStream:
    async def gen() -> AsyncIterator[bytes]:
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk.encode()

    return ReadableStream(gen())


async def rewrite(rewriter: JsHTMLRewriter, *chunks: str) -> str:
    text = await rewriter.transform(JsResponse(stream(*chunks))).text()
    assert "flarebind-end-tag" not in text  # the end-tag markers never reach the output
    return text


# -- async handlers ------------------------------------------------------------------------------------------------


async def test_async_element_handler_is_awaited_before_the_stream_goes_on() -> None:
    seen: list[str] = []

    class Slow:
        async def element(self, el):
            n = el.getAttribute("n")
            seen.append(f"start {n}")
            await asyncio.sleep(0.01 if n == "1" else 0)  # the first one is slower: order must still hold
            el.setAttribute("data-done", n)  # the element is still editable after the await
            seen.append(f"end {n}")

    out = await rewrite(JsHTMLRewriter.new().on("p", Slow()), '<p n="1">a</p><p n="2">b</p>')
    assert out == '<p n="1" data-done="1">a</p><p n="2" data-done="2">b</p>'
    assert seen == ["start 1", "end 1", "start 2", "end 2"]


async def test_the_event_loop_runs_while_a_handler_waits() -> None:
    released = asyncio.Event()
    ticks: list[int] = []

    async def other_task() -> None:
        for i in range(3):
            ticks.append(i)
            await asyncio.sleep(0)
        released.set()

    class Waits:
        async def element(self, el):
            await released.wait()  # only another task on the same loop can set it
            el.setInnerContent(f"after {len(ticks)} ticks")

    task = asyncio.ensure_future(other_task())
    out = await rewrite(JsHTMLRewriter.new().on("span", Waits()), "<span>x</span>")
    await task
    assert out == "<span>after 3 ticks</span>"


async def test_a_plain_def_returning_an_awaitable_is_awaited_like_a_promise() -> None:
    async def later(el):
        await asyncio.sleep(0)
        el.append("!", html=False)

    class PromiseStyle:
        def element(self, el):
            return later(el)

    assert await rewrite(JsHTMLRewriter.new().on("b", PromiseStyle()), "<b>hey</b>") == "<b>hey!</b>"


async def test_async_text_comment_and_document_handlers() -> None:
    class Body:
        async def text(self, t):
            await asyncio.sleep(0)
            if t.text:
                t.replace(t.text.upper())

        async def comments(self, c):
            await asyncio.sleep(0)
            c.text = " changed "

    class Doc:
        async def end(self, end):
            await asyncio.sleep(0)
            end.append("<!--end-->", html=True)

    out = await rewrite(JsHTMLRewriter.new().on("body", Body()).onDocument(Doc()), "<body>he", "llo<!-- c --></body>")
    assert out == "<body>HELLO<!-- changed --></body><!--end-->"


async def test_an_error_after_an_await_reaches_the_reader() -> None:
    class Fails:
        async def element(self, el):
            await asyncio.sleep(0)
            raise ValueError("handler failed")

    with pytest.raises(Exception, match="handler failed"):
        await rewrite(JsHTMLRewriter.new().on("p", Fails()), "<p>x</p>")


async def test_an_awaited_exception_is_raised_inside_the_handler() -> None:
    async def boom() -> None:
        await asyncio.sleep(0)
        raise KeyError("k")

    class Catches:
        async def element(self, el):
            try:
                await boom()
            except KeyError:
                el.setAttribute("caught", "yes")

    assert await rewrite(JsHTMLRewriter.new().on("i", Catches()), "<i>x</i>") == '<i caught="yes">x</i>'


async def test_sdk_class_with_async_handlers() -> None:
    class Title:
        async def element(self, el):
            await asyncio.sleep(0)
            el.setInnerContent("T")

    out = HTMLRewriter().on("title", Title()).transform(Response("<title>x</title>"))
    assert await out.text() == "<title>T</title>"


# -- onEndTag ------------------------------------------------------------------------------------------------------


async def test_end_tag_before_after_and_name() -> None:
    class Wrap:
        def element(self, el):
            def end(tag):
                assert tag.name == "div"
                tag.before("<i>in</i>", {"html": True})
                tag.after("<after>", html=False)

            el.onEndTag(end)

    out = await rewrite(JsHTMLRewriter.new().on("div", Wrap()), "<div>x</div><p>y</p>")
    assert out == "<div>x<i>in</i></div>&lt;after&gt;<p>y</p>"


async def test_end_tag_rename_and_remove() -> None:
    class Edit:
        def element(self, el):
            if el.getAttribute("id") == "rename":
                el.onEndTag(lambda tag: setattr(tag, "name", "section"))
            else:
                el.onEndTag(lambda tag: tag.remove())

    out = await rewrite(JsHTMLRewriter.new().on("div", Edit()), '<div id="rename">a</div ><div>b</DIV>')
    assert out == '<div id="rename">a</section><div>b'


async def test_end_tag_handler_runs_where_the_end_tag_is_in_the_parse() -> None:
    order: list[str] = []

    class Div:
        def element(self, el):
            order.append("<div>")
            el.onEndTag(lambda tag: order.append(f"</{tag.name}>"))

    class P:
        def element(self, el):
            order.append("<p>")

    rewriter = JsHTMLRewriter.new().on("div", Div()).on("p", P())
    await rewrite(rewriter, "<div><p>a</p></div><p>b</p>")
    assert order == ["<div>", "<p>", "</div>", "<p>"]


async def test_text_inside_an_element_until_its_end_tag() -> None:
    # the common pattern: a flag set by the element handler and cleared by its end tag
    state = {"inside": False, "text": ""}

    class H1:
        def element(self, el):
            state["inside"] = True

            def leave(tag):
                state["inside"] = False

            el.onEndTag(leave)

    class Doc:
        def text(self, t):
            if state["inside"]:
                state["text"] += t.text

    await rewrite(JsHTMLRewriter.new().on("h1", H1()).onDocument(Doc()), "<h1>Hel", "lo</h1><p>not this</p>")
    assert state["text"] == "Hello"


async def test_async_end_tag_handler_and_appended_content_order() -> None:
    class Both:
        def element(self, el):
            async def end(tag):
                await asyncio.sleep(0)
                tag.before("[end-before]")

            el.onEndTag(end)
            el.append("[appended]")  # appended after onEndTag: still before the end tag's own content

    out = await rewrite(JsHTMLRewriter.new().on("ul", Both()), "<ul><li>1</li></u", "l>tail")
    assert out == "<ul><li>1</li>[appended][end-before]</ul>tail"


async def test_set_inner_content_keeps_the_end_tag_handler() -> None:
    class Replace:
        def element(self, el):
            el.onEndTag(lambda tag: tag.after("!"))
            el.setInnerContent("new")

    assert await rewrite(JsHTMLRewriter.new().on("b", Replace()), "<b>old</b>") == "<b>new</b>!"


async def test_no_end_tag_in_the_source_means_no_call() -> None:
    calls: list[str] = []

    class P:
        def element(self, el):
            el.onEndTag(lambda tag: calls.append(tag.name))

    out = await rewrite(JsHTMLRewriter.new().on("p", P()), "<div><p>one<p>two</div>")
    assert out == "<div><p>one<p>two</div>"
    assert calls == []


async def test_on_end_tag_of_a_void_element_is_a_type_error() -> None:
    class Img:
        def element(self, el):
            el.onEndTag(lambda tag: None)

    with pytest.raises(TypeError, match="No end tag"):
        await rewrite(JsHTMLRewriter.new().on("img", Img()), '<img src="x">')


async def test_renamed_element_end_tag_has_the_new_name() -> None:
    names: list[str] = []

    class Rename:
        def element(self, el):
            el.onEndTag(lambda tag: names.append(tag.name))
            el.tagName = "section"

    out = await rewrite(JsHTMLRewriter.new().on("div", Rename()), "<div>x</div>")
    assert out == "<section>x</section>"
    assert names == ["section"]


async def test_an_error_keeps_its_type() -> None:
    class Img:
        def element(self, el):
            raise LookupError("mine")

    with pytest.raises(LookupError, match="mine"):
        await rewrite(JsHTMLRewriter.new().on("img", Img()), '<img src="x">')


async def test_an_end_tag_handler_error_keeps_its_type() -> None:
    class Div:
        def element(self, el):
            async def end(tag):
                await asyncio.sleep(0)
                raise PermissionError("end tag refused")

            el.onEndTag(end)

    with pytest.raises(PermissionError, match="end tag refused"):
        await rewrite(JsHTMLRewriter.new().on("div", Div()), "<div>x</div>")


async def test_nested_and_sibling_end_tags_each_get_their_own_handler() -> None:
    seen: list[str] = []

    class Any_:
        def element(self, el):
            label = el.getAttribute("id")
            el.onEndTag(lambda tag: seen.append(f"{label}:{tag.name}"))

    html = '<div id="a"><span id="b"><i id="c">x</i></span><b id="d">y</b></div><i id="e">z</i>'
    out = await rewrite(JsHTMLRewriter.new().on("[id]", Any_()), html)
    assert out == html
    assert seen == ["c:i", "b:span", "d:b", "a:div", "e:i"]


async def test_streamed_content_is_a_clear_error() -> None:
    class Streamed:
        def element(self, el):
            el.append(JsResponse("<b>x</b>"), html=True)

    with pytest.raises(TypeError, match=r"streamed content .* is not simulated"):
        await rewrite(JsHTMLRewriter.new().on("p", Streamed()), "<p>x</p>")
