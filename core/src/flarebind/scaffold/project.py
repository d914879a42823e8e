"""``flarebind init [DIR] --template NAME``: a new Worker project that runs with ``flarebind dev``, deploys with
``pywrangler deploy``, and has a test that uses flarebind's pytest plugin.

Templates are folders of ``*.tmpl`` files under ``projects/``; ``projects/common`` is added to every one
(``gitignore.tmpl`` becomes ``.gitignore``). ``__NAME__``, ``__DATE__`` and ``__DEPENDENCIES__`` (one name a line in a
template's ``dependencies.txt``) are substituted. The template names come from the folders, so the core names no
binding type (``core/tests/test_contract.py``).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from flarebind.scaffold import ScaffoldError, _walk

# templates the issue names that this branch cannot run yet, and why
UNAVAILABLE: dict[str, str] = {
    "durable-object": "Durable Objects are not simulated by flarebind on this version yet, so the project could not "
    "run under `flarebind dev`",
    "workflow": "Workflows are not simulated by flarebind on this version yet, so the project could not run under "
    "`flarebind dev`",
}
COMPATIBILITY_DATE = "2026-05-01"
WORKER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _projects() -> Any:
    return resources.files(__name__.rpartition(".")[0]).joinpath("projects")


def templates() -> list[str]:
    """The templates this version ships (the folders of ``projects/`` but ``common``)."""
    return sorted(e.name for e in _projects().iterdir() if e.is_dir() and e.name not in ("common", "__pycache__"))


def _dependencies(template: str) -> list[str]:
    listing = _projects().joinpath(template, "dependencies.txt")
    if not listing.is_file():
        return []
    return [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]


def new_project(directory: str | Path, template: str, name: str | None = None) -> Path:
    if template in UNAVAILABLE:
        raise ScaffoldError(f"the {template} template is not available: {UNAVAILABLE[template]}.")
    if template not in templates():
        raise ScaffoldError(f"unknown template {template!r}: choose one of {', '.join(templates())}.")
    root = Path(directory)
    name = name or re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")
    if not WORKER_NAME.match(name):
        raise ScaffoldError(
            f'"{name}" cannot name a Worker: use lower-case letters, digits and "-" (at most 63), e.g. my-worker; '
            "pass --name."
        )
    subs = {
        "__NAME__": name,
        "__DATE__": COMPATIBILITY_DATE,
        "__DEPENDENCIES__": ", ".join(f'"{d}"' for d in _dependencies(template)),
    }
    base = _projects()
    files = [*_walk(base.joinpath("common"), ""), *_walk(base.joinpath(template), "")]
    targets = [(source, root / _target_name(rel)) for source, rel in files]
    existing = [str(t) for _, t in targets if t.exists()]
    if existing:
        raise ScaffoldError(f"{', '.join(existing)} already exist(s); choose an empty directory.")
    for source, target in targets:
        text = source.read_text(encoding="utf-8")
        for key, value in subs.items():
            text = text.replace(key, value)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def _target_name(rel: str) -> str:
    rel = rel.removesuffix(".tmpl")
    return ".gitignore" if rel == "gitignore" else rel
