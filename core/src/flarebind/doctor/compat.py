"""Compatibility date and flags against the features the Worker's code uses.

Dates are workerd's (``compatibility-date.capnp``) as collected in the project's reference notes: a flag named
here is either set explicitly or implied by a compatibility date on or after the one given.
"""

from __future__ import annotations

import ast
from typing import Any

from flarebind.doctor.cpython import import_graph
from flarebind.doctor.findings import Finding

# flag -> the compatibility date from which it is on by default (None: never implied, set it explicitly)
IMPLIED_FROM: dict[str, str | None] = {
    "python_workers": None,
    "python_workers_20250116": "2025-09-29",
    "python_workflows": "2025-09-20",
    "python_no_global_handlers": "2025-08-14",
    "python_workers_force_new_vendor_path": "2025-08-11",
}


def enabled(flag: str, date: str | None, flags: tuple[str, ...]) -> bool:
    if flag in flags:
        return True
    if f"disable_{flag}" in flags:
        return False
    since = IMPLIED_FROM.get(flag)
    return bool(since and date and date >= since)


def _uses(tree: ast.Module) -> dict[str, int]:
    """Features the code uses, with the first line: workflow entrypoints, run_sync (JSPI), module-level handlers."""
    used: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if name == "WorkflowEntrypoint":
                    used.setdefault("workflow", node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module in {"pyodide.ffi", "workers"}
            and any(a.name == "run_sync" for a in node.names)
        ):
            used.setdefault("run_sync", node.lineno)
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in {"on_fetch", "on_scheduled"}:
            used.setdefault("global_handler", stmt.lineno)
    return used


def check(project: Any) -> list[Finding]:
    findings: list[Finding] = []
    config = project.root
    date, flags = project.compatibility_date, project.compatibility_flags
    if not date:
        findings.append(
            Finding(
                "error",
                "compat",
                "no compatibility_date: Python Workers need one",
                'set compatibility_date = "<today>" in the config',
                config,
            )
        )
    if "python_workers" not in flags:
        findings.append(
            Finding(
                "error",
                "compat",
                'the "python_workers" compatibility flag is missing: Cloudflare runs no Python Worker without it',
                'add "python_workers" to compatibility_flags',
                config,
            )
        )
    if (project.root / "vendor").is_dir() and enabled("python_workers_force_new_vendor_path", date, flags):
        findings.append(
            Finding(
                "warning",
                "compat",
                "vendor/ is not on sys.path from compatibility date 2025-08-11 (python_workers_force_new_vendor_path)",
                "vendor packages into python_modules/ instead (pywrangler sync does this)",
                project.root / "vendor",
            )
        )
    if project.main is None or not project.main.is_file():
        return findings
    for path, tree in import_graph(project.src_dir, project.main):
        used = _uses(tree)
        if "workflow" in used and not enabled("python_workflows", date, flags):
            findings.append(
                Finding(
                    "error",
                    "compat",
                    "a WorkflowEntrypoint needs the python_workflows compatibility flag (implied from 2025-09-20; "
                    f"the compatibility date is {date})",
                    'add "python_workflows" to compatibility_flags, or set compatibility_date to 2025-09-20 or later',
                    path,
                    used["workflow"],
                )
            )
        if "run_sync" in used and not enabled("python_workers_20250116", date, flags):
            findings.append(
                Finding(
                    "error",
                    "compat",
                    "run_sync needs JSPI, which only the Python >= 3.13 runtimes have",
                    'add "python_workers_20250116" to compatibility_flags, or set compatibility_date to 2025-09-29 or '
                    "later",
                    path,
                    used["run_sync"],
                )
            )
        if "global_handler" in used and enabled("python_no_global_handlers", date, flags):
            findings.append(
                Finding(
                    "error",
                    "compat",
                    "module-level on_fetch/on_scheduled handlers are not called from compatibility date 2025-08-14 "
                    "(python_no_global_handlers)",
                    "move the handler into `class Default(WorkerEntrypoint)` as `async def fetch(self, request)`, or "
                    'add "disable_python_no_global_handlers" to compatibility_flags',
                    path,
                    used["global_handler"],
                )
            )
    return findings


__all__ = ["IMPLIED_FROM", "check", "enabled"]
