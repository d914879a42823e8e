"""Images conformance: the binding interface as workerd defines it, checked at the pixel level.

Every check decodes what came back and looks at it: the format signature, the dimensions, and sampled colours.
Inputs are drawn here with Pillow (solid halves and quadrants), so a sampled colour says which part of the source
survived a crop, a flip or a rotation.

Runs locally (flarebind's Pillow engine) and, with ``FLAREBIND_CONFORMANCE_REMOTE=1``, through the proxy worker
under ``wrangler dev`` in front of Miniflare's local Images binding. Miniflare implements only part of the API
(its backend runs ``rotate``, a ``width``/``height`` resize it always treats as sharp's letterboxing ``contain``,
and JPEG/PNG/WebP/AVIF output); tests of the rest are marked ``full_engine`` and skip on the remote path, each
difference listed in docs/fidelity.md.
"""

from __future__ import annotations

import base64
import io
import random
import re
import struct
import zlib

import pytest
from flarebind.errors import JsException

Image = pytest.importorskip("PIL.Image")

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
WHITE = (255, 255, 255)
CONSUMED = (
    "IMAGES_TRANSFORM_ERROR 9525: ImageTransformer consumed; you may only call .output() or draw a transformer once"
)


@pytest.fixture
async def images(make_binding):
    return await make_binding("images", {})


@pytest.fixture
def full_engine(binding_mode):
    """Skip on the remote path: Miniflare's local Images binding does not implement what the test checks."""
    if binding_mode == "remote":
        pytest.skip("Miniflare's local Images binding does not implement this (docs/fidelity.md, Images)")


# -- drawing inputs -----------------------------------------------------------------------------------------------


