"""The Worker's upload size against Cloudflare's documented limits.

Cloudflare's limits page (workers/platform/limits) documents a Worker size of 64 MiB on every plan since the
2026-05 change that removed the former compressed limits (3 MB on Workers Free, 10 MB on Workers Paid). The 64 MiB
is an error; the former per-plan compressed limits are reported as warnings for ``--plan``, since older wrangler
versions still check them before uploading.

The bundle is what pywrangler uploads: the Worker's source folder (the entry module's folder) and the vendored
``python_modules/`` next to the config.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from flarebind.doctor.findings import Finding

MIB = 1024 * 1024
MAX_UNCOMPRESSED = 64 * MIB
FORMER_COMPRESSED = {"free": 3 * MIB, "paid": 10 * MIB}
_SKIP_DIRS = {"__pycache__", ".wrangler", ".venv", "node_modules", ".git", "tests"}


def bundle_files(project: Any) -> list[Path]:
    roots = [project.src_dir, project.root / "python_modules"]
    files: list[Path] = []
    seen: set[Path] = set()
    for folder in roots:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if any(part in _SKIP_DIRS for part in path.relative_to(folder).parts) or not path.is_file():
                continue
            if path not in seen:
                seen.add(path)
                files.append(path)
    return files


def compressed_size(files: list[Path]) -> int:
    """The gzip-compressed size of the files one after the other (as wrangler measures its upload)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    total = 0
    for path in files:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                total += len(compressor.compress(chunk))
    return total + len(compressor.flush())


def _largest_folder(files: list[Path], root: Path) -> str:
    sizes: dict[str, int] = {}
    for path in files:
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        top = "/".join(rel.parts[:2]) if len(rel.parts) > 2 else str(rel)
        sizes[top] = sizes.get(top, 0) + path.stat().st_size
    top, size = max(sizes.items(), key=lambda kv: kv[1])
    return f"{top} ({size / MIB:.1f} MiB)"


def check(project: Any) -> list[Finding]:
    files = bundle_files(project)
    if not files:
        return []
    raw = sum(p.stat().st_size for p in files)
    fix = (
        f"the largest part is {_largest_folder(files, project.root)}: drop what the Worker does not import, and keep "
        "large data in R2, KV or D1 instead of the bundle"
    )
    if raw > MAX_UNCOMPRESSED:
        return [
            Finding(
                "error",
                "size",
                f"the Worker bundle is {raw / MIB:.1f} MiB: over the 64 MiB Worker size limit",
                fix,
                project.root,
            )
        ]
    packed = compressed_size(files)
    limit = FORMER_COMPRESSED[project.plan]
    if packed > limit:
        return [
            Finding(
                "warning",
                "size",
                f"the Worker bundle is {packed / MIB:.1f} MiB compressed: over the former {limit // MIB} MB limit of "
                f"the Workers {project.plan.capitalize()} plan that older wrangler versions enforce",
                fix,
                project.root,
            )
        ]
    return []
