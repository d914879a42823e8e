"""Exceptions shared by the core and every plugin.

Binding objects raise what the Workers runtime raises, mapped the way the Python Workers SDK maps it:
JS ``TypeError`` -> ``TypeError``, ``RangeError`` -> ``ValueError``, everything else -> :class:`JsException`
(exposed as ``pyodide.ffi.JsException`` inside the runner).
"""

from __future__ import annotations


class FlarebindError(Exception):
    """Base class for flarebind's own errors (configuration, plugins, sessions)."""


class JsException(Exception):
    """An error the Workers runtime would throw as a plain JS ``Error`` (or a named subclass).

    ``name`` is the JS error name (``Error``, ``D1_ERROR`` is part of the message, not the name); ``str(exc)`` is the
    exact message text Cloudflare produces.
    """

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class PluginError(FlarebindError):
    """A plugin failed while loading or inside a hook; names the plugin."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


class RemoteSessionError(FlarebindError):
    """A remote proxy session could not be provisioned; the message is meant for the user as is (also raised by a
    type's ``upload_metadata`` for a binding that cannot be uploaded)."""


class NotSimulatedError(FlarebindError):
    """A binding type has no local simulator (yet) in the installed plugins."""


class RemoteRequiredError(JsException):
    """Calling a binding that only works remotely when no remote session exists (wrangler's exact text)."""

    def __init__(self, binding: str) -> None:
        super().__init__(f"Binding {binding} needs to be run remotely")
