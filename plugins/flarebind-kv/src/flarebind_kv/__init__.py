"""flarebind plugin for Workers KV namespaces: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.bindings.types import BindingType, Support
from flarebind.hookspecs import hookimpl


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="kv_namespace",
            config_key="kv_namespaces",
            friendly_name="KV Namespace",
            support=Support.LOCAL_AND_REMOTE,
            fields={"binding": str, "id": str, "preview_id": str},
            required=("binding",),
            resource=lambda e: e.get("preview_id") or e.get("id"),
            preview_fields={"id": "preview_id"},
            resource_fields=("id",),
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    # factories are imported only when a binding is built, keeping `flarebind` start-up fast
    register.local("kv_namespace", "flarebind_kv.local:make_local")
    register.remote("kv_namespace", "flarebind_kv.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    # `flarebind kv key …` / `flarebind kv bulk …`; rich and the binding code load only when a command runs
    from flarebind_kv.cli import kv_group

    cli.add_command(kv_group)
