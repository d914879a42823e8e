"""The local engine: decode, run the transform and draw steps, encode; Pillow, in a worker thread.

Memory stays bounded for large inputs: the size limits are checked from the header before any pixel is decoded, and
a JPEG is decoded straight at the smallest power-of-two scale that still covers the first resize (libjpeg's DCT
scaling, ``Image.draft``), so a 12-megapixel photo bound for 800 px never exists at full size. EXIF orientation is
applied on load, as Cloudflare does ("EXIF rotation is applied even if the metadata is discarded").
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from typing import Any

import attrs
from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageMath, ImageOps, ImageSequence

from flarebind_images import geometry
from flarebind_images.errors import FAILED, NOT_AN_IMAGE, TOO_LARGE, TOO_MANY_PIXELS, UNSUPPORTED, EngineError

MAX_INPUT_BYTES = 70 * 1024 * 1024  # Cloudflare: "maximum image file size is 70 MB"
MAX_PIXELS = 100_000_000  # 9413: "the image exceeds the maximum image area of 100 megapixels"
MAX_ANIMATED_PIXELS = 50_000_000  # animations: the sum over all frames
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp", "AVIF": "image/avif"}
UNSUPPORTED_TEXT = "Unsupported image type {}, expected one of: JPEG, SVG, PNG, WebP, GIF or AVIF"
DEFAULT_QUALITY = 85
WEBP_METHOD = 2
WHITE = (255, 255, 255, 255)
COPYRIGHT_TAG = 0x8298
ORIENTATION_TAG = 0x0112


def is_svg(data: bytes) -> bool:
    head = data[:2048].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096])


def open_image(data: bytes) -> Image.Image:
    """The image, identified and size-checked, not yet decoded."""
    if len(data) > MAX_INPUT_BYTES:
        raise EngineError(TOO_LARGE, f"The image is larger than the {MAX_INPUT_BYTES // (1024 * 1024)} MB limit")
    try:
        with warnings.catch_warnings():
            # our own limit (below) is the one that applies; Pillow's bomb warning would only be noise
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise EngineError(TOO_MANY_PIXELS, "The image exceeds the maximum image area of 100 megapixels") from None
    except (Image.UnidentifiedImageError, OSError, ValueError):
        raise EngineError(NOT_AN_IMAGE, "The input is not an image (unrecognised or corrupt data)") from None
    if im.format not in MIME:
        raise EngineError(UNSUPPORTED, UNSUPPORTED_TEXT.format((im.format or "unknown").lower()))
    frames = getattr(im, "n_frames", 1)
    area = im.width * im.height
    if area > MAX_PIXELS or (frames > 1 and area * frames > MAX_ANIMATED_PIXELS):
        raise EngineError(TOO_MANY_PIXELS, "The image exceeds the maximum image area of 100 megapixels")
    return im


def info(data: bytes) -> dict[str, Any]:
    if is_svg(data):
        return {"format": "image/svg+xml"}
    im = open_image(data)
    return {"format": MIME[im.format or ""], "fileSize": len(data), "width": im.width, "height": im.height}


# ---------------------------------------------------------------------------------------------- the step tree


@attrs.define
class Draw:
    """A ``draw(child, options)`` step: the child is another :class:`Job` rendered onto the canvas."""

    child: Job
    options: dict[str, Any]


@attrs.define
class Job:
    """One input and its steps (transform dicts and :class:`Draw` steps), in the order they were chained."""

    data: bytes
    steps: list[Any] = attrs.field(factory=list)


@attrs.frozen
class Encoded:
    data: bytes
    content_type: str


def run(job: Job, output: dict[str, Any]) -> Encoded:
    """Render ``job`` and encode it as ``output`` asks (``format``, ``quality``, ``background``, ``anim``)."""
    if is_svg(job.data):
        # Cloudflare serves SVG as it is: vector input is never rasterised or resized
        return Encoded(job.data, "image/svg+xml")
    try:
        im = open_image(job.data)
        fmt = output["format"]
        animate = output.get("anim") is not False and fmt in ("image/gif", "image/webp") and _frames(im) > 1
        if animate:
            frames, durations = [], []
            for frame in ImageSequence.Iterator(im):
                durations.append(frame.info.get("duration", 100))
                frames.append(render_steps(_normalise(frame.copy()), job.steps))
            return encode(frames, output, job.steps, im, durations)
        return encode([render(job, im)], output, job.steps, im, [])
    except EngineError:
        raise
    except (OSError, ValueError, MemoryError) as exc:
        raise EngineError(FAILED, f"Could not transform the image: {exc}") from exc


def _frames(im: Image.Image) -> int:
    return int(getattr(im, "n_frames", 1))


def render(job: Job, im: Image.Image | None = None) -> Image.Image:
    im = im if im is not None else open_image(job.data)
    if im.format == "JPEG" and job.steps and isinstance(job.steps[0], dict):
        _draft(im, job.steps[0])
    return render_steps(_normalise(ImageOps.exif_transpose(im)), job.steps)


def render_steps(im: Image.Image, steps: Sequence[Any]) -> Image.Image:
    for step in steps:
        im = draw(im, render(step.child), step.options) if isinstance(step, Draw) else transform(im, step)
    return im


def _normalise(im: Image.Image) -> Image.Image:
    """RGB or RGBA (palette, greyscale, CMYK and 16-bit inputs converted; transparency kept)."""
    if im.mode in ("RGB", "RGBA"):
        return im
    has_alpha = im.mode in ("LA", "PA", "La", "RGBa") or "transparency" in im.info
    if im.mode == "P" and has_alpha:
        return im.convert("RGBA")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGBA" if has_alpha else "RGB")


def _draft(im: Image.Image, step: dict[str, Any]) -> None:
    """Ask libjpeg for a reduced decode when the first step shrinks the image by half or more."""
    if step.get("trim") or not (step.get("width") or step.get("height")):
        return
    w, h = im.size
    orientation = im.getexif().get(ORIENTATION_TAG, 1)
    if step.get("rotate") in (90, 270):
        orientation = 6 if orientation < 5 else 1
    ow, oh = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    dpr = float(step.get("dpr") or 1)
    width = step["width"] * dpr if step.get("width") else None
    height = step["height"] * dpr if step.get("height") else None
    p = geometry.plan(ow, oh, width, height, step.get("fit"))
    scale = max(p.scaled[0] / ow, p.scaled[1] / oh)
    if scale <= 0.5:
        # draft picks the smallest DCT scale (1/2, 1/4, 1/8) whose result is still at least this large
        im.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))


# ---------------------------------------------------------------------------------------------- one transform


def transform(im: Image.Image, t: dict[str, Any]) -> Image.Image:
    """One ``transform({...})``: trim, flip, rotate, resize (fit, gravity), background, colour, blur, sharpen,
    border, in Cloudflare's order ("trimming is performed before resizing or rotation", "flipping is performed
    before rotation", "width and height options refer to axes after rotation", "the border is added after
    resizing")."""
    dpr = float(t.get("dpr") or 1)
    if t.get("trim"):
        im = trim(im, t["trim"], dpr)
    flip = t.get("flip")
    if flip in ("h", "hv"):
        im = ImageOps.mirror(im)
    if flip in ("v", "hv"):
        im = ImageOps.flip(im)
    rotate = t.get("rotate") or 0
    if rotate:
        # clockwise, as Cloudflare (and sharp) rotate
        im = im.transpose(
            {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}[rotate]
        )
    width = t["width"] * dpr if t.get("width") else None
    height = t["height"] * dpr if t.get("height") else None
    im = resize(im, width, height, t.get("fit"), t.get("gravity"), t.get("background"))
    if t.get("background") is not None and im.mode == "RGBA":
        im = flatten(im, t["background"], keep_alpha=True)
    im = adjust(im, t)
    if t.get("blur"):
        im = im.filter(ImageFilter.GaussianBlur(radius=float(t["blur"]) / 2))
    if t.get("sharpen"):
        im = im.filter(ImageFilter.UnsharpMask(radius=2, percent=round(float(t["sharpen"]) * 40), threshold=0))
    if t.get("border"):
        im = border(im, t["border"], dpr)
    return im


