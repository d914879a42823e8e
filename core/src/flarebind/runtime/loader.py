"""Load a Python Worker's main module the way workerd does, freshly on every (re)load.

``main`` (e.g. ``src/entry.py``) is imported by its bare stem with its directory first on ``sys.path`` (so sibling
modules import as top-level names) and ``python_modules/`` beside the config after it. Modules loaded from the
Worker's own directories are forgotten on unload, so a reload sees edited code; third-party packages stay cached.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs

from flarebind.errors import FlarebindError
from flarebind.runtime import isolation
from flarebind.runtime.compat import Compat

LEGACY_HANDLERS = {
    "fetch": "on_fetch",
    "scheduled": "on_scheduled",
    "queue": "on_queue",
    "alarm": "on_alarm",
    "trace": "on_trace",
    "pubsub": "on_pubsub",
}


class WorkerLoadError(FlarebindError):
    """The Worker could not be loaded: a bad ``main``, an exception while importing it, or no default handler."""


@attrs.define
class LoadedWorker:
    main: Path
    module: ModuleType
    default_class: type | None
    legacy: dict[str, Callable[..., Any]]
    module_names: list[str]
    path_entries: list[str]

    def handler_names(self) -> list[str]:
        if self.default_class is not None:
            return [n for n in ("fetch", "scheduled", "queue") if callable(getattr(self.default_class, n, None))]
        return list(self.legacy)

    saved: dict[str, ModuleType] = attrs.field(factory=dict)

    def unload(self) -> None:
        """Forget the Worker's modules and path entries (kept aside, so :meth:`restore` can bring them back).

        Modules are found again at unload time, so siblings first imported inside a handler are forgotten too.
        """
        prefixes = tuple(entry + os.sep for entry in self.path_entries[:1])  # source dir; not python_modules/
        names = set(self.module_names)
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str) and file.startswith(prefixes):
                names.add(name)
        self.saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
        isolation.forget(self.path_entries[0])
        for entry in self.path_entries:
            try:
                sys.path.remove(entry)
            except ValueError:
                pass

    def restore(self) -> None:
        """Make this (last good) version current again after a failed reload."""
        for index, entry in enumerate(self.path_entries):
            sys.path.insert(index, entry)
        sys.modules.update(self.saved)
        isolation.register(self.path_entries[0], self.path_entries, self.saved)


def _under(path: str | None, roots: list[Path]) -> bool:
    if not path:
        return False
    try:
        resolved = Path(path).resolve()
    except OSError:
        return False
    return any(resolved == root or root in resolved.parents for root in roots)


# -- several Workers in one process (flarebind dev -c a -c b) ---------------------------------------------------------
# Each Worker's source folder is remembered; while one Worker loads, the modules imported from the *other* Workers'
# folders are set aside, so its `import utils` finds its own utils.py, not a same-named sibling of another Worker.
# They are put back afterwards; from then on `isolation` gives each Worker its own module for an import run later
# (inside a handler), whichever Worker loaded last.
_SOURCE_DIRS: set[str] = set()


def _set_aside(source_dir: Path) -> dict[str, ModuleType]:
    others = tuple(d + os.sep for d in _SOURCE_DIRS if d != str(source_dir))
    if not others:
        return {}
    aside = {n: m for n, m in sys.modules.items() if str(getattr(m, "__file__", None) or "").startswith(others)}
    for name in aside:
        del sys.modules[name]
    return aside


def _put_back(aside: dict[str, ModuleType]) -> None:
    for name, module in aside.items():
        sys.modules.setdefault(name, module)


def load_worker(main: str | Path, compat: Compat, *, project_dir: Path | None = None) -> LoadedWorker:
    aside = _set_aside(Path(main).resolve().parent)
    try:
        worker = _load_worker(main, compat, project_dir=project_dir)
    finally:
        _put_back(aside)
    _SOURCE_DIRS.add(str(worker.main.parent))
    isolation.register(
        worker.path_entries[0],
        worker.path_entries,
        {n: sys.modules[n] for n in worker.module_names if n in sys.modules},
    )
    return worker


def _load_worker(main: str | Path, compat: Compat, *, project_dir: Path | None = None) -> LoadedWorker:
    """Import the Worker's main module and find its default handler; raises :class:`WorkerLoadError`."""
    from flarebind.runtime.sdk.entrypoints import WorkerEntrypoint

    main_path = Path(main)
    if main_path.suffix != ".py":
        raise WorkerLoadError(f"Main module needs to end with a .py file extension (main = {str(main)!r})")
    main_path = main_path.resolve()
    if not main_path.is_file():
        raise WorkerLoadError(f"The main module {main_path} does not exist (check `main` in your Wrangler config).")
    source_dir = main_path.parent
    roots = [source_dir]
    path_entries = [str(source_dir)]
    vendor = (project_dir or source_dir) / "python_modules"
    if vendor.is_dir():
        path_entries.append(str(vendor.resolve()))
    for index, entry in enumerate(path_entries):
        sys.path.insert(index, entry)

    stem = main_path.stem
    before = set(sys.modules)
    # a module of the same name cached from elsewhere (a stdlib or site-packages name) must not shadow the Worker
    shadowed = sys.modules.pop(stem, None)
    importlib.invalidate_caches()
    write_bytecode = sys.dont_write_bytecode
    # no .pyc for Worker code: a same-second, same-size edit would otherwise load stale bytecode on reload
    sys.dont_write_bytecode = True
    try:
        spec = importlib.util.spec_from_file_location(stem, main_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[stem] = module
        spec.loader.exec_module(module)
    except BaseException as exc:
        _forget(before, roots, stem)
        for entry in path_entries:
            if entry in sys.path:
                sys.path.remove(entry)
        if shadowed is not None:
            sys.modules[stem] = shadowed
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise WorkerLoadError(_import_error_text(main_path, exc)) from exc
    finally:
        sys.dont_write_bytecode = write_bytecode

    names = [
        n for n in set(sys.modules) - before if n == stem or _under(getattr(sys.modules[n], "__file__", None), roots)
    ]
    worker = LoadedWorker(main_path, module, None, {}, names, path_entries)
    try:
        _discover(worker, compat, WorkerEntrypoint)
    except WorkerLoadError:
        worker.unload()
        raise
    return worker


def _forget(before: set[str], roots: list[Path], stem: str) -> None:
    for name in set(sys.modules) - before:
        if name == stem or _under(getattr(sys.modules[name], "__file__", None), roots):
            sys.modules.pop(name, None)


def _import_error_text(main: Path, exc: BaseException) -> str:
    # keep the traceback to the Worker's frames: the importlib machinery above them is noise
    here = str(Path(__file__).resolve())
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename and f.filename != here
    ]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
    hint = ""
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.split(".")[0] == main.parent.name:
        hint = (
            f"\nNote: the main module's directory ({main.parent.name}/) is itself on the import path, "
            f"so import its siblings as top-level modules (`import x`, not `import {main.parent.name}.x`)."
        )
    return f"Uncaught exception while loading {main.name}:\nTraceback (most recent call last):\n{text}{hint}".rstrip()


