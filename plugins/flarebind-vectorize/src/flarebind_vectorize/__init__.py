"""flarebind plugin for Vectorize indexes: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, hookimpl, require_field


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "vectorize", "index_name": require_field(name, spec, "index_name")}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="vectorize",
            config_key="vectorize",
            friendly_name="Vectorize Index",
            support=Support.REMOTE,
            fields={"binding": str, "index_name": str},
            required=("binding", "index_name"),
            resource=lambda e: e.get("index_name"),
            resource_fields=("index_name",),
            upload_metadata=upload_metadata,
        )
    )
