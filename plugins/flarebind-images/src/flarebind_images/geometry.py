"""Where each ``fit`` mode puts the pixels: pure arithmetic, no Pillow, so it is tested as a table.

Cloudflare's definitions (images/transform-images, the ``fit`` option):

========== ======================================= ================ ========
fit        result                                  keeps aspect     upscales
========== ======================================= ================ ========
scale-down whole image inside the box              yes              no
contain    whole image inside the box              yes              yes
cover      fills the box exactly, overflow cropped no               yes
crop       like cover, but never upscales          no               no
aspect-crop crop to the box's aspect, never upscale no              no
pad        contain, then the canvas grows to box   yes (+padding)   yes
squeeze    exactly the box, distorted              no               yes
========== ======================================= ================ ========

A :class:`Plan` says: resize the source to ``scaled``; then cut (or, for ``pad``, extend) to ``out``. Where to cut
or place is gravity's job (:func:`offset`).
"""

from __future__ import annotations

from typing import Any

import attrs

FITS = ("scale-down", "contain", "cover", "crop", "aspect-crop", "pad", "squeeze")


@attrs.frozen
class Plan:
    scaled: tuple[int, int]
    out: tuple[int, int]

    @property
    def pads(self) -> bool:
        return self.out[0] > self.scaled[0] or self.out[1] > self.scaled[1]

    @property
    def crops(self) -> bool:
        return self.out[0] < self.scaled[0] or self.out[1] < self.scaled[1]


def _px(value: float) -> int:
    return max(1, round(value))


def plan(src_w: int, src_h: int, width: float | None, height: float | None, fit: str | None) -> Plan:
    """The geometry of one resize: source ``src_w`` x ``src_h`` into a ``width`` x ``height`` box."""
    fit = fit or "scale-down"
    if not width and not height:
        return Plan((src_w, src_h), (src_w, src_h))
    no_upscale = fit in ("scale-down", "crop", "aspect-crop")
    if not width or not height:
        # one side given: the other follows the aspect ratio, so every mode is a plain (maybe capped) scale
        s = (width / src_w) if width else (height / src_h)  # type: ignore[operator]
        if no_upscale:
            s = min(s, 1.0)
        size = (_px(src_w * s), _px(src_h * s))
        return Plan(size, size)
    w, h = int(width), int(height)
    if fit == "squeeze":
        return Plan((w, h), (w, h))
    if fit in ("scale-down", "contain", "pad"):
        s = min(w / src_w, h / src_h)
        if fit == "scale-down":
            s = min(s, 1.0)
        size = (_px(src_w * s), _px(src_h * s))
        return Plan(size, (w, h) if fit == "pad" else size)
    s = max(w / src_w, h / src_h)
    if fit == "cover":
        return Plan((max(w, _px(src_w * s)), max(h, _px(src_h * s))), (w, h))
    s = min(s, 1.0)
    sw, sh = (max(w, _px(src_w * s)), max(h, _px(src_h * s))) if s < 1.0 else (src_w, src_h)
    if fit == "crop":
        return Plan((sw, sh), (min(w, sw), min(h, sh)))
    # aspect-crop: the largest box of the requested aspect ratio inside the (never upscaled) image
    aspect = w / h
    if sw / sh > aspect:
        return Plan((sw, sh), (min(sw, _px(sh * aspect)), sh))
    return Plan((sw, sh), (sw, min(sh, _px(sw / aspect))))


SIDES = {"left": (0.0, 0.5), "right": (1.0, 0.5), "top": (0.5, 0.0), "bottom": (0.5, 1.0), "center": (0.5, 0.5)}


def offset(scaled: tuple[int, int], out: tuple[int, int], gravity: Any) -> tuple[int, int]:
    """Top-left corner of the ``out`` box inside ``scaled`` (crop), or of ``scaled`` inside ``out`` (pad, negated).

    ``gravity`` is a side name, ``center``, or ``{x, y, mode}`` with fractions of the source (``mode``
    ``remainder``, the default: the fraction of the free space left of/above the box; ``box-center``: the box is
    centred on the point, then kept inside). Saliency modes (``auto``, ``entropy``, ``face``) are resolved to a
    point before this is called.
    """
    fx, fy, mode = 0.5, 0.5, "remainder"
    if isinstance(gravity, str):
        fx, fy = SIDES.get(gravity, (0.5, 0.5))
    elif isinstance(gravity, dict):
        fx = float(gravity.get("x", 0.5) if gravity.get("x") is not None else 0.5)
        fy = float(gravity.get("y", 0.5) if gravity.get("y") is not None else 0.5)
        mode = gravity.get("mode") or "remainder"
    return _axis(scaled[0], out[0], fx, mode), _axis(scaled[1], out[1], fy, mode)


def _axis(scaled: int, out: int, fraction: float, mode: str) -> int:
    free = scaled - out
    if free == 0:
        return 0
    if free < 0:  # padding: where the image sits on the larger canvas
        return -round(-free * fraction)
    if mode == "box-center":
        return min(max(round(fraction * scaled - out / 2), 0), free)
    return round(free * fraction)