def encode(im, fmt="PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def halves(w=300, h=200, left=RED, right=BLUE, *, vertical=False) -> Image.Image:
    """Left half ``left``, right half ``right`` (or top/bottom with ``vertical``)."""
    im = Image.new("RGB", (w, h), right)
    im.paste(left, (0, 0, w, h // 2) if vertical else (0, 0, w // 2, h))
    return im


def quadrants(w=200, h=200) -> Image.Image:
    im = Image.new("RGB", (w, h))
    im.paste(RED, (0, 0, w // 2, h // 2))
    im.paste(GREEN, (w // 2, 0, w, h // 2))
    im.paste(BLUE, (0, h // 2, w // 2, h))
    im.paste(YELLOW, (w // 2, h // 2, w, h))
    return im


def png(im) -> bytes:
    return encode(im, "PNG")


async def out(images, data, *transforms, fmt="image/png", **output):
    """Run ``input(data).transform(t)…output({format, …})``; return (bytes, content type, decoded image)."""
    chain = images.input(data)
    for t in transforms:
        chain = chain.transform(t)
    result = await chain.output({"format": fmt, **output})
    body = await result.response().bytes()
    decoded = Image.open(io.BytesIO(body)) if fmt.startswith("image/") else None
    return body, result.contentType(), decoded


def near(pixel, color, tolerance=12) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel[:3], color[:3], strict=True))


def rgb_at(im, x, y):
    return im.convert("RGB").getpixel((x, y))


async def images_error(coro):
    with pytest.raises(JsException) as info:
        await coro
    return info.value


# -- info ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
        ("AVIF", "image/avif"),
    ],
)
async def test_info_reports_format_size_and_dimensions(images, binding_mode, fmt, mime):
    if fmt == "AVIF" and binding_mode == "remote":
        pytest.skip("Miniflare's info() rejects AVIF input: sharp names it 'heif' (docs/fidelity.md)")
    data = encode(halves(321, 123), fmt)
    assert await images.info(data) == {"format": mime, "fileSize": len(data), "width": 321, "height": 123}


async def test_info_of_an_svg_is_its_format_only(images):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20"><rect width="10" height="20"/></svg>'
    assert await images.info(svg) == {"format": "image/svg+xml"}


async def test_info_of_an_unsupported_format_names_it(images):
    error = await images_error(images.info(encode(halves(20, 20), "TIFF")))
    assert str(error) == (
        "IMAGES_INFO_ERROR 9520: ERROR: Unsupported image type tiff, expected one of: JPEG, SVG, PNG, WebP, GIF or AVIF"
    )
    assert error.code == 9520


async def test_info_of_something_that_is_no_image_is_9412(images, full_engine):
    error = await images_error(images.info(b"definitely not an image"))
    assert error.code == 9412
    assert str(error).startswith("IMAGES_INFO_ERROR 9412: ")


# -- what info and input accept ------------------------------------------------------------------------------------


async def _async_chunks(data: bytes, size=1000):
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "async-iterator", "readable-stream", "file"])
async def test_inputs_a_worker_has_at_hand(images, kind):
    from flarebind.plugin import ReadableStream

    data = png(halves(60, 40))
    source = {
        "bytes": lambda: data,
        "bytearray": lambda: bytearray(data),
        "memoryview": lambda: memoryview(data),
        "async-iterator": lambda: _async_chunks(data),
        "readable-stream": lambda: ReadableStream(_async_chunks(data)),
        "file": lambda: io.BytesIO(data),
    }[kind]
    assert (await images.info(source()))["width"] == 60
    _, _, im = await out(images, source(), {"width": 30})
    assert im.size == (30, 20)


async def test_an_r2_object_body_is_an_input(images, make_binding):
    bucket = await make_binding("r2_bucket", {"bucket_name": "images-src"})
    data = png(halves(80, 40))
    await bucket.put("photo.png", data)
    obj = await bucket.get("photo.png")
    info = await images.info(obj.body)
    assert (info["format"], info["width"], info["height"]) == ("image/png", 80, 40)


async def test_base64_input_encoding(images):
    data = base64.b64encode(png(halves(50, 30)))
    assert (await images.info(data, {"encoding": "base64"}))["width"] == 50
    result = await images.input(data, {"encoding": "base64"}).output({"format": "image/png"})
    assert Image.open(io.BytesIO(await result.response().bytes())).size == (50, 30)


# -- output formats: signature, content type, pixels ---------------------------------------------------------------


SIGNATURES = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/avif": lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"avif", b"avis"),
    "image/gif": lambda b: b[:6] in (b"GIF87a", b"GIF89a"),
}


@pytest.mark.parametrize("fmt", ["image/png", "image/jpeg", "image/webp", "image/avif"])
async def test_output_formats(images, fmt):
    body, content_type, im = await out(images, png(halves(64, 32)), fmt=fmt)
    assert content_type == fmt
    assert SIGNATURES[fmt](body)
    assert im.size == (64, 32)
    assert near(rgb_at(im, 8, 16), RED, 40) and near(rgb_at(im, 56, 16), BLUE, 40)


async def test_gif_output(images, full_engine):
    body, content_type, im = await out(images, png(halves(64, 32)), fmt="image/gif")
    assert content_type == "image/gif" and SIGNATURES["image/gif"](body)
    assert im.size == (64, 32) and near(rgb_at(im, 8, 16), RED) and near(rgb_at(im, 56, 16), BLUE)


@pytest.mark.parametrize(("fmt", "channels"), [("rgb", 3), ("rgba", 4)])
async def test_raw_pixel_output(images, full_engine, fmt, channels):
    body, content_type, _ = await out(images, png(halves(8, 4)), fmt=fmt)
    assert content_type == fmt
    assert len(body) == 8 * 4 * channels
    assert tuple(body[:3]) == RED
    assert tuple(body[(7) * channels : 7 * channels + 3]) == BLUE  # last pixel of the first row


async def test_image_stream_and_base64_image(images):
    result = await images.input(png(halves(20, 10))).output({"format": "image/png"})
    chunks = [bytes(c) async for c in result.image()]
    data = b"".join(chunks)
    assert SIGNATURES["image/png"](data)
    assert Image.open(io.BytesIO(data)).size == (20, 10)


async def test_image_as_base64(images, full_engine):
    result = await images.input(png(halves(20, 10))).output({"format": "image/png"})
    text = b"".join([bytes(c) async for c in result.image({"encoding": "base64"})])
    assert SIGNATURES["image/png"](base64.b64decode(text))


async def test_jpeg_quality_changes_the_size(images, full_engine):
    noisy = Image.effect_noise((200, 200), 60).convert("RGB")
    low, _, _ = await out(images, png(noisy), fmt="image/jpeg", quality=10)
    high, _, _ = await out(images, png(noisy), fmt="image/jpeg", quality=95)
    assert len(low) * 2 < len(high)


async def test_webp_quality_100_is_lossless(images, full_engine):
    noisy = Image.effect_noise((64, 64), 60).convert("RGB")
    _, _, im = await out(images, png(noisy), fmt="image/webp", quality=100)
    assert im.convert("RGB").tobytes() == noisy.tobytes()


async def test_png_with_quality_is_png8(images, full_engine):
    body, _, im = await out(images, png(halves(40, 20)), fmt="image/png", quality=80)
    assert body[25] == 3  # IHDR colour type 3: palette
    assert near(rgb_at(im, 5, 5), RED)


async def test_output_background_fills_transparency(images, full_engine):
    clear = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    _, _, im = await out(images, png(clear), fmt="image/jpeg", background="#00ff00")
    assert near(rgb_at(im, 10, 10), GREEN)


async def test_jpeg_output_of_a_transparent_image_is_on_white(images, full_engine):
    _, _, im = await out(images, png(Image.new("RGBA", (20, 20), (0, 0, 0, 0))), fmt="image/jpeg")
    assert near(rgb_at(im, 10, 10), WHITE)


# -- fit: the geometry of every mode, per aspect ratio ---------------------------------------------------------------

# (source w, h, box w, h) -> output size, worked by hand from Cloudflare's definitions (docs/bindings/images.md)
LANDSCAPE, PORTRAIT, SQUARE = (300, 200), (200, 300), (200, 200)
FIT_TABLE = [
    # scale-down: inside the box, never upscaled
    ("scale-down", LANDSCAPE, (100, 100), (100, 67)),
    ("scale-down", LANDSCAPE, (600, 600), (300, 200)),
    ("scale-down", LANDSCAPE, (150, 50), (75, 50)),
    ("scale-down", LANDSCAPE, (400, 100), (150, 100)),
    ("scale-down", PORTRAIT, (100, 100), (67, 100)),
    ("scale-down", SQUARE, (600, 600), (200, 200)),
    # contain: inside the box, upscaled
    ("contain", LANDSCAPE, (100, 100), (100, 67)),
    ("contain", LANDSCAPE, (600, 600), (600, 400)),
    ("contain", LANDSCAPE, (400, 100), (150, 100)),
    ("contain", PORTRAIT, (600, 600), (400, 600)),
    ("contain", SQUARE, (600, 600), (600, 600)),
    # cover: exactly the box
    ("cover", LANDSCAPE, (100, 100), (100, 100)),
    ("cover", LANDSCAPE, (600, 600), (600, 600)),
    ("cover", LANDSCAPE, (150, 50), (150, 50)),
    ("cover", PORTRAIT, (100, 100), (100, 100)),
    ("cover", SQUARE, (400, 100), (400, 100)),
    # crop: like cover, but never upscaled (a small source keeps its size, cut to the box where it overflows)
    ("crop", LANDSCAPE, (100, 100), (100, 100)),
    ("crop", LANDSCAPE, (600, 600), (300, 200)),
    ("crop", LANDSCAPE, (150, 50), (150, 50)),
    ("crop", LANDSCAPE, (400, 100), (300, 100)),
    ("crop", PORTRAIT, (100, 100), (100, 100)),
    ("crop", SQUARE, (600, 600), (200, 200)),
    # aspect-crop: the box's aspect ratio, never upscaled
    ("aspect-crop", LANDSCAPE, (100, 100), (100, 100)),
    ("aspect-crop", LANDSCAPE, (600, 600), (200, 200)),
    ("aspect-crop", LANDSCAPE, (150, 50), (150, 50)),
    ("aspect-crop", LANDSCAPE, (400, 100), (300, 75)),
    ("aspect-crop", PORTRAIT, (600, 600), (200, 200)),
    # pad: contain, then the canvas is the box
    ("pad", LANDSCAPE, (100, 100), (100, 100)),
    ("pad", LANDSCAPE, (600, 600), (600, 600)),
    ("pad", PORTRAIT, (400, 100), (400, 100)),
    ("pad", SQUARE, (150, 50), (150, 50)),
    # squeeze: exactly the box, distorted
    ("squeeze", LANDSCAPE, (100, 100), (100, 100)),
    ("squeeze", PORTRAIT, (600, 150), (600, 150)),
    ("squeeze", SQUARE, (150, 50), (150, 50)),
]


@pytest.mark.parametrize(("fit", "source", "box", "expected"), FIT_TABLE, ids=lambda v: str(v))
async def test_fit_geometry(images, full_engine, fit, source, box, expected):
    _, _, im = await out(images, png(halves(*source)), {"width": box[0], "height": box[1], "fit": fit})
    assert im.size == expected


@pytest.mark.parametrize(
    ("fit", "source", "box", "expected"),
    [
        # the worked examples on Cloudflare's fit page
        ("scale-down", (1080, 720), (500, 500), (500, 333)),
        ("cover", (1080, 720), (500, 500), (500, 500)),
        ("crop", (1080, 720), (1296, 1296), (1080, 720)),
        ("pad", (1080, 720), (1080, 1080), (1080, 1080)),
        ("aspect-crop", (612, 613), (1920, 1120), (612, 357)),
    ],
)
async def test_fit_examples_from_cloudflares_docs(images, full_engine, fit, source, box, expected):
    _, _, im = await out(images, png(Image.new("RGB", source, RED)), {"width": box[0], "height": box[1], "fit": fit})
    assert im.size == expected


@pytest.mark.parametrize(
    ("fit", "width", "expected"),
    [
        ("scale-down", 150, (150, 100)),
        ("scale-down", 600, (300, 200)),
        ("contain", 600, (600, 400)),
        ("cover", 600, (600, 400)),
        ("crop", 600, (300, 200)),
        ("pad", 600, (600, 400)),
        ("squeeze", 600, (600, 400)),
    ],
)
async def test_one_side_keeps_the_aspect_ratio(images, full_engine, fit, width, expected):
    _, _, im = await out(images, png(halves(300, 200)), {"width": width, "fit": fit})
    assert im.size == expected


async def test_width_only_downscale(images):
    """The one resize Miniflare's binding and flarebind agree on: a width smaller than the source."""
    _, _, im = await out(images, png(halves(300, 200)), {"width": 150})
    assert im.size == (150, 100)
    assert near(rgb_at(im, 20, 50), RED) and near(rgb_at(im, 130, 50), BLUE)


async def test_height_only_downscale(images):
    _, _, im = await out(images, png(halves(300, 200)), {"height": 100})
    assert im.size == (150, 100)


async def test_pad_fills_with_the_background(images, full_engine):
    _, _, im = await out(
        images,
        png(Image.new("RGB", (300, 200), RED)),
        {"width": 100, "height": 100, "fit": "pad", "background": "#0000ff"},
    )
    assert im.size == (100, 100)
    assert near(rgb_at(im, 50, 2), BLUE) and near(rgb_at(im, 50, 97), BLUE)  # bands above and below
    assert near(rgb_at(im, 50, 50), RED)


async def test_pad_without_background_is_white(images, full_engine):
    _, _, im = await out(images, png(Image.new("RGB", (300, 200), RED)), {"width": 100, "height": 100, "fit": "pad"})
    assert near(rgb_at(im, 50, 2), WHITE)


async def test_squeeze_distorts(images, full_engine):
    _, _, im = await out(images, png(halves(300, 200)), {"width": 100, "height": 300, "fit": "squeeze"})
    assert im.size == (100, 300)
    assert near(rgb_at(im, 20, 150), RED) and near(rgb_at(im, 80, 150), BLUE)


# -- gravity -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gravity", "left", "right"),
    [
        ("left", RED, RED),
        ("right", BLUE, BLUE),
        ("center", RED, BLUE),
        ({"x": 0, "y": 0.5}, RED, RED),
        ({"x": 1, "y": 0.5}, BLUE, BLUE),
        ({"x": 0.25, "y": 0.5, "mode": "box-center"}, RED, RED),
        ({"x": 0.75, "y": 0.5, "mode": "box-center"}, BLUE, BLUE),
        ("0x0.5", RED, RED),
    ],
    ids=str,
)
async def test_gravity_picks_the_kept_part_of_a_cover_crop(images, full_engine, gravity, left, right):
    # 400x200 red|blue into 100x100: scaled to 200x100, then 100 px of width are kept
    _, _, im = await out(
        images, png(halves(400, 200)), {"width": 100, "height": 100, "fit": "cover", "gravity": gravity}
    )
    assert im.size == (100, 100)
    assert near(rgb_at(im, 5, 50), left) and near(rgb_at(im, 94, 50), right)


@pytest.mark.parametrize(("gravity", "color"), [("top", RED), ("bottom", BLUE)])
async def test_gravity_top_and_bottom(images, full_engine, gravity, color):
    source = halves(200, 400, RED, BLUE, vertical=True)
    _, _, im = await out(images, png(source), {"width": 100, "height": 100, "fit": "crop", "gravity": gravity})
    assert im.size == (100, 100)
    assert near(rgb_at(im, 50, 5), color) and near(rgb_at(im, 50, 94), color)


async def test_gravity_auto_keeps_the_detailed_part(images, full_engine):
    source = Image.new("RGB", (400, 200), (128, 128, 128))
    rng = random.Random(7)
    detail = Image.new("RGB", (200, 200))
    detail.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(200 * 200)])
    source.paste(detail, (200, 0))
    _, _, im = await out(images, png(source), {"width": 100, "height": 100, "fit": "cover", "gravity": "auto"})
    grey = sum(n for n, color in im.convert("RGB").getcolors(100 * 100) if color == (128, 128, 128))
    assert grey < 100 * 100 * 0.1  # the kept window is the noisy half, not the flat grey one


async def test_gravity_face_falls_back_to_the_centre_and_accepts_zoom(images, full_engine):
    _, _, im = await out(
        images, png(halves(400, 200)), {"width": 100, "height": 100, "fit": "cover", "gravity": "face", "zoom": 0.5}
    )
    assert near(rgb_at(im, 5, 50), RED) and near(rgb_at(im, 94, 50), BLUE)


# -- rotate, flip, trim, dpr ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("angle", "size", "samples"),
    [
        (90, (200, 300), {(100, 20): RED, (100, 280): BLUE}),  # clockwise: the left side goes to the top
        (180, (300, 200), {(20, 100): BLUE, (280, 100): RED}),
        (270, (200, 300), {(100, 20): BLUE, (100, 280): RED}),
    ],
)
async def test_rotate(images, angle, size, samples):
    _, _, im = await out(images, png(halves(300, 200)), {"rotate": angle})
    assert im.size == size
    for (x, y), color in samples.items():
        assert near(rgb_at(im, x, y), color)


