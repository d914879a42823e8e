"""flarebind plugin for dispatch namespaces (Workers for Platforms): declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, drop_none, hookimpl, require_field


def _dispatch_resource(e: Any) -> str | None:
    outbound = e.get("outbound") or {}
    if outbound.get("service"):
        return f"{e.get('namespace')} (outbound -> {outbound['service']})"
    return e.get("namespace")


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "type": "dispatch_namespace",
        "namespace": require_field(name, spec, "namespace"),
    }
    outbound = spec.get("outbound")
    if outbound:
        worker = drop_none({"service": outbound.get("service"), "environment": outbound.get("environment")})
        params = outbound.get("parameters")
        out["outbound"] = {"worker": worker, **({"params": [{"name": p} for p in params]} if params else {})}
    return out


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="dispatch_namespace",
            config_key="dispatch_namespaces",
            friendly_name="Dispatch Namespace",
            support=Support.LOCAL_AND_REMOTE,
            fields={"binding": str, "namespace": str, "outbound": dict},
            required=("binding", "namespace"),
            resource=_dispatch_resource,
            resource_fields=("namespace",),
            upload_metadata=upload_metadata,
        )
    )


# local: user Workers registered with `flarebind dispatch-namespace add-local` (flarebind_dispatch.local)
@hookimpl
def register_adapters(register: Any) -> None:
    register.local("dispatch_namespace", "flarebind_dispatch.local:make_local_dispatch")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_lazy_command(
        "dispatch-namespace",
        "flarebind_dispatch.cli:dispatch_group",
        help="Register user Workers of a dispatch namespace for local development.",
    )
