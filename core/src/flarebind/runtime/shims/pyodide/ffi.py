"""``pyodide.ffi``: the public names of :mod:`flarebind.runtime.sdk.ffi` (its ``__all__``)."""

from flarebind.runtime.sdk.ffi import *  # noqa: F403
from flarebind.runtime.sdk.ffi import __all__  # noqa: F401 - the same public names
