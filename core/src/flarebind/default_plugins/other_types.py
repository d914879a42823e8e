"""Types that can reach remote resources but that no first-party plugin owns yet (services, queues, …).

They are declared so their config is validated and shown in the table; building one locally raises a clear
"no local simulation" error, and remotely they go through the generic remote adapter once a session exists.
"""

from __future__ import annotations

from typing import Any

from flarebind.bindings.metadata import drop_none, require_field
from flarebind.bindings.types import BindingType, Shape, Support
from flarebind.hookspecs import hookimpl

LR = Support.LOCAL_AND_REMOTE
AR = Support.ALWAYS_REMOTE


def _service_resource(e: Any) -> str | None:
    service = e.get("service")
    entrypoint = e.get("entrypoint")
    return f"{service}#{entrypoint}" if service and entrypoint else service


def _send_email_resource(e: Any) -> str:
    if e.get("destination_address"):
        return str(e["destination_address"])
    allowed = e.get("allowed_destination_addresses")
    return ", ".join(allowed) if allowed else "unrestricted"


def _service_metadata(name: str, spec: Any) -> dict[str, Any]:
    return drop_none(
        {
            "name": name,
            "type": "service",
            "service": require_field(name, spec, "service"),
            "environment": spec.get("environment"),
            "entrypoint": spec.get("entrypoint"),
            "props": spec.get("props"),
            # a service on another account (start-worker bindings only; wrangler's config has no such field)
            "cross_account_grant": spec.get("cross_account_grant"),
        }
    )


def _queue_metadata(name: str, spec: Any) -> dict[str, Any]:
    queue = spec.get("queue_name") or spec.get("queue")
    return drop_none({"name": name, "type": "queue", "queue_name": queue, "delivery_delay": spec.get("delivery_delay")})


def _send_email_metadata(name: str, spec: Any) -> dict[str, Any]:
    fields = ("destination_address", "allowed_destination_addresses", "allowed_sender_addresses")
    return drop_none({"name": name, "type": "send_email", **{f: spec.get(f) for f in fields}})


def _pipeline_metadata(name: str, spec: Any) -> dict[str, Any]:
    # Cloudflare's metadata type is "pipelines" (plural), unlike the start-worker type
    return {"name": name, "type": "pipelines", "pipeline": spec.get("pipeline") or spec.get("stream")}


def _bare_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": spec.get("type")}


def _never(op: Any) -> bool:
    # service bindings: an RPC method or property may have side effects, so nothing is ever replayed
    return False


TYPES = [
    BindingType(
        type="service",
        config_key="services",
        friendly_name="Worker",
        support=LR,
        fields={"binding": str, "service": str, "environment": str, "entrypoint": str, "props": dict, "dev": dict},
        required=("binding", "service"),
        resource=_service_resource,
        resource_fields=("service",),
        upload_metadata=_service_metadata,
        reads=_never,
    ),
    BindingType(
        type="queue",
        config_key="queues.producers",
        friendly_name="Queue",
        support=LR,
        fields={"binding": str, "queue": str, "delivery_delay": int},
        required=("binding", "queue"),
        resource=lambda e: e.get("queue"),
        resource_fields=("queue",),
        upload_metadata=_queue_metadata,
    ),
    BindingType(
        type="send_email",
        config_key="send_email",
        friendly_name="Send Email",
        support=LR,
        fields={
            "name": str,
            "destination_address": str,
            "allowed_destination_addresses": list,
            "allowed_sender_addresses": list,
        },
        required=("name",),
        name_field="name",
        resource=_send_email_resource,
        upload_metadata=_send_email_metadata,
    ),
    BindingType(
        type="pipeline",
        config_key="pipelines",
        friendly_name="Pipeline",
        support=LR,
        fields={"binding": str, "stream": str, "pipeline": str},
        required=("binding",),
        resource=lambda e: e.get("stream") or e.get("pipeline"),
        resource_fields=("stream", "pipeline"),
        upload_metadata=_pipeline_metadata,
    ),
    BindingType(
        type="stream",
        config_key="stream",
        friendly_name="Stream",
        support=LR,
        shape=Shape.OBJECT,
        fields={"binding": str},
        required=("binding",),
        upload_metadata=_bare_metadata,
    ),
    BindingType(
        type="media",
        config_key="media",
        friendly_name="Media",
        support=AR,
        shape=Shape.OBJECT,
        fields={"binding": str},
        required=("binding",),
        upload_metadata=_bare_metadata,
    ),
    BindingType(
        type="ai_search",
        config_key="ai_search",
        friendly_name="AI Search Instance",
        support=AR,
        fields={"binding": str, "instance_name": str},
        required=("binding",),
        resource=lambda e: e.get("instance_name"),
    ),
    BindingType(
        type="ai_search_namespace",
        config_key="ai_search_namespaces",
        friendly_name="AI Search Namespace",
        support=AR,
        fields={"binding": str, "namespace": str},
        required=("binding",),
        resource=lambda e: e.get("namespace"),
    ),
    BindingType(
        type="agent_memory",
        config_key="agent_memory",
        friendly_name="Agent Memory",
        support=AR,
        fields={"binding": str, "namespace": str},
        required=("binding",),
        resource=lambda e: e.get("namespace"),
    ),
    BindingType(
        type="websearch",
        config_key="websearch",
        friendly_name="Web Search",
        support=AR,
        shape=Shape.OBJECT,
        fields={"binding": str},
        required=("binding",),
        upload_metadata=_bare_metadata,
    ),
    BindingType(
        type="artifacts",
        config_key="artifacts",
        friendly_name="Artifacts",
        support=AR,
        fields={"binding": str, "namespace": str},
        required=("binding",),
        resource=lambda e: e.get("namespace"),
    ),
    BindingType(
        type="flagship",
        config_key="flagship",
        friendly_name="Flagship",
        support=AR,
        fields={"binding": str, "app_id": str},
        required=("binding",),
        resource=lambda e: e.get("app_id"),
    ),
    BindingType(
        type="vpc_service",
        config_key="vpc_services",
        friendly_name="VPC Service",
        support=AR,
        fields={"binding": str, "service_id": str},
        required=("binding",),
        resource=lambda e: e.get("service_id"),
    ),
    BindingType(
        type="vpc_network",
        config_key="vpc_networks",
        friendly_name="VPC Network",
        support=AR,
        fields={"binding": str, "tunnel_id": str, "network_id": str},
        required=("binding",),
        resource=lambda e: e.get("tunnel_id") or e.get("network_id"),
    ),
]


@hookimpl
def register_binding_types(register: Any) -> None:
    for binding_type in TYPES:
        register(binding_type)


# --- Queues: producers simulated by flarebind.runtime.queues (imported only when a binding is built); with
# `remote = true` the generic remote adapter sends through the session, and queues.producer refuses to run
# locally in that case (see make_local_producer) ---
@hookimpl
def register_adapters(register: Any) -> None:
    register.local("queue", "flarebind.runtime.queues.producer:make_local_producer")
    # service bindings to Workers running in this process (flarebind dev -c a -c b): flarebind.runtime.services
    register.local("service", "flarebind.runtime.services.binding:make_local_service")
    # the dev registry's transport: other flarebind dev processes call this one's Workers here
    register.cdn_cgi("flarebind-service", "flarebind.runtime.services.edge:serve")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_lazy_command("queues", "flarebind.cli.queues_cmd:queues_group", help="Manage local Queues.")
