"""flarebind plugin for mTLS certificates: declares the binding type and its adapters."""

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
            support=Support.REMOTE,
            fields={"binding": str, "certificate_id": str},
            required=("binding", "certificate_id"),
            resource=lambda e: e.get("certificate_id"),
            resource_fields=("certificate_id",),
            upload_metadata=upload_metadata,
        )
    )
