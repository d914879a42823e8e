"""The ``sys.meta_path`` finder that serves ``workers``, ``asgi``, ``js``, ``pyodide`` and ``_cloudflare_compat_flags``.

It is installed only while a runtime is active (reference-counted across runtimes in one process) and removed on
dispose, together with the shim modules it served, so code outside the runner — and a virtualenv that has
``workers-py`` / ``pyodide-py`` installed — sees the real packages.
"""

from __future__ import annotations

import sys
import threading
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType
from typing import Any

SHIM_ROOT = Path(__file__).parent / "shims"
SHIM_NAMES = frozenset({"workers", "asgi", "js", "pyodide", "_cloudflare_compat_flags"})


class ShimFinder:
    """A meta path finder: the protocol is just ``find_spec`` (no ``importlib.abc`` base, ~3 ms of imports)."""

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in SHIM_NAMES:
            # submodules (``workers.asgi``, ``pyodide.ffi``) are found through the shim package's ``__path__``
            return None
        return PathFinder.find_spec(fullname, [str(SHIM_ROOT)])


_finder = ShimFinder()
_lock = threading.Lock()
_users = 0
_stashed: dict[str, ModuleType] = {}


def _is_shim_name(name: str) -> bool:
    return name.partition(".")[0] in SHIM_NAMES


def install_shims() -> None:
    """Put the finder first on ``sys.meta_path``; modules of the same names imported before are set aside."""
    global _users
    with _lock:
        _users += 1
        if _users > 1:
            return
        for name in [n for n in sys.modules if _is_shim_name(n)]:
            _stashed[name] = sys.modules.pop(name)
        sys.meta_path.insert(0, _finder)
        from flarebind.runtime.sdk.webloop import install_reentrancy

        install_reentrancy()  # asyncio.run / Runner.run inside a handler on a WebLoop nest, as in Pyodide


def uninstall_shims() -> None:
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users > 0:
            return
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        from flarebind.runtime.sdk.webloop import uninstall_reentrancy

        uninstall_reentrancy()
        for name in [n for n in sys.modules if _is_shim_name(n)]:
            del sys.modules[name]
        sys.modules.update(_stashed)
        _stashed.clear()


def shims_installed() -> bool:
    return _finder in sys.meta_path
