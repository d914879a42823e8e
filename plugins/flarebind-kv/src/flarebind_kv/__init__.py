"""flarebind plugin for Workers KV namespaces: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, hookimpl, require_field


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "kv_namespace", "namespace_id": require_field(name, spec, "id")}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="kv_namespace",
            stub="flarebind_kv.binding:KVNamespace",  # what `flarebind types` gives env.NAME
            config_key="kv_namespaces",
            friendly_name="KV Namespace",
            support=Support.LOCAL_AND_REMOTE,
            fields={"binding": str, "id": str, "preview_id": str},
            required=("binding",),
            resource=lambda e: e.get("preview_id") or e.get("id"),
            preview_fields={"id": "preview_id"},
            resource_fields=("id",),
            upload_metadata=upload_metadata,
            reads={"get", "getWithMetadata", "list"},
            runtime_option="kv_namespaces",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    # factories are imported only when a binding is built, keeping `flarebind` start-up fast
    register.local("kv_namespace", "flarebind_kv.local:make_local")
    register.remote("kv_namespace", "flarebind_kv.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    # `flarebind kv key …` / `flarebind kv bulk …`; the command module (and rich, the binding code) loads only when
    # a `kv` command runs, so `flarebind dev` does not pay for it
    cli.add_lazy_command(
        "kv", "flarebind_kv.cli:kv_group", help="Manage Workers KV namespaces (local state shared with wrangler)."
    )
