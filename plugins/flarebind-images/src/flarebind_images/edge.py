"""Image resizing outside the binding, on the same engine: ``/cdn-cgi/image/<options>/<source>`` URLs in
``flarebind dev`` and a Worker's ``fetch(url, cf={"image": {...}})``.

Options are Cloudflare's (images/transform-images/transform-via-url and transform-via-workers): the transform
options of the binding plus ``format`` (``auto``, ``avif``, ``webp``, ``jpeg``, ``baseline-jpeg``, ``png``, ``gif``,
``json``), ``quality``, ``anim``, ``metadata`` and, for ``cf.image``, ``draw`` (overlays fetched by URL). Failures
answer like Cloudflare's resizer: an error text and a ``Cf-Resized: err=<code>`` header.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote

from flarebind.plugin import JsResponse

from flarebind_images import engine, options
from flarebind_images.errors import BAD_OPTIONS, NOT_AN_IMAGE, TOO_LARGE, TOO_MANY_PIXELS, EngineError

PREFIX = "/cdn-cgi/image/"
SOURCE_NOT_FOUND = 9404
ORIGIN_ERROR = 9408
ALIASES = {"w": "width", "h": "height", "q": "quality", "f": "format", "g": "gravity", "face-zoom": "zoom"}
NUMERIC = {"width", "height", "dpr", "blur", "sharpen", "brightness", "contrast", "gamma", "saturation", "zoom"}
FORMATS = {
    "avif": "image/avif",
    "webp": "image/webp",
    "jpeg": "image/jpeg",
    "baseline-jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
}
OUTPUT_ONLY = {"format", "anim", "onerror", "compression", "slow-connection-quality", "draw"}
STATUS = {BAD_OPTIONS: 400, SOURCE_NOT_FOUND: 404, NOT_AN_IMAGE: 415, TOO_LARGE: 413, TOO_MANY_PIXELS: 413}


def parse_url_options(text: str) -> dict[str, Any]:
    """``width=80,quality=75,fit=cover`` (aliases ``w``, ``h``, ``q``, ``f``, ``g``), ``trim=t;r;b;l``,
    ``trim.width=…``, ``gravity=0.5x0.2``."""
    out: dict[str, Any] = {}
    trim: dict[str, Any] = {}
    for part in filter(None, text.split(",")):
        key, eq, value = part.partition("=")
        if not eq:
            raise EngineError(BAD_OPTIONS, f"Invalid option {part!r}: expected name=value")
        key = ALIASES.get(key.strip(), key.strip())
        value = unquote(value.strip())
        if key == "trim":
            if value == "border":
                out["trim"] = "border"
                continue
            sides = value.split(";")
            if len(sides) != 4:
                raise EngineError(BAD_OPTIONS, f"Invalid trim {value!r}: expected top;right;bottom;left")
            trim.update(zip(("top", "right", "bottom", "left"), map(_num, sides), strict=True))
        elif key.startswith("trim."):
            trim[key[5:]] = _num(value)
        elif key in NUMERIC or (key in ("quality", "rotate") and value.replace(".", "", 1).isdigit()):
            out[key] = _num(value)
        elif key == "anim":
            out[key] = value not in ("false", "0")
        else:
            out[key] = value
    if trim:
        out["trim"] = trim
    return out


def _num(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise EngineError(BAD_OPTIONS, f"Invalid number {text!r}") from None
    return int(value) if value.is_integer() else value


def _split(opts: dict[str, Any], accept: str, source_mime: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """cf.image / URL options -> (one transform step, output options)."""
    transform = {k: v for k, v in opts.items() if k not in OUTPUT_ONLY and k not in ("quality", "metadata")}
    output: dict[str, Any] = {}
    fmt = opts.get("format") or "auto"
    if fmt == "auto":
        if "image/avif" in accept:
            fmt = "image/avif"
        elif "image/webp" in accept:
            fmt = "image/webp"
        else:
            fmt = source_mime  # the source's own format when the client asked for nothing better
    elif fmt != "json":
        if fmt not in FORMATS:
            raise EngineError(BAD_OPTIONS, f"Invalid format {fmt!r}")
        fmt = FORMATS[fmt]
    output["format"] = fmt
    for key in ("quality", "metadata", "anim"):
        if opts.get(key) is not None:
            output[key] = opts[key]
    return transform, output


async def _read_ok(response: Any) -> bytes:
    if response.status == 404:
        raise EngineError(SOURCE_NOT_FOUND, "The image does not exist on the origin server")
    if response.status >= 400:
        raise EngineError(ORIGIN_ERROR, f"The origin server returned HTTP {response.status}")
    return bytes(await response.arrayBuffer())


async def transform_source(source: bytes, opts: dict[str, Any], accept: str, fetch: Any) -> JsResponse:
    """Resize ``source`` with cf.image / URL options; draw overlays fetched by URL; encode."""
    if engine.is_svg(source):
        return _image_response(source, "image/svg+xml")
    mime = (await asyncio.to_thread(engine.info, source))["format"]
    transform, output = _split(opts, accept, mime)
    if output["format"] == "json":
        return await _json_info(source, transform)
    job = engine.Job(source, [options.check_transform(transform)] if transform else [])
    for overlay in opts.get("draw") or []:
        job.steps.append(await _overlay(overlay, fetch))
    encoded = await asyncio.to_thread(engine.run, job, options.check_output(output))
    return _image_response(encoded.data, encoded.content_type)


async def _overlay(spec: Any, fetch: Any) -> engine.Draw:
    if not isinstance(spec, dict) or not spec.get("url"):
        raise EngineError(BAD_OPTIONS, "Each draw entry needs a url")
    data = await _read_ok(await fetch(spec["url"]))
    placement = {k: spec[k] for k in options.DRAW_KEYS if spec.get(k) is not None}
    steps = {k: v for k, v in spec.items() if k not in options.DRAW_KEYS and k != "url"}
    return engine.Draw(
        engine.Job(data, [options.check_transform(steps)] if steps else []), options.check_draw(placement)
    )


async def _json_info(source: bytes, transform: dict[str, Any]) -> JsResponse:
    original = await asyncio.to_thread(engine.info, source)
    job = engine.Job(source, [options.check_transform(transform)] if transform else [])
    rendered = await asyncio.to_thread(engine.render, job)
    body = {
        "width": rendered.width,
        "height": rendered.height,
        "original": {
            "file_size": original["fileSize"],
            "width": original["width"],
            "height": original["height"],
            "format": original["format"],
        },
    }
    return JsResponse(json.dumps(body), headers={"content-type": "application/json", "cf-resized": "internal=ok"})


def _image_response(data: bytes, content_type: str) -> JsResponse:
    return JsResponse(data, headers={"content-type": content_type, "cf-resized": "internal=ok"})


def error_response(exc: EngineError) -> JsResponse:
    return JsResponse(
        f"ERROR {exc.code}: {exc.text}",
        status=STATUS.get(exc.code, 500),
        headers={"content-type": "text/plain", "cf-resized": f"err={exc.code}"},
    )


async def serve_cdn_cgi(request: Any, fetch: Any) -> JsResponse:
    """``GET /cdn-cgi/image/<options>/<source>``: the source is a path on this zone or an absolute URL."""
    path = request.url.split("://", 1)[-1]
    path = path[path.find("/") :]
    rest = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
    opts_text, slash, source = rest.partition("/")
    # an absolute URL keeps its own "//" (the path is not URL-encoded); anything else is a path on the origin
    url = source if source.startswith(("http://", "https://")) else "/" + source
    opts: dict[str, Any] = {}
    try:
        if not slash or not source:
            raise EngineError(BAD_OPTIONS, "Expected /cdn-cgi/image/<options>/<source-image>")
        opts = parse_url_options(opts_text)
        if not opts:
            raise EngineError(BAD_OPTIONS, "A transformation URL must specify at least one option")
        data = await _read_ok(await fetch(url))
        accept = request.headers.get("accept") or ""
        return await transform_source(data, opts, accept, fetch)
    except EngineError as exc:
        if opts.get("onerror") == "redirect" and source:
            # Cloudflare's onerror=redirect: on failure, send the client to the unresized source
            return JsResponse(None, status=302, headers={"location": url, "cf-resized": f"err={exc.code}"})
        return error_response(exc)


async def fetch_with_image(request: Any, image: Any, fetch: Any) -> JsResponse:
    """A Worker's ``fetch(url, cf={"image": {...}})``: fetch the source (without ``cf``), then resize it."""
    opts = dict(image.items()) if hasattr(image, "items") else {}
    try:
        data = await _read_ok(await fetch(request))
        # Workers must choose the format themselves ("format: auto" needs the Accept header the Worker reads)
        return await transform_source(data, opts, "", fetch)
    except EngineError as exc:
        return error_response(exc)
