"""The CLI's output helpers: they live in :mod:`flarebind.output` (the dev server uses them too)."""

from flarebind.output import error, info, print_diagnostics, print_plugin_errors, warning

__all__ = ["error", "info", "print_diagnostics", "print_plugin_errors", "warning"]
