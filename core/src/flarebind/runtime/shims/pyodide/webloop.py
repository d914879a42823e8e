"""``pyodide.webloop``: the public names of :mod:`flarebind.runtime.sdk.webloop`."""

from flarebind.runtime.sdk.webloop import PyodideFuture, PyodideTask, WebLoop, WebLoopPolicy

__all__ = ["PyodideFuture", "PyodideTask", "WebLoop", "WebLoopPolicy"]
