"""flarebind plugin for Workers AI: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Shape, Support, drop_none, hookimpl


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return drop_none({"name": name, "type": "ai", "staging": spec.get("staging")})


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="ai",
            config_key="ai",
            friendly_name="AI",
            support=Support.ALWAYS_REMOTE,
            shape=Shape.OBJECT,
            fields={"binding": str, "staging": bool},
            required=("binding",),
            resource=lambda e: "staging" if e.get("staging") else None,
            upload_metadata=upload_metadata,
        )
    )
