"""``flarebind plugin new NAME``: a plugin distribution for a new binding type, whose own tests pass as generated.

The files are the templates in ``template/`` (``*.tmpl``) with the names below substituted; ``src/`` becomes the
package directory. ``docs/writing-a-plugin.md`` walks through what is generated.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class ScaffoldError(Exception):
    """The name or the target directory cannot be used; the message says why."""


def names(name: str) -> dict[str, str]:
    """The substitutions for ``name`` (a config key such as ``feature_flags``)."""
    if not NAME.match(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(
            f'"{name}" cannot name a binding type: use lower-case letters, digits and single "_" (it becomes the '
            "config key, the type name and part of the Python package name), e.g. feature_flags."
        )
    words = name.split("_")
    return {
        "__NAME__": name,
        "__DIST__": "flarebind-" + "-".join(words),
        "__PKG__": "flarebind_" + name,
        "__CLASS__": "".join(w.capitalize() for w in words),
        "__FRIENDLY__": " ".join(w.capitalize() for w in words),
        "__BINDING__": name.upper(),
        "__CMD__": "-".join(words),
    }


def new_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the distribution into ``directory/flarebind-<name>``; returns that path. Refuses to overwrite."""
    subs = names(name)
    root = Path(directory) / subs["__DIST__"]
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another directory or remove it first.")
    template = resources.files(__name__).joinpath("template")
    for source, rel in _walk(template, ""):
        target_rel = rel.removesuffix(".tmpl")
        if target_rel.startswith("src/"):
            target_rel = f"src/{subs['__PKG__']}/{target_rel[4:]}"
        text = source.read_text(encoding="utf-8")
        for key, value in subs.items():
            text = text.replace(key, value)
        target = root / target_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def _walk(folder: Any, prefix: str) -> list[tuple[Any, str]]:
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                out.extend(_walk(entry, rel + "/"))
        elif entry.name.endswith(".tmpl"):
            out.append((entry, rel))
    return out