async def test_width_and_height_refer_to_axes_after_rotation(images, full_engine):
    _, _, im = await out(images, png(halves(300, 200)), {"rotate": 90, "width": 100})
    assert im.size == (100, 150)


@pytest.mark.parametrize(
    ("flip", "samples"),
    [
        ("h", {(5, 5): GREEN, (195, 5): RED, (5, 195): YELLOW}),
        ("v", {(5, 5): BLUE, (195, 5): YELLOW, (5, 195): RED}),
        ("hv", {(5, 5): YELLOW, (195, 195): RED}),
    ],
)
async def test_flip(images, full_engine, flip, samples):
    _, _, im = await out(images, png(quadrants()), {"flip": flip})
    for (x, y), color in samples.items():
        assert near(rgb_at(im, x, y), color)


async def test_flip_happens_before_rotation(images, full_engine):
    # flip h then rotate 90 clockwise: the (flipped) left side, blue, ends on top
    _, _, im = await out(images, png(halves(300, 200)), {"flip": "h", "rotate": 90})
    assert near(rgb_at(im, 100, 20), BLUE)


async def test_trim_by_sides_and_window(images, full_engine):
    _, _, im = await out(images, png(quadrants()), {"trim": {"top": 10, "left": 20, "width": 50, "height": 40}})
    assert im.size == (50, 40) and near(rgb_at(im, 25, 20), RED)
    _, _, im = await out(images, png(quadrants()), {"trim": {"right": 100, "bottom": 100}})
    assert im.size == (100, 100) and near(rgb_at(im, 99, 99), RED)


