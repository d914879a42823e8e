"""A running ``flarebind dev`` sees a restored state on its next request: before each request it compares the state
folder's generation marker (one ``stat``) and, when a restore or import bumped it, reopens its local stores."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flarebind.state import generation_file


class StateWatch:
    """Created with the dev server's app, before any store is opened; ``check()`` runs before each request."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        options = getattr(runtime, "_options", {})
        persist = options.get("persist_to")
        if persist is None and not options.get("in_memory"):
            from flarebind.bindings.context import default_state_dir

            persist = default_state_dir(runtime.project_dir)
        # a str, not a Path: os.stat on it is the whole per-request cost
        self.marker = (
            None if options.get("in_memory") or persist is None else str(generation_file(Path(persist).resolve()))
        )
        self.seen = self._stamp()
        self.checked = 0

    def _stamp(self) -> tuple[int, int] | None:
        if self.marker is None:
            return None
        try:
            st = os.stat(self.marker)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    async def check(self, runtime: Any) -> None:
        # at most one stat per millisecond under load (a restore is a separate process that takes far longer than
        # that to exit, so the request its user sends next still sees it)
        now = time.monotonic_ns()
        if now - self.checked < 1_000_000:
            return
        self.checked = now
        stamp = self._stamp()
        if stamp != self.seen:
            self.seen = stamp
            await reopen(runtime)


async def reopen(runtime: Any) -> None:
    """Dispose the runtime's local context (closing every store on the replaced files) and build the bindings anew."""
    from flarebind.runtime import background

    await runtime.ready
    old = runtime._ctx
    runtime._ctx = runtime._new_context()
    await old.dispose()
    runtime._env = runtime._build_env(runtime._specs, {})
    runtime.reload()
    await background.attach(runtime)
