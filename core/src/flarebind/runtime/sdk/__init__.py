"""The Python Workers API implemented for CPython.

These modules hold the real code; the ``workers`` / ``js`` / ``pyodide`` names a Worker imports are thin shim modules
(``flarebind/runtime/shims/``) that re-export from here, served only inside the runner by
:mod:`flarebind.runtime.finder`. Keeping the classes here means one ``Response`` type across worker reloads.
"""