async def test_trim_happens_before_resizing(images, full_engine):
    _, _, im = await out(images, png(quadrants()), {"trim": {"left": 100}, "width": 50})
    assert im.size == (50, 100) and near(rgb_at(im, 25, 10), GREEN) and near(rgb_at(im, 25, 90), YELLOW)


async def test_trim_border(images, full_engine):
    framed = Image.new("RGB", (100, 80), WHITE)
    framed.paste(RED, (10, 15, 90, 65))
    _, _, im = await out(images, png(framed), {"trim": "border"})
    assert im.size == (80, 50) and near(rgb_at(im, 0, 0), RED)
    _, _, im = await out(images, png(framed), {"trim": {"border": {"color": "#ffffff", "tolerance": 10, "keep": 5}}})
    assert im.size == (90, 60) and near(rgb_at(im, 0, 0), WHITE) and near(rgb_at(im, 5, 5), RED)


async def test_dpr_multiplies_width_height_and_border(images, full_engine):
    _, _, im = await out(images, png(halves(400, 200)), {"width": 100, "dpr": 2})
    assert im.size == (200, 100)
    _, _, im = await out(
        images, png(halves(400, 200)), {"width": 100, "dpr": 2, "border": {"color": "red", "width": 3}}
    )
    assert im.size == (212, 112)


