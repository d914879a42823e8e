"""Running Python Workers locally: worker loading, the SDK shims, ``Runtime``, the ASGI app and the dev server.

``Runtime`` is imported lazily so ``import flarebind.runtime`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Runtime", "WorkerLoadError"]


def __getattr__(name: str) -> Any:
    if name == "Runtime":
        from flarebind.runtime.runtime import Runtime

        return Runtime
    if name == "WorkerLoadError":
        from flarebind.runtime.loader import WorkerLoadError

        return WorkerLoadError
    raise AttributeError(f"module 'flarebind.runtime' has no attribute {name!r}")
