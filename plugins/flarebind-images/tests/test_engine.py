"""The engine below the binding: fit geometry as properties, and bounded memory for a large JPEG (a real child
process, its own peak RSS from /proc)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flarebind_images import geometry
from hypothesis import given
from hypothesis import strategies as st

sides = st.integers(min_value=1, max_value=5000)


@given(sides, sides, sides, sides)
def test_scale_down_fits_inside_and_never_upscales(sw, sh, w, h):
    p = geometry.plan(sw, sh, w, h, "scale-down")
    assert p.out == p.scaled
    assert p.out[0] <= max(1, min(w, sw)) and p.out[1] <= max(1, min(h, sh))
    assert max(p.out[0] / sw, p.out[1] / sh) <= 1 + 1 / min(sw, sh)


@given(sides, sides, sides, sides)
def test_cover_and_squeeze_and_pad_are_exactly_the_box(sw, sh, w, h):
    for fit in ("cover", "squeeze", "pad"):
        assert geometry.plan(sw, sh, w, h, fit).out == (w, h)
    cover = geometry.plan(sw, sh, w, h, "cover")
    assert cover.scaled[0] >= w and cover.scaled[1] >= h  # cover covers: only cropping is left


@given(sides, sides, sides, sides)
def test_contain_touches_the_box(sw, sh, w, h):
    p = geometry.plan(sw, sh, w, h, "contain")
    assert p.out[0] <= w and p.out[1] <= h
    assert p.out[0] == w or p.out[1] == h or min(p.out) == 1


@given(sides, sides, sides, sides)
def test_crop_never_upscales_and_never_exceeds_the_box(sw, sh, w, h):
    p = geometry.plan(sw, sh, w, h, "crop")
    assert p.out[0] <= w and p.out[1] <= h
    assert p.out[0] <= p.scaled[0] and p.out[1] <= p.scaled[1]
    assert p.scaled[0] <= max(sw, w) and p.scaled[1] <= max(sh, h)


@given(sides, sides, st.integers(10, 5000), st.integers(10, 5000))
def test_aspect_crop_has_the_box_aspect(sw, sh, w, h):
    p = geometry.plan(sw, sh, w, h, "aspect-crop")
    if min(p.out) >= 20:
        assert abs(p.out[0] / p.out[1] - w / h) < 0.1 * (w / h) + 0.05
    assert p.out[0] <= p.scaled[0] and p.out[1] <= p.scaled[1]


def test_gravity_offsets():
    assert geometry.offset((200, 100), (100, 100), "left") == (0, 0)
    assert geometry.offset((200, 100), (100, 100), "right") == (100, 0)
    assert geometry.offset((200, 100), (100, 100), "center") == (50, 0)
    assert geometry.offset((200, 100), (100, 100), {"x": 0.2, "y": 0.5}) == (20, 0)
    assert geometry.offset((200, 100), (100, 100), {"x": 0.2, "mode": "box-center"}) == (0, 0)
    assert geometry.offset((200, 100), (100, 100), {"x": 0.6, "mode": "box-center"}) == (70, 0)
    assert geometry.offset((100, 50), (100, 100), "center") == (0, -25)  # pad: image 25 px down the canvas


CHILD = textwrap.dedent(
    """
    import io, json, sys
    from pathlib import Path
    from PIL import Image

    from flarebind_images import engine, options

    def peak_kib():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    buf = io.BytesIO()
    Image.effect_noise((1500, 1000), 50).convert("RGB").resize((6000, 4000)).save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    del buf
    # warm the codecs on a small image, then measure the big one alone
    small = io.BytesIO(); Image.new("RGB", (64, 64)).save(small, "JPEG")
    engine.run(engine.Job(small.getvalue(), [options.check_transform({"width": 32})]), {"format": "image/webp"})
    Path("/proc/self/clear_refs").write_text("5")
    base = peak_kib()
    out = engine.run(engine.Job(data, [options.check_transform({"width": 600})]), {"format": "image/webp"})
    width = Image.open(io.BytesIO(out.data)).width
    print(json.dumps({"growth_kib": peak_kib() - base, "width": width}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_24_megapixel_jpeg_is_never_decoded_at_full_size():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["width"] == 600
    # full size would be 6000 x 4000 x 3 bytes = 69 MiB of pixels alone; the 1/8 DCT decode is ~1 MiB
    assert result["growth_kib"] < 24 * 1024, result
