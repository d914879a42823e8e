"""Checking and normalising the options of ``transform``, ``draw`` and ``output`` (errors are code 9401).

The runtime itself checks nothing when ``transform()`` or ``draw()`` is called (it only records them); Cloudflare's
backend rejects bad options when ``output()`` runs, so the binding calls these checks there.
"""

from __future__ import annotations

import re
from typing import Any

from flarebind_images.errors import BAD_OPTIONS, EngineError
from flarebind_images.geometry import FITS, SIDES

OUTPUT_FORMATS = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "rgb", "rgba")
FLIPS = ("h", "v", "hv")
ROTATIONS = (0, 90, 180, 270)
GRAVITY_WORDS = (*SIDES, "auto", "entropy", "face")
GRAVITY_MODES = ("remainder", "box-center")
METADATA = ("keep", "copyright", "none")
COMPOSITES = ("over", "in", "atop", "out", "xor", "lighter")
PERCEPTUAL_QUALITY = {"high": 90, "medium-high": 80, "medium-low": 65, "low": 50}
TRANSFORM_KEYS = {
    "width", "height", "fit", "gravity", "rotate", "flip", "blur", "sharpen", "brightness", "contrast", "gamma",
    "saturation", "background", "border", "trim", "dpr", "zoom", "metadata", "quality", "segment", "anim",
    "format", "onerror", "compression", "draw", "slow-connection-quality",
}  # fmt: skip
DRAW_KEYS = {"opacity", "repeat", "composite", "top", "left", "bottom", "right"}
OUTPUT_KEYS = {"format", "quality", "background", "anim", "metadata"}


def bad(text: str) -> EngineError:
    return EngineError(BAD_OPTIONS, text)


def _number(options: dict[str, Any], key: str, low: float, high: float, *, integer: bool = False) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise bad(f"{key} must be a number, got {value!r}")
    if not low <= value <= high:
        raise bad(f"{key} must be between {low:g} and {high:g}, got {value!r}")
    if integer and int(value) != value:
        raise bad(f"{key} must be an integer, got {value!r}")
    return float(value)


def check_transform(options: Any) -> dict[str, Any]:
    """One ``transform({...})`` step, validated; returns a plain dict."""
    if not isinstance(options, dict):
        raise bad(f"a transform must be an object, got {type(options).__name__}")
    t = dict(options)
    unknown = sorted(set(t) - TRANSFORM_KEYS)
    if unknown:
        raise bad(f"unknown transform option {unknown[0]!r}")
    _number(t, "width", 1, 12000)
    _number(t, "height", 1, 12000)
    _number(t, "dpr", 0.01, 3)
    _number(t, "blur", 0, 250)
    _number(t, "sharpen", 0, 10)
    _number(t, "brightness", 0, 10)
    _number(t, "contrast", 0, 10)
    _number(t, "gamma", 0.01, 10)
    _number(t, "saturation", 0, 10)
    _number(t, "zoom", 0, 1)
    if t.get("fit") is not None and t["fit"] not in FITS:
        raise bad(f"fit must be one of {', '.join(FITS)}, got {t['fit']!r}")
    if t.get("flip") is not None and t["flip"] not in FLIPS:
        raise bad(f"flip must be one of h, v, hv, got {t['flip']!r}")
    if t.get("rotate") is not None and (isinstance(t["rotate"], bool) or t["rotate"] not in ROTATIONS):
        raise bad(f"rotate must be 0, 90, 180 or 270, got {t['rotate']!r}")
    if t.get("metadata") is not None and t["metadata"] not in METADATA:
        raise bad(f"metadata must be one of keep, copyright, none, got {t['metadata']!r}")
    if t.get("segment") is not None:
        if t["segment"] != "foreground":
            raise bad(f"segment must be 'foreground', got {t['segment']!r}")
        # background removal needs Cloudflare's segmentation model; there is no faithful local equivalent
        raise EngineError(
            BAD_OPTIONS,
            "segment: 'foreground' (background removal) is not simulated by flarebind; use remote = true",
        )
    if t.get("quality") is not None:
        t["quality"] = check_quality(t["quality"])
    if t.get("gravity") is not None:
        t["gravity"] = check_gravity(t["gravity"])
    if t.get("background") is not None:
        t["background"] = parse_color(t["background"], "background")
    if t.get("border") is not None:
        t["border"] = _check_border(t["border"])
    if t.get("trim") is not None:
        t["trim"] = _check_trim(t["trim"])
    return t