# -- colour ----------------------------------------------------------------------------------------------------------


def grey(level: int, size=(20, 20)):
    return png(Image.new("RGB", size, (level, level, level)))


async def test_brightness(images, full_engine):
    _, _, im = await out(images, grey(200), {"brightness": 0.5})
    assert near(rgb_at(im, 5, 5), (100, 100, 100), 3)


async def test_contrast(images, full_engine):
    source = halves(40, 20, (100, 100, 100), (160, 160, 160))
    _, _, im = await out(images, png(source), {"contrast": 0})
    assert rgb_at(im, 5, 5) == rgb_at(im, 35, 5)  # no contrast: one flat grey
    _, _, im = await out(images, png(source), {"contrast": 2})
    assert rgb_at(im, 5, 5)[0] < 100 - 20 and rgb_at(im, 35, 5)[0] > 160 + 20


async def test_gamma(images, full_engine):
    _, _, im = await out(images, grey(64), {"gamma": 2})
    assert near(rgb_at(im, 5, 5), (128, 128, 128), 2)  # 255 * (64/255) ** (1/2)
    _, _, im = await out(images, grey(128), {"gamma": 0.5})
    assert near(rgb_at(im, 5, 5), (64, 64, 64), 2)


async def test_saturation(images, full_engine):
    _, _, im = await out(images, png(Image.new("RGB", (20, 20), RED)), {"saturation": 0})
    r, g, b = rgb_at(im, 5, 5)
    assert r == g == b and 50 < r < 100  # red's luma, 76


