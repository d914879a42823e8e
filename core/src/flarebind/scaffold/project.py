"""``flarebind init [DIR] --template NAME``: a new Worker project that runs with ``flarebind dev``, deploys with
``pywrangler deploy``, and has a test that uses flarebind's pytest plugin.

Templates are folders of ``*.tmpl`` files under ``projects/``; ``projects/common`` is added to every one
(``gitignore.tmpl`` becomes ``.gitignore``). ``__NAME__``, ``__DATE__`` and ``__DEPENDENCIES__`` are substituted.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from flarebind.scaffold import ScaffoldError, _walk

# template -> the [project] dependencies its Worker imports
TEMPLATES: dict[str, list[str]] = {"hello": [], "fastapi": ["fastapi"], "d1": []}
# templates the issue names that this branch cannot run yet, and why
UNAVAILABLE: dict[str, str] = {
    "durable-object": "Durable Objects are not simulated by flarebind on this version yet, so the project could not "
    "run under `flarebind dev`",
    "workflow": "Workflows are not simulated by flarebind on this version yet, so the project could not run under "
    "`flarebind dev`",
}
COMPATIBILITY_DATE = "2026-05-01"
WORKER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def new_project(directory: str | Path, template: str, name: str | None = None) -> Path:
    if template in UNAVAILABLE:
        raise ScaffoldError(f"the {template} template is not available: {UNAVAILABLE[template]}.")
    if template not in TEMPLATES:
        raise ScaffoldError(f"unknown template {template!r}: choose one of {', '.join(TEMPLATES)}.")
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
        "__DEPENDENCIES__": ", ".join(f'"{d}"' for d in TEMPLATES[template]),
    }
    base = resources.files(__name__.rpartition(".")[0]).joinpath("projects")
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