def check_quality(value: Any) -> int:
    if isinstance(value, str) and value in PERCEPTUAL_QUALITY:
        return PERCEPTUAL_QUALITY[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 100:
        raise bad(f"quality must be 1 to 100 or one of high, medium-high, medium-low, low, got {value!r}")
    return int(value)


def check_gravity(value: Any) -> Any:
    if isinstance(value, str):
        if value in GRAVITY_WORDS:
            return value
        match = re.fullmatch(r"([0-9.]+)x([0-9.]+)", value)  # the URL form 0.5x0.2
        if match:
            value = {"x": float(match[1]), "y": float(match[2])}
        else:
            raise bad(f"gravity must be a side, auto, entropy, face or {{x, y}}, got {value!r}")
    if not isinstance(value, dict):
        raise bad(f"gravity must be a side, auto, entropy, face or {{x, y}}, got {value!r}")
    for axis in ("x", "y"):
        _number(value, axis, 0, 1)
    if value.get("mode") is not None and value["mode"] not in GRAVITY_MODES:
        raise bad(f"gravity.mode must be remainder or box-center, got {value['mode']!r}")
    return dict(value)


def _check_border(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(f"border must be an object, got {value!r}")
    out: dict[str, Any] = {"color": parse_color(value.get("color", "#000000"), "border.color")}
    for key in ("width", "top", "right", "bottom", "left"):
        _number(value, key, 0, 1000)
    width = value.get("width")
    for side in ("top", "right", "bottom", "left"):
        out[side] = float(value.get(side, width or 0) or 0)
    return out


def _check_trim(value: Any) -> Any:
    if value == "border":
        return {"border": {}}
    if not isinstance(value, dict):
        raise bad(f"trim must be 'border' or an object, got {value!r}")
    for key in ("top", "right", "bottom", "left", "width", "height"):
        _number(value, key, 0, 100000)
    border = value.get("border")
    if border is not None and border is not False:
        if border is True:
            border = {}
        if not isinstance(border, dict):
            raise bad(f"trim.border must be true or an object, got {border!r}")
        _number(border, "tolerance", 0, 255)
        _number(border, "keep", 0, 100000)
        if border.get("color") is not None:
            border = {**border, "color": parse_color(border["color"], "trim.border.color")}
    return {**value, "border": border if border not in (None, False) else None}


def check_draw(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise bad(f"draw options must be an object, got {type(options).__name__}")
    unknown = sorted(set(options) - DRAW_KEYS)
    if unknown:
        raise bad(f"unknown draw option {unknown[0]!r}")
    _number(options, "opacity", 0, 1)
    for key in ("top", "left", "bottom", "right"):
        _number(options, key, -100000, 100000)
    repeat = options.get("repeat")
    if repeat is not None and repeat not in (True, False, "x", "y"):
        raise bad(f"repeat must be true, false, 'x' or 'y', got {repeat!r}")
    composite = options.get("composite")
    if composite is not None and composite not in COMPOSITES:
        raise bad(f"composite must be one of {', '.join(COMPOSITES)}, got {composite!r}")
    return dict(options)


def check_output(options: Any) -> dict[str, Any]:
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise bad(f"output options must be an object, got {type(options).__name__}")
    out = dict(options)
    fmt = out.get("format")
    if fmt is None:
        out["format"] = "image/jpeg"  # what Miniflare's backend does with the runtime's "undefined" format
    elif fmt not in OUTPUT_FORMATS:
        raise bad(f"Unsupported output format {fmt!r}, expected one of: {', '.join(OUTPUT_FORMATS)}")
    if out.get("quality") is not None:
        out["quality"] = check_quality(out["quality"])
    if out.get("background") is not None:
        out["background"] = parse_color(out["background"], "background")
    if out.get("metadata") is not None and out["metadata"] not in METADATA:
        raise bad(f"metadata must be one of keep, copyright, none, got {out['metadata']!r}")
    return out


def parse_color(value: Any, what: str) -> tuple[int, int, int, int]:
    """A CSS colour (``#rgb``, ``#rrggbb[aa]``, names, ``rgb()``/``rgba()`` with commas or CSS4 spaces) as RGBA."""
    from PIL import ImageColor

    if isinstance(value, (list, tuple)) and len(value) == 4:
        return tuple(int(c) for c in value)  # type: ignore[return-value]
    if not isinstance(value, str):
        raise bad(f"{what} must be a CSS color, got {value!r}")
    text = value.strip().lower()
    match = re.fullmatch(r"(rgba?)\(\s*([^)]*)\)", text)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match[2]) if p]
        if len(parts) not in (3, 4):
            raise bad(f"{what} is not a valid CSS color: {value!r}")
        try:
            rgb = [_channel(p) for p in parts[:3]]
            alpha = _alpha(parts[3]) if len(parts) == 4 else 255
        except ValueError:
            raise bad(f"{what} is not a valid CSS color: {value!r}") from None
        return (rgb[0], rgb[1], rgb[2], alpha)
    try:
        color = ImageColor.getrgb(text)
    except ValueError:
        raise bad(f"{what} is not a valid CSS color: {value!r}") from None
    return (color[0], color[1], color[2], color[3] if len(color) == 4 else 255)


def _channel(text: str) -> int:
    if text.endswith("%"):
        return max(0, min(255, round(float(text[:-1]) * 2.55)))
    return max(0, min(255, round(float(text))))


def _alpha(text: str) -> int:
    if text.endswith("%"):
        return max(0, min(255, round(float(text[:-1]) * 2.55)))
    value = float(text)
    return max(0, min(255, round(value * 255 if value <= 1 else value)))