async def test_background_under_transparency(images, full_engine):
    source = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    _, _, im = await out(images, png(source), {"background": "rgb(0 0 255)"})
    assert im.convert("RGBA").getpixel((10, 10)) == (0, 0, 255, 255)


async def test_blur_softens_an_edge(images, full_engine):
    _, _, sharp = await out(images, png(halves(100, 20, (0, 0, 0), WHITE)), {"blur": 0})
    _, _, blurred = await out(images, png(halves(100, 20, (0, 0, 0), WHITE)), {"blur": 20})
    assert rgb_at(sharp, 48, 10) == (0, 0, 0)
    assert 20 < rgb_at(blurred, 48, 10)[0] < 128 < rgb_at(blurred, 52, 10)[0] < 235


async def test_sharpen_steepens_an_edge(images, full_engine):
    from PIL import ImageFilter

    soft = halves(100, 20, (60, 60, 60), (190, 190, 190)).filter(ImageFilter.GaussianBlur(3))
    _, _, plain = await out(images, png(soft), {"sharpen": 0})
    _, _, sharpened = await out(images, png(soft), {"sharpen": 5})
    assert rgb_at(sharpened, 46, 10)[0] < rgb_at(plain, 46, 10)[0]
    assert rgb_at(sharpened, 54, 10)[0] > rgb_at(plain, 54, 10)[0]


async def test_border(images, full_engine):
    _, _, im = await out(images, png(Image.new("RGB", (40, 20), BLUE)), {"border": {"color": "#ff0000", "width": 5}})
    assert im.size == (50, 30) and near(rgb_at(im, 1, 1), RED) and near(rgb_at(im, 25, 15), BLUE)
    _, _, im = await out(
        images, png(Image.new("RGB", (40, 20), BLUE)), {"border": {"color": "green", "top": 3, "left": 7}}
    )
    assert im.size == (47, 23) and near(rgb_at(im, 3, 10), (0, 128, 0)) and near(rgb_at(im, 20, 1), (0, 128, 0))


async def test_border_is_added_after_resizing(images, full_engine):
    _, _, im = await out(images, png(halves(400, 200)), {"width": 100, "border": {"color": "black", "width": 10}})
    assert im.size == (120, 70)


async def test_transforms_apply_in_order(images, full_engine):
    # rotate then resize, versus resize then rotate: different shapes
    _, _, a = await out(images, png(halves(300, 200)), {"rotate": 90}, {"width": 100})
    _, _, b = await out(images, png(halves(300, 200)), {"width": 100}, {"rotate": 90})
    assert a.size == (100, 150) and b.size == (67, 100)


# -- metadata, orientation, animation ----------------------------------------------------------------------------------


def jpeg_with_exif(orientation=1) -> bytes:
    im = halves(300, 200)
    exif = Image.Exif()
    exif[0x010F] = "FlarebindCam"  # Make
    exif[0x8298] = "(c) flarebind"  # Copyright
    exif[0x0112] = orientation
    return encode(im, "JPEG", exif=exif.tobytes(), quality=95)


@pytest.mark.parametrize(
    ("metadata", "make", "copyright"),
    [(None, False, True), ("copyright", False, True), ("keep", True, True), ("none", False, False)],
)
async def test_metadata(images, full_engine, metadata, make, copyright):
    transform = {"metadata": metadata} if metadata else {}
    _, _, im = await out(images, jpeg_with_exif(), transform, fmt="image/jpeg")
    exif = im.getexif()
    assert (0x010F in exif) is make
    assert (0x8298 in exif) is copyright


async def test_exif_orientation_is_applied(images, full_engine):
    # orientation 6: the stored 300x200 picture is shown rotated 90 degrees clockwise
    _, _, im = await out(images, jpeg_with_exif(orientation=6), fmt="image/png")
    assert im.size == (200, 300)
    assert near(rgb_at(im, 100, 20), RED, 30) and near(rgb_at(im, 100, 280), BLUE, 30)


def animated_gif(frames=3) -> bytes:
    colors = [RED, GREEN, BLUE, YELLOW]
    seq = [Image.new("RGB", (40, 20), colors[i % 4]) for i in range(frames)]
    return encode(seq[0], "GIF", save_all=True, append_images=seq[1:], duration=100, loop=0)


