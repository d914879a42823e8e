"""Runtime options -> flat start-worker binding specs (the shape ``build_env`` and the remote session take).

The per-type keywords (``kv_namespaces=``, ``d1_databases=``, …) are not a core table: each binding type declares
its keyword (``BindingType.runtime_option``) and the field a bare resource fills (``BindingType.option_field``).
"""

from __future__ import annotations

from typing import Any


def binding_options(plugins: Any = None) -> dict[str, tuple[str, str]]:
    """Declared runtime keyword -> (binding type, the spec field a bare string value fills; ``"id"`` aliases it)."""
    from flarebind.plugins import get_plugins

    registry = (plugins or get_plugins()).registry
    return {bt.runtime_option: (bt.type, bt.option_field) for bt in registry.binding_types() if bt.runtime_option}


def specs_from_options(
    *,
    bindings: dict[str, dict[str, Any]] | None = None,
    vars: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    plugins: Any = None,
    **by_type: Any,
) -> dict[str, dict[str, Any]]:
    """``kv_namespaces={"KV": {"id": …, "remote_proxy_connection_string": …}}`` (or ``{"KV": "id"}`` or
    ``["KV"]``), any other declared keyword, ``vars``, ``secrets`` and raw ``bindings`` -> specs."""
    specs: dict[str, dict[str, Any]] = {name: dict(spec) for name, spec in (bindings or {}).items()}
    declared = binding_options(plugins) if by_type else {}
    for option, value in by_type.items():
        if option not in declared:
            raise TypeError(f"Runtime() got an unexpected keyword argument {option!r}")
        if not value:
            continue
        type_name, field = declared[option]
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
