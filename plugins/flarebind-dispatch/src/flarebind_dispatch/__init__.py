"""flarebind plugin for dispatch namespaces (Workers for Platforms): declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.bindings.types import BindingType, Support
from flarebind.hookspecs import hookimpl


def _dispatch_resource(e: Any) -> str | None:
    outbound = e.get("outbound") or {}
    if outbound.get("service"):
        return f"{e.get('namespace')} (outbound -> {outbound['service']})"
    return e.get("namespace")


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="dispatch_namespace",
            config_key="dispatch_namespaces",
            friendly_name="Dispatch Namespace",
            support=Support.REMOTE,
            fields={"binding": str, "namespace": str, "outbound": dict},
            required=("binding", "namespace"),
            resource=_dispatch_resource,
            resource_fields=("namespace",),
        )
    )
