"""flarebind plugin for mTLS certificates: declares the binding type, its adapters and `flarebind mtls-certificate`."""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, hookimpl, require_field


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "mtls_certificate", "certificate_id": require_field(name, spec, "certificate_id")}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="mtls_certificate",
            config_key="mtls_certificates",
            friendly_name="mTLS Certificate",
            # wrangler has no local mode ("remote"); with this plugin a binding without `remote` presents a local
            # certificate, and `remote = true` still proxies to the one uploaded to Cloudflare
            support=Support.LOCAL_AND_REMOTE,
            fields={"binding": str, "certificate_id": str},
            required=("binding", "certificate_id"),
            resource=lambda e: e.get("certificate_id"),
            resource_fields=("certificate_id",),
            upload_metadata=upload_metadata,
            simulator="local client certificate (flarebind mtls-certificate add-local)",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    register.local("mtls_certificate", "flarebind_mtls.local:make_local")
    register.remote("mtls_certificate", "flarebind_mtls.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_lazy_command(
        "mtls-certificate",
        "flarebind_mtls.cli:mtls_group",
        help="Manage client certificates for mTLS bindings (local certificates for flarebind dev).",
    )
