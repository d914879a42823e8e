"""Which distribution to install for a binding key that wrangler knows but no installed plugin declares.

Only a hint for keys nobody installed: an installed plugin declares its keys itself (``register_binding_types``)
and names them in its metadata (the ``flarebind.config_keys`` entry points), which wins over this table.
"""

from __future__ import annotations

from typing import Any

from flarebind.hookspecs import hookimpl

DISTRIBUTIONS = {
    "kv_namespaces": "flarebind-kv",
    "r2_buckets": "flarebind-r2",
    "d1_databases": "flarebind-d1",
    "ai": "flarebind-ai",
    "vectorize": "flarebind-vectorize",
    "browser": "flarebind-browser",
    "mtls_certificates": "flarebind-mtls",
    "images": "flarebind-images",
    "dispatch_namespaces": "flarebind-dispatch",
}


@hookimpl
def register_binding_types(register: Any) -> None:
    for key, distribution in DISTRIBUTIONS.items():
        register.provided_by(key, distribution)
