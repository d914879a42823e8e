"""Images: a 12-megapixel JPEG to an 800 px WebP, throughput and peak RSS, flarebind's Pillow engine vs Miniflare's
local Images binding (sharp), side by side (issue 14).

Both sides do what a Worker does: ``env.IMAGES.input(body).transform({width: 800}).output({format:
"image/webp"})`` and read the result, one image at a time after one warm-up. flarebind runs in a child Python
process (its whole peak RSS counted); Miniflare's binding runs sharp inside Node (workerd posts the image to Node's
loopback), so its peak is Node's plus workerd's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import (
    FLAREBIND,
    MINIFLARE,
    MetricDef,
    Side,
    Skip,
    Target,
    Workload,
    module_missing,
    run_node,
    run_python_child,
)
from bench.workloads.common import Timer, rate

METRICS = [
    MetricDef("transform", "12 MP JPEG → 800 px WebP", "images/s"),
    MetricDef("megapixels", "input megapixels decoded and resized", "MP/s"),
    MetricDef("peak_rss", "peak RSS while transforming", "MiB", higher_is_better=False),
]


def params(quick: bool) -> dict[str, Any]:
    # quick (CI smoke): a 2 MP source and two images; the full run: 4000 x 3000 and ten images
    return {"size": [1600, 1200] if quick else [4000, 3000], "n": 2 if quick else 10, "width": 800}


def make_source(path: Path, size: list[int]) -> Path:
    """A photo-like JPEG (smooth gradients plus grain, quality 90) of ``size``, drawn once per run."""
    if path.exists():
        return path
    try:
        from PIL import Image, ImageFilter
    except ImportError as exc:
        raise Skip(f"Pillow is not installed ({exc})") from exc
    w, h = size
    r = Image.linear_gradient("L").resize((w, h))
    g = Image.radial_gradient("L").resize((w, h))
    b = Image.effect_noise((w // 8, h // 8), 80).resize((w, h), Image.Resampling.BICUBIC)
    photo = Image.merge("RGB", (r, g, b)).filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((w, h), 24).convert("RGB")
    Image.blend(photo, grain, 0.12).save(path, "JPEG", quality=90)
    return path


async def flarebind_child(p: dict[str, Any]) -> dict[str, Any]:
    missing = module_missing("flarebind_images.local:make_local")
    if missing:
        raise Skip(missing)
    from flarebind.testing.bindings import open_bindings
    from PIL import Image

    from bench import proc

    data = Path(p["source"]).read_bytes()
    out: dict[str, Any] = {}
    async with open_bindings("local") as make:
        images = await make("images", {}, "IMAGES")

        async def once() -> int:
            result = await images.input(data).transform({"width": p["width"]}).output({"format": "image/webp"})
            body = await result.response().bytes()
            import io

            if Image.open(io.BytesIO(body)).width != p["width"]:
                raise RuntimeError("the output is not the requested width")
            return len(body)

        await once()  # warm-up: imports and codec set-up, as Miniflare's first request loads sharp
        proc.reset_peak()
        with Timer() as t:
            for _ in range(p["n"]):
                await once()
        out["transform"] = rate(p["n"], t.seconds)
        out["peak_rss"] = proc.memory_kib()["hwm"] / 1024
    return out


def _megapixels(p: dict[str, Any]) -> float:
    return p["size"][0] * p["size"][1] / 1e6


def run_flarebind(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    source = make_source(workdir / "source.jpg", p["size"])
    out = run_python_child("bench.workloads.images:flarebind_child", {**p, "source": str(source)})
    out["megapixels"] = out["transform"] * _megapixels(p)
    return out


def run_miniflare(variant: str, p: dict[str, Any], workdir: Path) -> dict[str, Any]:
    source = make_source(workdir / "source.jpg", p["size"])
    res = run_node("mf-images.mjs", {"source": str(source), "n": p["n"], "width": p["width"]})
    widths = {o["width"] for o in res["outputs"]}
    if widths != {p["width"]}:
        raise RuntimeError(f"Miniflare's outputs have widths {sorted(widths)}, expected {p['width']}")
    throughput = rate(p["n"], res["wall_ms"] / 1000)
    peak = (res["node_peak_kib"] or 0) + (res["workerd_peak_kib"] or 0)
    return {"transform": throughput, "megapixels": throughput * _megapixels(p), "peak_rss": peak / 1024 or None}


def _throughput_target(v):
    fb, mf = v(FLAREBIND, "local", "transform"), v(MINIFLARE, "local", "transform")
    if fb is None or mf is None:
        return None, "not measured"
    return fb / mf >= 2, f"{fb / mf:.1f}× Miniflare"


def _memory_target(v):
    fb, mf = v(FLAREBIND, "local", "peak_rss"), v(MINIFLARE, "local", "peak_rss")
    if fb is None or mf is None:
        return None, "not measured"
    return fb <= mf / 2, f"flarebind {fb:.0f} MiB vs Miniflare {mf:.0f} MiB ({fb / mf:.2f}×)"


WORKLOAD = Workload(
    name="images",
    title="Images",
    description="A 12-megapixel JPEG (4000 × 3000) resized to 800 px wide and encoded as WebP through the Images "
    "binding, ten times, one at a time after a warm-up (2 MP and twice with --quick).",
    metrics=METRICS,
    sides=[Side(FLAREBIND, run_flarebind), Side(MINIFLARE, run_miniflare)],
    variants=lambda quick: ["local"],
    params=params,
    requires=lambda: module_missing("flarebind_images.local:make_local"),
    targets=[
        Target("transform throughput ≥ 2× Miniflare", _throughput_target),
        Target("peak RSS ≤ ½ Miniflare's", _memory_target),
    ],
    notes=[
        "flarebind decodes a JPEG straight at a reduced DCT scale (libjpeg via Pillow's draft mode) when the resize "
        "shrinks it by half or more; sharp does the same (libvips shrink-on-load), so both skip full-size decoding.",
        "Peak RSS: flarebind's whole child Python process; Miniflare's Node process (where sharp runs) plus workerd.",
        "WebP encoders: flarebind uses libwebp quality 85 (Cloudflare's default quality) with method 2, whose files "
        "are within a few per cent of method 4's at a fraction of the time; sharp's defaults are quality 80, "
        "effort (method) 4.",
    ],
)
