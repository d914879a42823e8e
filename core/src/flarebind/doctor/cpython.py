"""CPython-only behaviour in the Worker's import graph, found by reading the code (nothing is imported).

The graph is the entry module and every module of the Worker's own source folder it imports, transitively.
Python Workers run in Pyodide inside a V8 isolate: no threads, no processes, no raw sockets before Python 3.14, a
file system that is in memory (only /tmp is writable and it is not shared), and the module top level runs once
when Cloudflare snapshots the Worker at deploy, so import-time sockets, timers and random seeds are frozen or fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flarebind.doctor.findings import Finding

# module -> (level, why, fix), reported once per importing module
BANNED_IMPORTS: dict[str, tuple[str, str, str]] = {
    "subprocess": (
        "error",
        "subprocess cannot start processes in a Worker (there is no OS process to spawn)",
        "call the work over HTTP (a service binding or fetch) or do it in Python in-process",
    ),
    "multiprocessing": (
        "error",
        "multiprocessing needs OS processes, which Workers do not have",
        "run the work in-process, split it across requests, or hand it to a Queue consumer or a Workflow",
    ),
    "concurrent.futures": (
        "warning",
        "concurrent.futures executors need threads or processes, which Pyodide cannot start",
        "use asyncio (asyncio.gather) for concurrency",
    ),
    "threading": (
        "warning",
        "threading: Pyodide cannot start threads (Thread.start raises RuntimeError)",
        "use asyncio tasks (ctx.wait_until for work after the response) instead of threads",
    ),
    "_thread": (
        "warning",
        "_thread: Pyodide cannot start threads",
        "use asyncio tasks instead of threads",
    ),
    "socket": (
        "warning",
        "raw sockets: Python Workers have no BSD sockets (only the Python 3.14 runtime, python_workers_20260610, "
        "routes them through Workers' TCP connect())",
        "use fetch (httpx.AsyncClient / aiohttp) for HTTP, or the python_workers_20260610 flag for TCP clients",
    ),
}
SYNC_HTTP = {
    "requests": "requests",
    "urllib3": "urllib3",
    "urllib.request": "urllib.request",
}
SYNC_HTTP_FIX = (
    "use httpx.AsyncClient or aiohttp (Pyodide runs them over the Workers fetch API); synchronous requests/urllib3 "
    "work only through urllib3's Emscripten backend (urllib3 >= 2.2, which requests uses), and only on runtimes with "
    "JSPI: set python_workers_20250116 (Python >= 3.13)"
)
# calls that must not run at import time: (module, attribute) -> why
IMPORT_TIME_CALLS: dict[tuple[str, str], str] = {
    ("random", "seed"): "seeds the random generator at import: the snapshot freezes the state, every instance "
    "would draw the same numbers (Cloudflare's python_check_rng_state refuses import-time entropy)",
    ("random", "random"): "draws random numbers at import: the value is frozen into the snapshot",
    ("random", "randint"): "draws random numbers at import: the value is frozen into the snapshot",
    ("os", "urandom"): "reads entropy at import: the value is frozen into the snapshot",
    ("socket", "socket"): "opens a socket at import: a snapshot cannot hold an open socket",
    ("socket", "create_connection"): "opens a connection at import: a snapshot cannot hold an open socket",
    ("threading", "Timer"): "starts a timer at import: a snapshot cannot hold a running timer",
    ("threading", "Thread"): "starts a thread at import: Pyodide cannot start threads",
    ("time", "sleep"): "sleeps at import: it delays every cold start and the deploy-time snapshot",
}
IMPORT_TIME_FIX = "move it into the handler (or a lazily-initialised helper called from it)"


def _module_file(src: Path, dotted: str) -> Path | None:
    base = src.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(src: Path, path: Path) -> list[str]:
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1]  # a module's package; for a package's __init__ the package itself is parts[:-1] too


def import_graph(src: Path, main: Path) -> list[tuple[Path, ast.Module]]:
    """The Worker's own modules reachable from ``main`` (third-party and stdlib imports are not followed)."""
    out: list[tuple[Path, ast.Module]] = []
    seen: set[Path] = set()
    todo = [main]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        out.append((path, tree))
        package = _package_of(src, path) if path.is_relative_to(src) else []
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1] if node.level > 1 else package
                    prefix = ".".join([*base, node.module] if node.module else base)
                else:
                    prefix = node.module or ""
                names = [prefix] + [f"{prefix}.{a.name}" if prefix else a.name for a in node.names]
            for name in names:
                found = _module_file(src, name) if name else None
                if found is not None:
                    todo.append(found)
    return out


