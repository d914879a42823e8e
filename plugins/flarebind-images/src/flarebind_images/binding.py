"""``env.IMAGES`` run locally: ``info``, ``input`` → ``transform`` / ``draw`` → ``output`` → the result.

The shape follows workerd's ``images-api`` (``ImagesBinding``, ``ImageTransformer``,
``ImageTransformationResult``): ``transform`` and ``draw`` only record steps and return the same transformer;
``output`` reads the input, runs the steps and encodes (in a worker thread, so the event loop keeps serving).
A transformer can be output, or drawn onto another, once (error 9525).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

from flarebind.plugin import JsObject, JsResponse, ReadableStream

from flarebind_images import engine, options
from flarebind_images.errors import EngineError, ImagesError, consumed
from flarebind_images.inputs import read_input

CHUNK = 64 * 1024


def merge(opts: Any, kwargs: dict[str, Any]) -> Any:
    """JS options from Python: ``f({...})``, ``f(width=10)`` or both (keywords win)."""
    if not kwargs:
        return opts
    base = dict(opts) if isinstance(opts, dict) else {}
    base.update({k: v for k, v in kwargs.items() if v is not None})
    return base


class ImagesBinding:
    """``env.IMAGES`` (workerd's ``ImagesBindingImpl``)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.hosted = HostedImages(name)

    def __repr__(self) -> str:
        return f"<Images binding {self._name} (local, Pillow)>"

    async def info(self, stream: Any, options_: Any = None, /, **kwargs: Any) -> JsObject:
        """``{format, fileSize, width, height}``, or ``{format: "image/svg+xml"}`` for an SVG."""
        try:
            data = await read_input(stream, merge(options_, kwargs))
            return JsObject(await asyncio.to_thread(engine.info, data))
        except EngineError as exc:
            raise exc.for_operation("INFO") from None

    def input(self, stream: Any, options_: Any = None, /, **kwargs: Any) -> ImageTransformer:
        return ImageTransformer(stream, merge(options_, kwargs))


class ImageTransformer:
    """What ``input()`` returns: chain ``transform`` and ``draw``, then ``await output({...})``."""

    def __init__(self, source: Any, input_options: Any) -> None:
        self._source = source
        self._input_options = input_options
        self._steps: list[Any] = []  # transform dicts and (ImageTransformer | stream, draw options) pairs
        self._consumed = False

    def transform(self, transform: Any = None, /, **kwargs: Any) -> ImageTransformer:
        self._steps.append(merge(transform, kwargs) if transform is not None or kwargs else {})
        return self

    def draw(self, image: Any, options_: Any = None, /, **kwargs: Any) -> ImageTransformer:
        if isinstance(image, ImageTransformer):
            image._consume()
            child = image
        else:
            child = ImageTransformer(image, None)
        self._steps.append((child, merge(options_, kwargs)))
        return self

    async def output(self, options_: Any = None, /, **kwargs: Any) -> ImageTransformationResult:
        self._consume()
        try:
            out = options.check_output(merge(options_, kwargs))
            job = await self._job()
            encoded = await asyncio.to_thread(engine.run, job, out)
        except EngineError as exc:
            raise exc.for_operation("TRANSFORM") from None
        return ImageTransformationResult(encoded.data, encoded.content_type)

    def _consume(self) -> None:
        if self._consumed:
            raise consumed()
        self._consumed = True

    async def _job(self) -> engine.Job:
        """Read this input (and every drawn input) and check every step's options."""
        job = engine.Job(await read_input(self._source, self._input_options))
        for step in self._steps:
            if isinstance(step, tuple):
                child, draw_options = step
                job.steps.append(engine.Draw(await child._job(), options.check_draw(draw_options)))
            else:
                job.steps.append(options.check_transform(step))
        return job


class ImageTransformationResult:
    """``output()``'s result: ``image()`` (a stream), ``response()`` and ``contentType()``."""

    def __init__(self, data: bytes, content_type: str) -> None:
        self._data = data
        self._content_type = content_type

    def contentType(self) -> str:
        return self._content_type

    content_type = contentType

    def image(self, options_: Any = None, /, **kwargs: Any) -> ReadableStream:
        opts = merge(options_, kwargs) or {}
        data = self._data
        if isinstance(opts, dict) and opts.get("encoding") == "base64":
            data = base64.b64encode(data)
        return ReadableStream(_chunks(data))

    def response(self) -> JsResponse:
        return JsResponse(self.image(), headers={"content-type": self._content_type})

    def __repr__(self) -> str:
        return f"<ImageTransformationResult {self._content_type}, {len(self._data)} bytes>"


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


class HostedImages:
    """``env.IMAGES.hosted`` (Images storage: upload, list, image(id)) is not simulated: each call says so."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _missing(self, what: str) -> ImagesError:
        return ImagesError(
            f"env.{self._name}.hosted.{what}: Images storage (hosted images) is not simulated by flarebind yet; "
            f"set remote = true on the [images] binding to use your account's Images storage",
            9523,
        )

    def image(self, image_id: str) -> Any:
        raise self._missing("image")

    async def upload(self, image: Any, options_: Any = None, /, **kwargs: Any) -> Any:
        raise self._missing("upload")

    async def list(self, options_: Any = None, /, **kwargs: Any) -> Any:
        raise self._missing("list")
