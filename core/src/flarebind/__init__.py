"""flarebind: local development for Cloudflare Workers written in Python.

The public names below are imported lazily, so ``import flarebind`` stays cheap (start-up is an import budget).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_config": "flarebind.config.read",
    "load_config": "flarebind.config.read",
    "ConfigError": "flarebind.config.diagnostics",
    "convert_config_bindings_to_start_worker_bindings": "flarebind.bindings.convert",
    "pick_remote_bindings": "flarebind.bindings.convert",
    "platform_proxy": "flarebind.platform",
    "build_env": "flarebind.platform",
    "Env": "flarebind.platform",
    "start_remote_proxy_session": "flarebind.remote",
    "maybe_start_or_update_remote_proxy_session": "flarebind.remote",
    "Auth": "flarebind.remote",
    "Runtime": "flarebind.runtime",
    "hookimpl": "flarebind.hookspecs",
    "BindingType": "flarebind.bindings.types",
    "Support": "flarebind.bindings.types",
    "LocalContext": "flarebind.bindings.context",
    "JsException": "flarebind.errors",
    "JsObject": "flarebind.jsobject",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flarebind' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
