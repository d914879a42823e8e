"""flarebind's ``workers`` / ``asgi`` / ``js`` / ``pyodide`` shims against Cloudflare's SDK (``workers-runtime-sdk``
from PyPI, a test dependency), name by name.

The SDK is read as source (``ast``): it imports ``js`` and ``pyodide`` at the top and cannot be imported outside the
runtime. Every name its modules make public must exist in the shim of the same module, and every ``js`` / ``pyodide``
name the SDK itself uses must exist in flarebind's shims, except the ones listed below with why (the blockers to
running the real SDK on flarebind's shims, see docs/fidelity.md). A name the SDK adds or the shims lose fails here.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest
from flarebind.runtime.finder import install_shims, uninstall_shims

try:
    SDK = importlib.metadata.distribution("workers-runtime-sdk")
except importlib.metadata.PackageNotFoundError:  # Python 3.10: the SDK needs 3.11+ (pyproject marker)
    pytest.skip("workers-runtime-sdk is not installed (it needs Python 3.11+)", allow_module_level=True)

SDK_ROOT = Path(str(SDK.locate_file("")))

# Public module-level names of the SDK's modules that are its adapters' implementation, not API: the bridges'
# internals (request_to_scope, process_request …) that flarebind implements differently. Everything else public
# must be in the shim.
IMPLEMENTATION_ONLY = {
    "workers.asgi": {
        "ASGI",
        "DEFAULT_OPTIONS",
        "NULL_BODY_STATUSES",
        "acquire_js_buffer",
        "background_tasks",
        "close_stream_quietly",
        "logger",
        "process_request",
        "process_websocket",
        "request_to_scope",
        "run_in_background",
        "start_application",
    },
    "workers.wsgi": {"DEFAULT_OPTIONS", "NULL_BODY_STATUSES", "build_environ", "logger", "process_request"},
}

# js / pyodide names the SDK uses that flarebind's shims lack: each is a blocker to running the real SDK here
# (docs/fidelity.md "Running the real SDK"). When one is added, drop it from this list.
KNOWN_MISSING = {
    "js.Array",
    "js.DurableObjectState",
    "js.Env",
    "js.ExecutionContext",
    "js.ReadableStream",
    "js.TransformStream",
    "js.WebSocketPair",
    "js.queueMicrotask",
    "pyodide.ffi.JsBuffer",
}


def _module_file(module: str) -> Path:
    parts = module.split(".")
    package = SDK_ROOT.joinpath(*parts, "__init__.py")
    return package if package.exists() else SDK_ROOT.joinpath(*parts[:-1], parts[-1] + ".py")


def _public_names(module: str) -> set[str]:
    """``__all__`` if the module has one, else its public top-level defs, classes, assignments and ``__getattr__``
    names (``workers.env``, ``asgi.env``)."""
    tree = ast.parse(_module_file(module).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            for compare in ast.walk(node):
                if isinstance(compare, ast.Compare) and isinstance(compare.comparators[0], ast.Constant):
                    names.add(compare.comparators[0].value)
    return {n for n in names if not n.startswith("_")}


def _sdk_js_uses() -> Iterator[tuple[str, str]]:
    """``(module, name)`` for every ``from js import X`` / ``from pyodide.x import Y`` / ``js.X`` in the SDK."""
    for path in [*sorted((SDK_ROOT / "workers").rglob("*.py")), SDK_ROOT / "asgi.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("js", "pyodide"):
                for alias in node.names:
                    yield node.module, alias.name
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "js"
                and node.attr[:1].isalpha()
            ):
                yield "js", node.attr


@pytest.fixture
def shims() -> Iterator[None]:
    install_shims()
    try:
        yield
    finally:
        uninstall_shims()


def _has(module: str, name: str) -> bool:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return False
    try:
        getattr(mod, name)
    except RuntimeError:  # workers.env outside a request: the name exists
        return True
    except AttributeError:
        return False
    return True


# shim module -> the SDK module whose public names it must have (top-level ``asgi`` re-exports ``workers.asgi``)
SURFACE = {
    "workers": "workers",
    "workers.asgi": "workers.asgi",
    "workers.wsgi": "workers.wsgi",
    "workers.workflows": "workers.workflows",
    "workers.rpc": "workers.rpc",
    "asgi": "workers.asgi",
}


@pytest.mark.parametrize("module", SURFACE)
def test_every_public_sdk_name_exists_in_the_shim(shims: None, module: str) -> None:
    public = _public_names(SURFACE[module])
    assert public, f"no public names found in the SDK's {module}: the comparison would prove nothing"
    skipped = IMPLEMENTATION_ONLY.get(SURFACE[module], set())
    assert skipped <= public, f"{module}: IMPLEMENTATION_ONLY lists names the SDK no longer has: {skipped - public}"
    missing = sorted(name for name in public - skipped if not _has(module, name))
    assert missing == [], f"the SDK's {module} has public names the flarebind shim lacks: {missing}"


def test_js_and_pyodide_names_the_sdk_uses_exist_in_the_shims(shims: None) -> None:
    used = set(_sdk_js_uses())
    assert ("js", "Response") in used  # the scan found the SDK's FFI use
    missing = {f"{module}.{name}" for module, name in used if not _has(module, name)}
    unexpected = missing - KNOWN_MISSING
    assert not unexpected, f"the SDK uses js/pyodide names the shims lack (new blockers): {sorted(unexpected)}"
    # (a blocker another branch fixes is fine: only the SDK's use of every listed name is pinned)
    assert {f"{m}.{n}" for m, n in used} >= KNOWN_MISSING, "KNOWN_MISSING names a js/pyodide name the SDK does not use"


def test_the_comparison_fails_when_a_name_is_missing(shims: None, monkeypatch: pytest.MonkeyPatch) -> None:
    workers = importlib.import_module("workers")
    monkeypatch.delattr(workers, "FormData")
    assert not _has("workers", "FormData")
    assert "FormData" in _public_names("workers")
