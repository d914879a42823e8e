"""The public plugin API: everything a binding plugin imports, under stable names.

Plugins import only from this module. Light names (the hook marker, the type declaration, the context, errors,
``JsObject``) are imported eagerly because every plugin's ``__init__`` needs them at discovery time; heavier ones
(storage, the remote adapter base, CLI helpers) are resolved on first attribute access so that importing a
plugin's hooks costs nothing extra at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flarebind.bindings.context import LocalContext, RemoteChannel
from flarebind.bindings.types import BindingType, Shape, Support
from flarebind.errors import FlarebindError, JsException, NotSimulatedError, RemoteRequiredError
from flarebind.hookspecs import hookimpl
from flarebind.jsobject import JsObject, js_object

if TYPE_CHECKING:  # the lazy names, for type checkers and editors
    from flarebind.cli.common import ConfigProblem, Project, config_options, load_project  # noqa: F401
    from flarebind.cli.output import error, info, warning  # noqa: F401
    from flarebind.remote.adapters import (  # noqa: F401
        RemoteBinding,
        body_arg,
        is_stream_source,
        known_length,
        options_args,
        shape,
        spool,
    )
    from flarebind.remote.channel import RemoteStream  # noqa: F401
    from flarebind.storage.blobs import BlobMissing, BlobStore, FileBlobStore, MemoryBlobStore, new_blob_id  # noqa: F401
    from flarebind.storage.cursors import decode_list_cursor  # noqa: F401
    from flarebind.storage.dbthread import DatabaseThread, is_busy, retry_busy  # noqa: F401
    from flarebind.storage.paths import UnsafeResourceName, confined  # noqa: F401
    from flarebind.storage.sqlite import connect, durable_object_file_name, ensure_metadata_db  # noqa: F401

# name -> module holding it; imported on first access (PEP 562)
_LAZY = {
    "ConfigProblem": "flarebind.cli.common",
    "Project": "flarebind.cli.common",
    "config_options": "flarebind.cli.common",
    "load_project": "flarebind.cli.common",
    "error": "flarebind.cli.output",
    "info": "flarebind.cli.output",
    "warning": "flarebind.cli.output",
    "RemoteBinding": "flarebind.remote.adapters",
    "body_arg": "flarebind.remote.adapters",
    "is_stream_source": "flarebind.remote.adapters",
    "known_length": "flarebind.remote.adapters",
    "options_args": "flarebind.remote.adapters",
    "shape": "flarebind.remote.adapters",
    "spool": "flarebind.remote.adapters",
    "RemoteStream": "flarebind.remote.channel",
    "BlobMissing": "flarebind.storage.blobs",
    "BlobStore": "flarebind.storage.blobs",
    "FileBlobStore": "flarebind.storage.blobs",
    "MemoryBlobStore": "flarebind.storage.blobs",
    "new_blob_id": "flarebind.storage.blobs",
    "decode_list_cursor": "flarebind.storage.cursors",
    "DatabaseThread": "flarebind.storage.dbthread",
    "is_busy": "flarebind.storage.dbthread",
    "retry_busy": "flarebind.storage.dbthread",
    "UnsafeResourceName": "flarebind.storage.paths",
    "confined": "flarebind.storage.paths",
    "connect": "flarebind.storage.sqlite",
    "durable_object_file_name": "flarebind.storage.sqlite",
    "ensure_metadata_db": "flarebind.storage.sqlite",
}

__all__ = [
    "BindingType",
    "FlarebindError",
    "JsException",
    "JsObject",
    "LocalContext",
    "NotSimulatedError",
    "RemoteChannel",
    "RemoteRequiredError",
    "Shape",
    "Support",
    "hookimpl",
    "js_object",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flarebind.plugin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
