"""Each Worker's own modules when several Workers share one interpreter (``flarebind dev -c a -c b``).

``sys.modules`` has one slot per module name, so two Workers that both have a ``helpers.py`` would otherwise share
whichever was imported last, and an ``import helpers`` run inside a handler could get the other Worker's module.
Every ``import`` statement passes the importing module's globals to ``__import__``, so the importer's file tells which
Worker is asking, whatever the interleaving of handlers on the event loop. While two or more Workers are loaded,
``builtins.__import__`` is wrapped: when the name asked for belongs to another Worker (or is not imported yet), that
Worker's modules of that name are set aside, the asking Worker's are put in, and its source folders go first on
``sys.path`` for the import. The common case (the module in ``sys.modules`` is already the asker's, or belongs to no
Worker) is one dictionary lookup more than a plain import.

Not covered: ``importlib.import_module(name)`` (it does not go through ``__import__``), and vendored packages in
``python_modules/`` (a third-party package of one name is shared, as in a plain interpreter).
"""

from __future__ import annotations

import builtins
import os
import sys
import threading
from types import ModuleType
from typing import Any

_original_import = builtins.__import__
_lock = threading.RLock()
_modules: dict[str, dict[str, ModuleType]] = {}  # Worker source folder -> its modules by name
_paths: dict[str, list[str]] = {}  # Worker source folder -> its sys.path entries
_file_owner: dict[str, str | None] = {}  # importer's file -> its Worker's source folder (cache)


def register(root: str, path_entries: list[str], modules: dict[str, ModuleType]) -> None:
    """A Worker whose source folder is ``root`` has loaded ``modules``."""
    with _lock:
        _modules[root] = dict(modules)
        _paths[root] = list(path_entries)
        _file_owner.clear()
        for name, module in list(sys.modules.items()):  # siblings it imported since, too
            if _root_of(getattr(module, "__file__", None)) == root:
                _modules[root].setdefault(name, module)
        _install()


def forget(root: str) -> None:
    """The Worker at ``root`` unloaded (a reload registers it again)."""
    with _lock:
        _modules.pop(root, None)
        _paths.pop(root, None)
        _file_owner.clear()
        _install()


def _install() -> None:
    # only with two Workers or more: a single Worker imports exactly as plain Python does
    builtins.__import__ = _import if len(_modules) > 1 else _original_import


def _root_of(file: Any) -> str | None:
    if not isinstance(file, str):
        return None
    try:
        return _file_owner[file]
    except KeyError:
        pass
    root = next((r for r in _modules if file.startswith(r + os.sep)), None)
    _file_owner[file] = root
    return root


def _import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    root = _root_of(globals.get("__file__")) if isinstance(globals, dict) else None
    if root is None:
        return _original_import(name, globals, locals, fromlist, level)
    top = (name if level == 0 else str(globals.get("__package__") or "")).partition(".")[0]
    current = sys.modules.get(top)
    table = _modules.get(root, {})
    if not top or (
        current is not None
        and (current is table.get(top) or (top not in table and _root_of(getattr(current, "__file__", None)) is None))
    ):  # already this Worker's, or a module no Worker owns (stdlib, site-packages)
        return _original_import(name, globals, locals, fromlist, level)
    with _lock:
        _activate(root, top)
        saved = sys.path[:]
        entries = _paths.get(root, [])
        sys.path[:] = entries + [p for p in saved if p not in entries]
        try:
            return _original_import(name, globals, locals, fromlist, level)
        finally:
            sys.path[:] = saved
            _record(root, top)


def _family(top: str) -> list[str]:
    prefix = top + "."
    return [n for n in list(sys.modules) if n == top or n.startswith(prefix)]


def _activate(root: str, top: str) -> None:
    """Set aside other Workers' ``top`` and ``top.*`` modules; put ``root``'s in."""
    for name in _family(top):
        owner = _root_of(getattr(sys.modules[name], "__file__", None))
        if owner is not None and owner != root:
            del sys.modules[name]
    prefix = top + "."
    for name, module in _modules.get(root, {}).items():
        if name == top or name.startswith(prefix):
            sys.modules[name] = module


def _record(root: str, top: str) -> None:
    table = _modules.get(root)
    if table is None:
        return
    for name in _family(top):
        module = sys.modules[name]
        if _root_of(getattr(module, "__file__", None)) == root:
            table[name] = module
