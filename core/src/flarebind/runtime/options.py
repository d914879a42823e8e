"""Runtime options -> flat start-worker binding specs (the shape ``build_env`` and the remote session take)."""

from __future__ import annotations

from typing import Any

# option name -> (binding type, the spec field a bare string value fills, Miniflare's "id" alias for that field)
BINDING_OPTIONS: dict[str, tuple[str, str]] = {
    "kv_namespaces": ("kv_namespace", "id"),
    "d1_databases": ("d1", "database_id"),
    "r2_buckets": ("r2_bucket", "bucket_name"),
    "durable_objects": ("durable_object_namespace", "class_name"),
}


def specs_from_options(
    *,
    bindings: dict[str, dict[str, Any]] | None = None,
    vars: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    **by_type: Any,
) -> dict[str, dict[str, Any]]:
    """``kv_namespaces={"KV": {"id": …, "remote_proxy_connection_string": …}}`` (or ``{"KV": "id"}`` or
    ``["KV"]``), ``d1_databases``, ``r2_buckets``, ``vars``, ``secrets`` and raw ``bindings`` -> specs."""
    specs: dict[str, dict[str, Any]] = {name: dict(spec) for name, spec in (bindings or {}).items()}
    for option, value in by_type.items():
        if option not in BINDING_OPTIONS:
            raise TypeError(f"Runtime() got an unexpected keyword argument {option!r}")
        if not value:
            continue
        type_name, field = BINDING_OPTIONS[option]
        items = value.items() if isinstance(value, dict) else ((name, name) for name in value)
        for name, entry in items:
            spec: dict[str, Any] = {"type": type_name}
            if isinstance(entry, str):
                spec[field] = entry
            else:
                entry = dict(entry or {})
                if "id" in entry and field != "id":
                    entry.setdefault(field, entry.pop("id"))
                spec.update(entry)
                spec.setdefault(field, name)
            if not spec.get("remote_proxy_connection_string"):
                spec.pop("remote_proxy_connection_string", None)
            specs[name] = spec
    for name, val in (vars or {}).items():
        specs[name] = {"type": "plain_text" if isinstance(val, str) else "json", "value": val}
    for name, val in (secrets or {}).items():
        specs[name] = {"type": "secret_text", "value": str(val)}
    return specs