def _imported_modules(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module, node.lineno


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import: the module body and the bodies of top-level if/try/with/for blocks."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _top_level_statements(inner)
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _top_level_statements(handler.body)


def _walk_outside_defs(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of one top-level statement that run at import (not the bodies of functions, lambdas, classes,
    nor nested blocks, which :func:`_top_level_statements` yields on their own)."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.stmt)):
                continue
            todo.append(child)


def _aliases(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
    """local name -> (module, attribute or None): ``import random as r`` -> r: (random, None);
    ``from threading import Thread`` -> Thread: (threading, Thread)."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = (node.module, a.name)
    return names


def _call_target(call: ast.Call, aliases: dict[str, tuple[str, str | None]]) -> tuple[str, str] | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module, attr = aliases.get(func.value.id, (None, None))
        if module is not None and attr is None:
            return module, func.attr
    if isinstance(func, ast.Name):
        module, attr = aliases.get(func.id, (None, None))
        if module is not None and attr is not None:
            return module, attr
    return None


def _writes_outside_tmp(call: ast.Call) -> str | None:
    """The constant path ``open(path, "w")`` / ``Path(path).write_text`` writes to, when it is outside /tmp."""
    func = call.func
    path: ast.expr | None = None
    if isinstance(func, ast.Name) and func.id == "open" and call.args:
        mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
            path = call.args[0]
    elif (
        isinstance(func, ast.Attribute)
        and func.attr in {"write_text", "write_bytes", "mkdir", "touch"}
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id in {"Path", "PurePath"}
        and func.value.args
    ):
        path = func.value.args[0]
    if (
        isinstance(path, ast.Constant)
        and isinstance(path.value, str)
        and not (path.value == "/tmp" or path.value.startswith("/tmp/"))
    ):
        return path.value
    return None


def check(project: Any) -> list[Finding]:
    if project.main is None or not project.main.is_file():
        return []
    findings: list[Finding] = []
    for path, tree in import_graph(project.src_dir, project.main):
        reported: set[str] = set()
        for module, line in _imported_modules(tree):
            banned = BANNED_IMPORTS.get(module) or BANNED_IMPORTS.get(module.split(".")[0])
            key = module if module in BANNED_IMPORTS else module.split(".")[0]
            if banned and key not in reported:
                reported.add(key)
                level, why, fix = banned
                findings.append(Finding(level, "cpython", f"imports {key}: {why}", fix, path, line))
            http = SYNC_HTTP.get(module) or SYNC_HTTP.get(module.split(".")[0])
            if http and http not in reported:
                reported.add(http)
                findings.append(
                    Finding(
                        "warning",
                        "cpython",
                        f"imports {http}, a synchronous HTTP client: it blocks and has no sockets to use in a Worker",
                        SYNC_HTTP_FIX,
                        path,
                        line,
                    )
                )
        aliases = _aliases(tree)
        top = list(_top_level_statements(tree.body))
        for stmt in top:
            for node in _walk_outside_defs(stmt):
                if not isinstance(node, ast.Call):
                    continue
                target = _call_target(node, aliases)
                if target is not None and target in IMPORT_TIME_CALLS:
                    findings.append(
                        Finding(
                            "error",
                            "cpython",
                            f"{target[0]}.{target[1]}() runs at import time: {IMPORT_TIME_CALLS[target]}",
                            IMPORT_TIME_FIX,
                            path,
                            node.lineno,
                        )
                    )
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                written = _writes_outside_tmp(node)
                if written is not None:
                    findings.append(
                        Finding(
                            "warning",
                            "cpython",
                            f"writes to {written!r}: a Worker's file system is in memory and per instance; only /tmp "
                            "is writable",
                            "write under /tmp for scratch files, or store the data in KV, R2 or D1",
                            path,
                            node.lineno,
                        )
                    )
    return findings
