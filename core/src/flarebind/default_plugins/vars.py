"""Environment variables (``[vars]``) and secrets (``.dev.vars`` / ``.env``, ``[secrets] required``)."""

from __future__ import annotations

import json
from typing import Any

from flarebind.bindings.types import BindingType, Shape, Support
from flarebind.hookspecs import hookimpl


def _var_resource(entry: Any) -> str:
    # wrangler shows vars as quoted JSON: "text" for strings, the JSON text for everything else
    return json.dumps(entry.get("value"), separators=(",", ":"))


def _var_metadata(name: str, spec: Any) -> dict[str, Any]:
    if spec.get("type") == "json":
        return {"name": name, "type": "json", "json": spec.get("value", spec.get("json"))}
    return {"name": name, "type": "plain_text", "text": spec.get("value", spec.get("text", ""))}


def _secret_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "secret_text", "text": spec.get("value", spec.get("text", ""))}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="plain_text",
            config_key="vars",
            friendly_name="Environment Variable",
            support=Support.LOCAL_ONLY,
            shape=Shape.MAP,
            resource=_var_resource,
            also_types=("json",),
            upload_metadata=_var_metadata,
        )
    )
    register(
        BindingType(
            type="secret_text",
            config_key="secrets",
            friendly_name="Environment Variable",
            support=Support.LOCAL_ONLY,
            shape=Shape.OBJECT,
            fields={"required": list},
            resource=lambda entry: '"(hidden)"',
            upload_metadata=_secret_metadata,
        )
    )


def _value(name: str, spec: dict[str, Any], ctx: Any) -> Any:
    return spec.get("value")


@hookimpl
def register_adapters(register: Any) -> None:
    for type_name in ("plain_text", "json", "secret_text"):
        register.local(type_name, _value)