@pytest.mark.parametrize("fmt", ["image/gif", "image/webp"])
async def test_animation_is_kept(images, full_engine, fmt):
    _, _, im = await out(images, animated_gif(), {"width": 20}, fmt=fmt)
    assert im.size == (20, 10)
    assert getattr(im, "n_frames", 1) == 3
    im.seek(1)
    assert near(rgb_at(im, 10, 5), GREEN, 30)


async def test_anim_false_keeps_the_first_frame(images, full_engine):
    _, _, im = await out(images, animated_gif(), fmt="image/gif", anim=False)
    assert getattr(im, "n_frames", 1) == 1 and near(rgb_at(im, 10, 5), RED, 30)


async def test_svg_is_passed_through(images, full_engine):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20"><rect width="10" height="20"/></svg>'
    result = await images.input(svg).transform({"width": 5}).output({"format": "image/png"})
    assert result.contentType() == "image/svg+xml"
    assert await result.response().bytes() == svg


# -- draw ------------------------------------------------------------------------------------------------------------


def logo(color=BLUE, size=(20, 10)) -> bytes:
    return png(Image.new("RGBA", size, (*color, 255)))


async def draw(images, base, overlay, options=None, fmt="image/png"):
    result = await images.input(base).draw(overlay, options or {}).output({"format": fmt})
    return Image.open(io.BytesIO(await result.response().bytes())).convert("RGBA")


@pytest.mark.parametrize(
    ("options", "inside", "outside"),
    [
        ({}, (50, 50), (5, 5)),  # centred
        ({"top": 0, "left": 0}, (5, 5), (50, 50)),
        ({"bottom": 0, "right": 0}, (95, 95), (50, 50)),
        ({"top": 10, "right": 10}, (85, 15), (5, 5)),
    ],
)
async def test_draw_positions(images, full_engine, options, inside, outside):
    im = await draw(images, png(Image.new("RGB", (100, 100), WHITE)), logo(), options)
    assert im.size == (100, 100)
    assert near(im.getpixel(inside), BLUE) and near(im.getpixel(outside), WHITE)


async def test_draw_opacity(images, full_engine):
    im = await draw(images, png(Image.new("RGB", (100, 100), WHITE)), logo(), {"opacity": 0.5})
    assert near(im.getpixel((50, 50)), (128, 128, 255), 3)


@pytest.mark.parametrize(
    ("repeat", "covered", "uncovered"),
    [(True, [(2, 2), (98, 98)], []), ("x", [(2, 50), (98, 50)], [(50, 2)]), ("y", [(50, 2), (50, 98)], [(2, 50)])],
)
async def test_draw_repeat(images, full_engine, repeat, covered, uncovered):
    im = await draw(images, png(Image.new("RGB", (100, 100), WHITE)), logo(), {"repeat": repeat})
    for point in covered:
        assert near(im.getpixel(point), BLUE), point
    for point in uncovered:
        assert near(im.getpixel(point), WHITE), point


async def test_draw_a_transformer(images, full_engine):
    overlay = images.input(logo(RED, (40, 40))).transform({"width": 10})
    im = await draw(images, png(Image.new("RGB", (100, 100), WHITE)), overlay, {"top": 0, "left": 0})
    assert near(im.getpixel((5, 5)), RED) and near(im.getpixel((15, 5)), WHITE)


async def test_a_drawn_transformer_is_consumed(images):
    overlay = images.input(logo())
    images.input(png(Image.new("RGB", (10, 10)))).draw(overlay)
    with pytest.raises(JsException) as info:
        images.input(png(Image.new("RGB", (10, 10)))).draw(overlay)
    assert str(info.value) == CONSUMED and info.value.code == 9525


async def test_a_draw_chain_crosses_the_wire(images):
    """A drawn transformer (its own transform) and a drawn stream, in one chain: accepted on both paths (the remote
    path builds the drawn transformer on the proxy as a pipeline); the canvas keeps its size."""
    base = png(Image.new("RGB", (60, 40), WHITE))
    chain = images.input(base).draw(images.input(logo(RED, (40, 40))).transform({"width": 10}), {"top": 0, "left": 0})
    result = await chain.draw(logo(), {"bottom": 0, "right": 0}).output({"format": "image/png"})
    im = Image.open(io.BytesIO(await result.response().bytes()))
    assert result.contentType() == "image/png" and im.size == (60, 40)


async def test_draw_then_transform(images, full_engine):
    base = png(Image.new("RGB", (100, 100), WHITE))
    result = await (
        images.input(base).draw(logo(), {"top": 0, "left": 0}).transform({"width": 50}).output({"format": "image/png"})
    )
    im = Image.open(io.BytesIO(await result.response().bytes())).convert("RGB")
    assert im.size == (50, 50) and near(im.getpixel((4, 2)), BLUE) and near(im.getpixel((40, 40)), WHITE)