def exported_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n in vars(module) if not n.startswith("_")]


def _discover(worker: LoadedWorker, compat: Compat, base: type) -> None:
    module = worker.module
    exported = exported_names(module)
    default = getattr(module, "Default", None) if "Default" in exported else None
    if default is not None and not (isinstance(default, type) and issubclass(default, base)):
        raise WorkerLoadError(
            f"{worker.main.name}: `Default` must be a class that subclasses workers.WorkerEntrypoint "
            f"(found {type(default).__name__})."
        )
    legacy = {
        kind: getattr(module, fn_name)
        for kind, fn_name in LEGACY_HANDLERS.items()
        if fn_name in exported and callable(getattr(module, fn_name, None))
    }
    if default is not None and legacy:
        raise WorkerLoadError(
            f"Cannot define multiple default entrypoints: {worker.main.name} defines class Default and "
            f"{', '.join(LEGACY_HANDLERS[k] for k in legacy)}; keep one of them."
        )
    if default is None and legacy and not compat.legacy_handlers:
        names = ", ".join(LEGACY_HANDLERS[k] for k in legacy)
        raise WorkerLoadError(
            f"{worker.main.name} defines module-level {names}, but global handlers are off for compatibility date "
            f"{compat.date} (python_no_global_handlers, the default from 2025-08-14). Define "
            "`class Default(WorkerEntrypoint)` with `async def fetch(self, request)`, or add "
            '"disable_python_no_global_handlers" to compatibility_flags.'
        )
    if default is None and not legacy:
        raise WorkerLoadError(
            f"{worker.main.name} has no default handler: define `class Default(WorkerEntrypoint)` with "
            "`async def fetch(self, request)` (from workers import WorkerEntrypoint)"
            + ("" if not compat.legacy_handlers else ", or a module-level `on_fetch(request, env, ctx)`")
            + "."
        )
    worker.default_class = default
    worker.legacy = legacy
