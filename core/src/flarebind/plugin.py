"""The public plugin API: everything a binding plugin imports, under stable names.

Plugins import only from this module. Light names (the hook marker, the type declaration, the context, errors,
``JsObject``) are imported eagerly because every plugin's ``__init__`` needs them at discovery time; heavier ones
(storage, the remote adapter base, CLI helpers) are resolved on first attribute access so that importing a
plugin's hooks costs nothing extra at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from flarebind.bindings.context import LocalContext, RemoteChannel, default_state_dir
from flarebind.bindings.metadata import drop_none, passthrough_metadata, require_field
from flarebind.bindings.types import (
    BindingType,
    ReadPredicate,
    ResourceNameRule,
    Shape,
    Support,
    UploadMetadata,
    Validate,
)
from flarebind.errors import (
    FlarebindError,
    JsException,
    NotSimulatedError,
    PluginError,
    RemoteRequiredError,
    RemoteSessionError,
)
from flarebind.hookspecs import hookimpl
from flarebind.jsobject import JsObject, js_object

if TYPE_CHECKING:  # the lazy names, for type checkers and editors
    from flarebind.bindings.registry import AdapterRegistrar, BindingTypeRegistrar  # noqa: F401
    from flarebind.cli.common import (  # noqa: F401
        CommandError,
        ConfigProblem,
        Project,
        config_options,
        find_config,
        load_project,
        local_context,
        mode_options,
        resource_banner,
    )
    from flarebind.config import Config, ConfigError  # noqa: F401
    from flarebind.config.diagnostics import Diagnostic, Report  # noqa: F401
    from flarebind.config.model import BindingEntry  # noqa: F401
    from flarebind.output import error, info, warning  # noqa: F401
    from flarebind.remote.adapters import (  # noqa: F401
        RemoteBinding,
        RemoteFetcher,
        body_arg,
        is_stream_source,
        known_length,
        options_args,
        shape,
        spool,
    )
    from flarebind.remote.api import CloudflareAPI, CloudflareAPIError, parse_envelope  # noqa: F401
    from flarebind.remote.auth import Auth, AuthError, resolve_auth  # noqa: F401
    from flarebind.remote.channel import RemoteStream  # noqa: F401
    from flarebind.remote.codec import UNDEFINED, Pipeline, StreamArg, WireHeaders  # noqa: F401
    from flarebind.runtime.runtime import Runtime  # noqa: F401
    from flarebind.runtime.sdk.body import ReadableStream  # noqa: F401
    from flarebind.runtime.sdk.response import JsResponse  # noqa: F401
    from flarebind.runtime.services.binding import fetcher_for, service_fetcher  # noqa: F401
    from flarebind.storage.blobs import BlobMissing, BlobStore, FileBlobStore, MemoryBlobStore, new_blob_id  # noqa: F401
    from flarebind.storage.cursors import decode_list_cursor  # noqa: F401
    from flarebind.storage.dbthread import (  # noqa: F401
        BUSY_TIMEOUT_S,
        LOOP_BUDGET_S,
        DatabaseThread,
        is_busy,
        retry_busy,
    )
    from flarebind.storage.paths import UnsafeResourceName, confined  # noqa: F401
    from flarebind.storage.sqlite import connect, durable_object_file_name, ensure_metadata_db  # noqa: F401
    from flarebind.testing.plugins import project_from_config, registered_plugin, registered_plugins, write_project  # noqa: F401

# name -> module holding it; imported on first access (PEP 562)
_LAZY = {
    "AdapterRegistrar": "flarebind.bindings.registry",
    "BindingTypeRegistrar": "flarebind.bindings.registry",
    "BindingEntry": "flarebind.config.model",
    "Config": "flarebind.config",
    "ConfigError": "flarebind.config",
    "Diagnostic": "flarebind.config.diagnostics",
    "Report": "flarebind.config.diagnostics",
    "CommandError": "flarebind.cli.common",
    # a Worker run in-process and a Fetcher to it, for plugins that start Workers (dispatch namespaces)
    "Runtime": "flarebind.runtime.runtime",
    "fetcher_for": "flarebind.runtime.services.binding",
    "service_fetcher": "flarebind.runtime.services.binding",
    "find_config": "flarebind.cli.common",
    "local_context": "flarebind.cli.common",
    "mode_options": "flarebind.cli.common",
    "resource_banner": "flarebind.cli.common",
    "ConfigProblem": "flarebind.cli.common",
    "Project": "flarebind.cli.common",
    "config_options": "flarebind.cli.common",
    "load_project": "flarebind.cli.common",
    "error": "flarebind.output",
    "info": "flarebind.output",
    "warning": "flarebind.output",
    # Cloudflare's REST API, for plugin commands that manage resources with --remote (wrangler's way)
    "Auth": "flarebind.remote.auth",
    "AuthError": "flarebind.remote.auth",
    "resolve_auth": "flarebind.remote.auth",
    "CloudflareAPI": "flarebind.remote.api",
    "CloudflareAPIError": "flarebind.remote.api",
    "parse_envelope": "flarebind.remote.api",
    "RemoteBinding": "flarebind.remote.adapters",
    "RemoteFetcher": "flarebind.remote.adapters",
    "body_arg": "flarebind.remote.adapters",
    "is_stream_source": "flarebind.remote.adapters",
    "known_length": "flarebind.remote.adapters",
    "options_args": "flarebind.remote.adapters",
    "shape": "flarebind.remote.adapters",
    "spool": "flarebind.remote.adapters",
    "RemoteStream": "flarebind.remote.channel",
    "UNDEFINED": "flarebind.remote.codec",
    "Pipeline": "flarebind.remote.codec",
    "StreamArg": "flarebind.remote.codec",
    "WireHeaders": "flarebind.remote.codec",
    # the runtime's Fetch types, for bindings that hand a Worker a stream or a Response (Images)
    "ReadableStream": "flarebind.runtime.sdk.body",
    "JsResponse": "flarebind.runtime.sdk.response",
    "BlobMissing": "flarebind.storage.blobs",
    "BlobStore": "flarebind.storage.blobs",
    "FileBlobStore": "flarebind.storage.blobs",
    "MemoryBlobStore": "flarebind.storage.blobs",
    "new_blob_id": "flarebind.storage.blobs",
    "decode_list_cursor": "flarebind.storage.cursors",
    "BUSY_TIMEOUT_S": "flarebind.storage.dbthread",
    "LOOP_BUDGET_S": "flarebind.storage.dbthread",
    "DatabaseThread": "flarebind.storage.dbthread",
    "is_busy": "flarebind.storage.dbthread",
    "retry_busy": "flarebind.storage.dbthread",
    "UnsafeResourceName": "flarebind.storage.paths",
    "confined": "flarebind.storage.paths",
    "connect": "flarebind.storage.sqlite",
    "durable_object_file_name": "flarebind.storage.sqlite",
    "ensure_metadata_db": "flarebind.storage.sqlite",
    "project_from_config": "flarebind.testing.plugins",
    "registered_plugin": "flarebind.testing.plugins",
    "registered_plugins": "flarebind.testing.plugins",
    "write_project": "flarebind.testing.plugins",
}

__all__ = [
    "BindingType",
    "FlarebindError",
    "JsException",
    "JsObject",
    "LocalContext",
    "NotSimulatedError",
    "PluginError",
    "ReadPredicate",
    "RemoteChannel",
    "RemoteRequiredError",
    "RemoteSessionError",
    "Shape",
    "Support",
    "UploadMetadata",
    "Validate",
    "ResourceNameRule",
    "default_state_dir",
    "drop_none",
    "hookimpl",
    "js_object",
    "passthrough_metadata",
    "require_field",
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