@pytest.mark.parametrize(
    ("mode", "on_opaque", "on_clear"),
    [
        ("over", (0, 0, 255, 255), (0, 0, 255, 255)),
        ("in", (0, 0, 255, 255), (0, 0, 0, 0)),
        ("out", (0, 0, 0, 0), (0, 0, 255, 255)),
        ("atop", (0, 0, 255, 255), (0, 0, 0, 0)),
        ("xor", (0, 0, 0, 0), (0, 0, 255, 255)),
        ("lighter", (255, 0, 255, 255), (0, 0, 255, 255)),
    ],
)
async def test_draw_composite_modes(images, full_engine, mode, on_opaque, on_clear):
    # backdrop: left half opaque red, right half transparent; the overlay covers both
    backdrop = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    backdrop.paste((255, 0, 0, 255), (0, 0, 20, 20))
    im = await draw(images, png(backdrop), logo(BLUE, (40, 20)), {"composite": mode})
    got_opaque, got_clear = im.getpixel((10, 10)), im.getpixel((30, 10))
    if on_opaque[3] == 0:
        assert got_opaque[3] == 0
    else:
        assert near(got_opaque, on_opaque, 3) and got_opaque[3] == 255
    if on_clear[3] == 0:
        assert got_clear[3] == 0
    else:
        assert near(got_clear, on_clear, 3) and got_clear[3] == 255


# -- errors ----------------------------------------------------------------------------------------------------------


async def test_output_twice_is_9525(images):
    transformer = images.input(png(halves(10, 10)))
    await transformer.output({"format": "image/png"})
    error = await images_error(transformer.output({"format": "image/png"}))
    assert str(error) == CONSUMED and error.code == 9525


@pytest.mark.parametrize(
    "transform",
    [
        {"fit": "stretch"},
        {"width": -5},
        {"width": "wide"},
        {"rotate": 45},
        {"flip": "x"},
        {"blur": 300},
        {"sharpen": 11},
        {"gravity": "middle"},
        {"gravity": {"x": 2, "y": 0}},
        {"background": "not-a-colour"},
        {"border": {"color": "red", "width": "thick"}},
        {"trim": "sides"},
        {"metadata": "some"},
        {"zoom": 2},
        {"dpr": 0},
        {"nonsense": 1},
    ],
    ids=str,
)
async def test_bad_transform_options_are_9401(images, full_engine, transform):
    error = await images_error(images.input(png(halves(10, 10))).transform(transform).output({"format": "image/png"}))
    assert error.code == 9401
    assert re.match(r"IMAGES_TRANSFORM_ERROR 9401: ERROR: ", str(error))


@pytest.mark.parametrize(
    ("draw_options", "output"),
    [
        ({"opacity": 2}, {"format": "image/png"}),
        ({"repeat": "z"}, {"format": "image/png"}),
        ({"composite": "multiply"}, {"format": "image/png"}),
        ({}, {"format": "image/bmp"}),
        ({}, {"format": "image/png", "quality": 0}),
    ],
    ids=str,
)
async def test_bad_draw_and_output_options_are_9401(images, full_engine, draw_options, output):
    chain = images.input(png(halves(10, 10))).draw(logo(), draw_options)
    error = await images_error(chain.output(output))
    assert error.code == 9401


async def test_background_removal_is_refused_with_a_clear_error(images, full_engine):
    chain = images.input(png(halves(10, 10))).transform({"segment": "foreground"})
    error = await images_error(chain.output({"format": "image/png"}))
    assert error.code == 9401 and "not simulated by flarebind" in str(error)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (1-bit), with a tiny zlib stream: checked before decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


async def test_images_over_100_megapixels_are_9413(images, full_engine):
    data = _png_header_only(12000, 9000)  # 108 megapixels
    error = await images_error(images.input(data).output({"format": "image/png"}))
    assert error.code == 9413 and str(error).startswith("IMAGES_TRANSFORM_ERROR 9413: ")
    error = await images_error(images.info(data))
    assert error.code == 9413 and str(error).startswith("IMAGES_INFO_ERROR 9413: ")


async def test_inputs_over_70_mb_are_9402(images, full_engine):
    async def huge():
        for _ in range(71):
            yield b"\0" * (1024 * 1024)

    error = await images_error(images.input(huge()).output({"format": "image/png"}))
    assert error.code == 9402


async def test_hosted_images_say_they_are_not_simulated(images, full_engine):
    error = await images_error(images.hosted.list())
    assert "not simulated by flarebind" in str(error) and "remote = true" in str(error)
