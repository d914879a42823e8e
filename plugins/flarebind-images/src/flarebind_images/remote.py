"""``env.IMAGES`` through the flarebind proxy: the same interface as :mod:`flarebind_images.binding`, remote.

A whole chain is one request: ``input(stream).transform(a).draw(t2, o).output(out)`` becomes the pipeline
``input($stream) → transform(a) → draw(<pipeline>, o) → output(out) → response()``, the input travelling as the
call's streamed body and the result coming back as a streamed ``Response``. A drawn image or transformer is a
``$pipeline`` argument the proxy builds on the real binding (its bytes inline: the protocol carries one stream).
"""

from __future__ import annotations

import re
from typing import Any

from flarebind.plugin import JsException, JsObject, Pipeline, RemoteBinding, StreamArg, shape

from flarebind_images.binding import ImageTransformationResult, merge
from flarebind_images.errors import FAILED, EngineError, ImagesError, consumed
from flarebind_images.inputs import read_input

_CODE = re.compile(r"^IMAGES_[A-Z]+_ERROR (\d+):")


def _images_error(exc: JsException) -> ImagesError:
    """The runtime's ImagesError arrives as a plain error: its code is in the message (``IMAGES_…_ERROR 9520:``)."""
    match = _CODE.match(exc.message)
    return ImagesError(exc.message, int(match[1]) if match else FAILED)


async def _stream_arg(value: Any) -> StreamArg:
    # read here (any Worker-side source: a request body, an R2 body, bytes, an async iterator), then sent with
    # its length; the runtime buffers its input the same way before posting it to the Images service
    data = await read_input(value)
    return StreamArg(data, len(data))


class RemoteImagesBinding(RemoteBinding):
    """``env.IMAGES`` when the binding is remote (``remote = true``) or under the test proxy."""

    async def info(self, stream: Any, options_: Any = None, /, **kwargs: Any) -> JsObject:
        try:
            body = await _stream_arg(stream)
        except EngineError as exc:
            raise exc.for_operation("INFO") from None
        args: list[Any] = [body]
        opts = merge(options_, kwargs)
        if opts:
            args.append(opts)
        try:
            return shape(await self._call([{"call": "info", "args": args}]))  # type: ignore[no-any-return]
        except JsException as exc:
            raise _images_error(exc) from None

    def input(self, stream: Any, options_: Any = None, /, **kwargs: Any) -> RemoteImageTransformer:
        return RemoteImageTransformer(self, stream, merge(options_, kwargs))


class RemoteImageTransformer:
    def __init__(self, binding: RemoteImagesBinding, source: Any, input_options: Any) -> None:
        self._binding = binding
        self._source = source
        self._input_options = input_options
        self._steps: list[Any] = []
        self._consumed = False

    def transform(self, transform: Any = None, /, **kwargs: Any) -> RemoteImageTransformer:
        self._steps.append(merge(transform, kwargs) if transform is not None or kwargs else {})
        return self

    def draw(self, image: Any, options_: Any = None, /, **kwargs: Any) -> RemoteImageTransformer:
        if isinstance(image, RemoteImageTransformer):
            image._consume()
        self._steps.append((image, merge(options_, kwargs)))
        return self

    def _consume(self) -> None:
        if self._consumed:
            raise consumed()
        self._consumed = True

    async def output(self, options_: Any = None, /, **kwargs: Any) -> ImageTransformationResult:
        self._consume()
        try:
            first = await _stream_arg(self._source)
            calls = [_input_op(first, self._input_options), *await self._step_ops()]
        except EngineError as exc:
            raise exc.for_operation("TRANSFORM") from None
        calls.append({"call": "output", "args": [merge(options_, kwargs) or {}]})
        calls.append({"call": "response"})
        try:
            response = shape(await self._binding._call(calls))
        except JsException as exc:
            raise _images_error(exc) from None
        data = await response.bytes()
        return ImageTransformationResult(data, response.headers.get("content-type") or "")

    async def _step_ops(self) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = []
        for step in self._steps:
            if isinstance(step, tuple):
                image, draw_options = step
                args = [await _draw_arg(image)]
                if draw_options:
                    args.append(draw_options)
                ops.append({"call": "draw", "args": args})
            else:
                ops.append({"call": "transform", "args": [step]})
        return ops


def _input_op(source: Any, options: Any) -> dict[str, Any]:
    return {"call": "input", "args": [source, options] if options else [source]}


async def _draw_arg(image: Any) -> Any:
    """A drawn image: a transformer becomes a pipeline built on the proxy; a stream or bytes goes inline."""
    if isinstance(image, RemoteImageTransformer):
        data = await read_input(image._source, image._input_options)
        return Pipeline([_input_op(data, None), *await image._step_ops()])
    return await read_input(image)


def make_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteImagesBinding:
    return RemoteImagesBinding(name, spec, channel)