def resize(
    im: Image.Image, width: float | None, height: float | None, fit: str | None, gravity: Any, background: Any
) -> Image.Image:
    p = geometry.plan(im.width, im.height, width, height, fit)
    if p.scaled != im.size:
        # a big reduction: integer box reduction then Lanczos (reducing_gap); a mild one (what is left after a
        # JPEG draft decode) or an enlargement: bicubic, indistinguishable there and ~3x cheaper than Lanczos
        mild = min(p.scaled[0] / im.width, p.scaled[1] / im.height) >= 0.5
        if mild:
            im = im.resize(p.scaled, Image.Resampling.BICUBIC)
        else:
            im = im.resize(p.scaled, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if p.out == p.scaled:
        return im
    if gravity in ("auto", "entropy"):
        gravity = focus(im, p.out)
    elif gravity == "face":
        gravity = "center"  # no face detector here; Cloudflare also falls back to the centre when it finds none
    if p.pads:
        x, y = geometry.offset(p.scaled, p.out, gravity)
        fill = background if background is not None else WHITE
        mode = "RGBA" if im.mode == "RGBA" or fill[3] < 255 else "RGB"
        canvas = Image.new(mode, p.out, fill if mode == "RGBA" else fill[:3])
        canvas.paste(im, (-x, -y), im if im.mode == "RGBA" else None)
        return canvas
    x, y = geometry.offset(p.scaled, p.out, gravity)
    return im.crop((x, y, x + p.out[0], y + p.out[1]))


def focus(im: Image.Image, box: tuple[int, int]) -> dict[str, float]:
    """``gravity: auto``: the crop window with the most detail (greyscale entropy), as a ``remainder`` point.

    Cloudflare uses a saliency model; entropy is the classic stand-in and picks the busy part of an image too.
    """
    free_x, free_y = im.width - box[0], im.height - box[1]
    small = im.convert("L")
    factor = max(1.0, max(im.size) / 256)
    if factor > 1:
        small = small.resize((max(1, round(im.width / factor)), max(1, round(im.height / factor))))
    bw, bh = max(1, round(box[0] / factor)), max(1, round(box[1] / factor))
    best, best_score = (0.5, 0.5), -1.0
    steps = 8
    for i in range(steps + 1):
        fx = i / steps if free_x > 0 else 0.5
        fy = i / steps if free_y > 0 else 0.5
        x = round((small.width - bw) * fx)
        y = round((small.height - bh) * fy)
        score = small.crop((x, y, x + bw, y + bh)).entropy()
        if score > best_score + 1e-9:
            best, best_score = (fx, fy), score
    return {"x": best[0], "y": best[1], "mode": "remainder"}


def trim(im: Image.Image, spec: dict[str, Any], dpr: float) -> Image.Image:
    """``trim``: fixed pixel counts per side (or a ``width`` x ``height`` window from ``left``/``top``), or
    ``border``: cut away a uniform border (its colour from the top-left pixel unless given, within ``tolerance``,
    keeping ``keep`` pixels of it)."""
    border_spec = spec.get("border")
    if border_spec is not None:
        return _trim_border(im, border_spec)
    left = round(float(spec.get("left") or 0) * dpr)
    top = round(float(spec.get("top") or 0) * dpr)
    right = im.width - round(float(spec.get("right") or 0) * dpr)
    bottom = im.height - round(float(spec.get("bottom") or 0) * dpr)
    if spec.get("width"):
        right = min(right, left + round(float(spec["width"]) * dpr))
    if spec.get("height"):
        bottom = min(bottom, top + round(float(spec["height"]) * dpr))
    if right <= left or bottom <= top:
        return im  # nothing would be left: Cloudflare ignores a trim that removes the whole image
    return im.crop((left, top, right, bottom))


def _trim_border(im: Image.Image, spec: dict[str, Any]) -> Image.Image:
    color = spec.get("color")
    ref = color[: len(im.getbands())] if color else im.getpixel((0, 0))
    tolerance = int(spec.get("tolerance") or 0)
    keep = int(spec.get("keep") or 0)
    plain = Image.new(im.mode, im.size, tuple(ref) if isinstance(ref, (tuple, list)) else ref)
    diff = ImageChops.difference(im, plain).convert("L")
    if tolerance:
        diff = diff.point(lambda v: 255 if v > tolerance else 0)
    box = diff.getbbox()
    if box is None:
        return im
    left, top, right, bottom = box
    return im.crop(
        (max(0, left - keep), max(0, top - keep), min(im.width, right + keep), min(im.height, bottom + keep))
    )


def flatten(im: Image.Image, color: tuple[int, int, int, int], *, keep_alpha: bool = False) -> Image.Image:
    """Put a transparent image on a solid background (``background``)."""
    base = Image.new("RGBA", im.size, color)
    out = Image.alpha_composite(base, im.convert("RGBA"))
    return out if keep_alpha and color[3] < 255 else out.convert("RGB")


def adjust(im: Image.Image, t: dict[str, Any]) -> Image.Image:
    """brightness, contrast, saturation (factors, 1 = unchanged) and gamma (>1 lightens), colour bands only."""
    keys = ("brightness", "contrast", "gamma", "saturation")
    if all(t.get(k) is None or t.get(k) == 1 for k in keys):
        return im
    alpha = im.getchannel("A") if im.mode == "RGBA" else None
    rgb = im.convert("RGB") if alpha is not None else im
    if t.get("brightness") is not None:
        rgb = ImageEnhance.Brightness(rgb).enhance(float(t["brightness"]))
    if t.get("contrast") is not None:
        rgb = ImageEnhance.Contrast(rgb).enhance(float(t["contrast"]))
    if t.get("gamma") is not None and t["gamma"] != 1:
        g = 1.0 / float(t["gamma"])
        table = [round(255 * (i / 255) ** g) for i in range(256)]
        rgb = rgb.point(table * 3)
    if t.get("saturation") is not None:
        rgb = ImageEnhance.Color(rgb).enhance(float(t["saturation"]))
    if alpha is not None:
        rgb.putalpha(alpha)
    return rgb


def border(im: Image.Image, spec: dict[str, Any], dpr: float) -> Image.Image:
    color = spec["color"]
    sides = [round(float(spec[s]) * dpr) for s in ("left", "top", "right", "bottom")]
    mode = "RGBA" if im.mode == "RGBA" or color[3] < 255 else "RGB"
    out = Image.new(
        mode, (im.width + sides[0] + sides[2], im.height + sides[1] + sides[3]), color[: 4 if mode == "RGBA" else 3]
    )
    out.paste(im, (sides[0], sides[1]), im if im.mode == "RGBA" else None)
    return out


# ---------------------------------------------------------------------------------------------- draw


def draw(canvas: Image.Image, overlay: Image.Image, options: dict[str, Any]) -> Image.Image:
    """Draw ``overlay`` on ``canvas``: placed by ``top``/``left``/``bottom``/``right`` (centred on an axis with
    neither), tiled by ``repeat`` (``true`` both ways, ``"x"``, ``"y"``), faded by ``opacity``, blended by
    ``composite`` (Porter-Duff ``over`` by default)."""
    ov = overlay.convert("RGBA")
    opacity = options.get("opacity")
    if opacity is not None and opacity < 1:
        ov.putalpha(ov.getchannel("A").point(lambda a: round(a * float(opacity))))
    cw, ch = canvas.size
    x = _place(cw, ov.width, options.get("left"), options.get("right"))
    y = _place(ch, ov.height, options.get("top"), options.get("bottom"))
    repeat = options.get("repeat")
    xs = _tiles(x, ov.width, cw) if repeat in (True, "x") else [x]
    ys = _tiles(y, ov.height, ch) if repeat in (True, "y") else [y]
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    for ty in ys:
        for tx in xs:
            layer.paste(ov, (tx, ty))
    had_alpha = canvas.mode == "RGBA"
    out = composite(canvas.convert("RGBA"), layer, options.get("composite") or "over")
    return out if had_alpha or out.getextrema()[3][0] < 255 else out.convert("RGB")


def _place(size: int, item: int, near: Any, far: Any) -> int:
    if near is not None:
        return round(float(near))
    if far is not None:
        return size - item - round(float(far))
    return (size - item) // 2


def _tiles(start: int, step: int, size: int) -> list[int]:
    first = start - math.ceil(start / step) * step if start > 0 else start
    return list(range(first, size, step))


def composite(dst: Image.Image, src: Image.Image, mode: str) -> Image.Image:
    """Porter-Duff compositing of straight-alpha RGBA images (``over``, ``in``, ``atop``, ``out``, ``xor``,
    ``lighter``), as workerd's ``ImageCompositeMode`` lists them."""
    if mode == "over":
        return Image.alpha_composite(dst, src)
    sa, da = src.getchannel("A"), dst.getchannel("A")
    if mode in ("in", "out"):
        keep = da if mode == "in" else ImageChops.invert(da)
        out = src.copy()
        out.putalpha(ImageChops.multiply(sa, keep))
        return out
    src_rgb, dst_rgb = src.convert("RGB"), dst.convert("RGB")
    if mode == "atop":
        out = Image.composite(src_rgb, dst_rgb, sa)
        out.putalpha(da)
        return out
    if mode == "xor":
        ws = ImageChops.multiply(sa, ImageChops.invert(da))
        wd = ImageChops.multiply(da, ImageChops.invert(sa))
        # float operands: Pillow < 13 cannot mix a float constant into integer image arithmetic
        mask = ImageMath.lambda_eval(
            lambda a: a["convert"](a["float"](a["s"]) * 255 / (a["float"](a["s"]) + a["float"](a["d"]) + 0.001), "L"),
            s=ws,
            d=wd,
        )
        out = Image.composite(src_rgb, dst_rgb, mask)
        out.putalpha(ImageChops.add(ws, wd))
        return out
    # lighter: premultiplied sum, clamped, then back to straight alpha
    alpha = ImageChops.add(sa, da)
    bands = []
    for s_band, d_band in zip(src_rgb.split(), dst_rgb.split(), strict=True):
        summed = ImageChops.add(ImageChops.multiply(s_band, sa), ImageChops.multiply(d_band, da))
        bands.append(
            ImageMath.lambda_eval(
                lambda a: a["convert"](a["min"](a["float"](a["c"]) * 255 / (a["float"](a["al"]) + 0.001), 255), "L"),
                c=summed,
                al=alpha,
            )
        )
    out = Image.merge("RGB", bands)
    out.putalpha(alpha)
    return out


# ---------------------------------------------------------------------------------------------- output


def encode(
    frames: list[Image.Image], output: dict[str, Any], steps: Sequence[Any], source: Image.Image, durations: list[int]
) -> Encoded:
    fmt = output["format"]
    # output() options win; else the last transform that set one (the cf.image / URL forms put them there)
    quality, metadata = output.get("quality"), output.get("metadata")
    for step in steps:
        if isinstance(step, dict):
            quality = quality if output.get("quality") is not None else step.get("quality", quality)
            metadata = metadata if output.get("metadata") is not None else step.get("metadata", metadata)
    background = output.get("background")
    if background is not None:
        frames = [flatten(f, background, keep_alpha=True) if f.mode == "RGBA" else f for f in frames]
    im = frames[0]
    buf = io.BytesIO()
    q = int(quality or DEFAULT_QUALITY)
    if fmt == "image/jpeg":
        if im.mode != "RGB":
            im = flatten(im, background or WHITE)
        exif = _exif(source, metadata or "copyright")
        im.save(buf, "JPEG", quality=q, progressive=True, optimize=False, **({"exif": exif} if exif else {}))
    elif fmt == "image/png":
        if quality is not None:
            # Cloudflare: "an explicit quality setting allows the use of PNG8 (palette)"
            im = im.quantize(256) if im.mode == "RGB" else im.quantize(256, method=Image.Quantize.FASTOCTREE)
        im.save(buf, "PNG")
    elif fmt == "image/webp":
        # libwebp method 2: files within ~1-2% of method 4's at a fraction of the encode time (a dev-loop choice)
        extra: dict[str, Any] = {"lossless": True} if q == 100 else {"quality": q, "method": WEBP_METHOD}
        if len(frames) > 1:
            extra.update(save_all=True, append_images=frames[1:], duration=durations, loop=0)
        im.save(buf, "WEBP", **extra)
    elif fmt == "image/avif":
        from PIL import features

        if not features.check("avif"):
            raise EngineError(
                UNSUPPORTED, "AVIF output needs Pillow with libavif (the Pillow >= 11.3 wheels include it)"
            )
        im.save(buf, "AVIF", quality=q)
    elif fmt == "image/gif":
        pal = [_gif_frame(f) for f in frames]
        extra = {"save_all": True, "append_images": pal[1:], "duration": durations, "loop": 0} if len(pal) > 1 else {}
        pal[0].save(buf, "GIF", **extra)
    else:  # rgb / rgba: the raw pixels, row by row, 8 bits a channel
        mode = "RGBA" if fmt == "rgba" else "RGB"
        if fmt == "rgb" and im.mode == "RGBA":
            im = flatten(im, background or WHITE)
        return Encoded(im.convert(mode).tobytes(), fmt)
    return Encoded(buf.getvalue(), fmt)


def _gif_frame(im: Image.Image) -> Image.Image:
    if im.mode != "RGBA":
        return im.convert("P", palette=Image.Palette.ADAPTIVE)
    alpha = im.getchannel("A")
    pal = im.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
    pal.paste(255, mask=ImageChops.invert(alpha).point(lambda a: 255 if a > 127 else 0))
    pal.info["transparency"] = 255
    return pal


def _exif(source: Image.Image, metadata: str) -> bytes | None:
    """JPEG output's EXIF: ``none`` drops it, ``copyright`` (the default) keeps only the copyright tag, ``keep``
    keeps it all; orientation is always reset because it has been applied to the pixels."""
    if metadata == "none":
        return None
    exif = source.getexif()
    if not exif:
        return None
    if metadata == "copyright":
        if COPYRIGHT_TAG not in exif:
            return None
        kept = Image.Exif()
        kept[COPYRIGHT_TAG] = exif[COPYRIGHT_TAG]
        return kept.tobytes()
    exif[ORIENTATION_TAG] = 1
    return exif.tobytes()
