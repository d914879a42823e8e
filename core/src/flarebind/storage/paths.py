"""Folder names made from resource names (a KV namespace id, an R2 bucket name): confined to the state folder.

A config can come from an untrusted clone, so a resource name that becomes a path must be one plain folder name:
``"../../x"`` or ``"/abs"`` would otherwise make ``root / name`` point anywhere the user can write. Config
validation reports bad names first (with wrangler's texts where it has them); this is the last check where the
path is built.
"""

from __future__ import annotations

from pathlib import Path

# what a single folder name may not be or contain (POSIX and Windows separators, NUL, the dot segments)
_FORBIDDEN_CHARS = ("/", "\\", "\0")


class UnsafeResourceName(ValueError):
    """A resource name that cannot be used as one folder name inside the state folder."""


def unsafe_folder_name_reason(name: str) -> str | None:
    """Why ``name`` cannot be one folder name (``None`` when it can)."""
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return f'"{name}" names a folder outside the resource\'s own'
    for char in _FORBIDDEN_CHARS:
        if char in name:
            return f"it contains {'NUL' if char == chr(0) else repr(char)}"
    return None


def confined(root: Path, name: str, what: str) -> Path:
    """``root / name`` after checking ``name`` is one plain folder name that stays inside ``root``.

    ``what`` names the resource in the error, e.g. ``"R2 bucket name"``.
    """
    reason = unsafe_folder_name_reason(name)
    if reason is None:
        path = Path(root) / name
        # belt and braces: the joined path's parent must be root itself
        if path.parent == Path(root):
            return path
        reason = "it does not stay inside the state folder"
    raise UnsafeResourceName(
        f"The {what} {name!r} cannot be used for local state: {reason}. "
        "Resource names that become folders must be one plain name (no '/', '\\', NUL, '.' or '..')."
    )
