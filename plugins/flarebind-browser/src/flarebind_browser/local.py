"""The local Browser simulator's factory: sessions on system Chromium, shared by the bindings of one context.

Every session is closed when the context is disposed (``flarebind dev`` exit, a platform proxy's end, a test's
teardown) and when the Worker's code is reloaded, so no Chromium outlives the runtime that started it.
"""

from __future__ import annotations

import weakref
from typing import Any

from flarebind.plugin import LocalContext

from flarebind_browser.binding import BrowserBinding
from flarebind_browser.sessions import SessionManager

_managers: dict[int, tuple[weakref.ref[LocalContext], SessionManager]] = {}


def session_manager(ctx: LocalContext, binding: str) -> SessionManager:
    entry = _managers.get(id(ctx))
    if entry is None or entry[0]() is not ctx:
        manager = SessionManager(binding)
        key = id(ctx)
        _managers[key] = (weakref.ref(ctx), manager)

        async def dispose() -> None:
            _managers.pop(key, None)
            await manager.aclose()

        ctx.add_cleanup(dispose)
        # a reloaded Worker starts without the sessions its previous version opened (as a restarted workerd does)
        ctx.add_reload_hook(manager.close_all)
        return manager
    return entry[1]


def make_local(name: str, spec: dict[str, Any], ctx: LocalContext) -> BrowserBinding:
    # a missing Chromium is reported by the first acquire (naming how to install one), so a project with a Browser
    # binding still starts without it
    return BrowserBinding(name, session_manager(ctx, name))
