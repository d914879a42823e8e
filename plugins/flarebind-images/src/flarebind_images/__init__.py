"""flarebind plugin for the Images binding: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Shape, Support, hookimpl


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "images"}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="images",
            config_key="images",
            friendly_name="Images",
            support=Support.LOCAL_AND_REMOTE,
            shape=Shape.OBJECT,
            fields={"binding": str},
            required=("binding",),
            upload_metadata=upload_metadata,
        )
    )
