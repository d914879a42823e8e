"""Types that only ever run locally (wrangler's ``local-only`` class) and have no simulator in flarebind yet.

Durable Object namespaces are the exception: their local adapter is the runtime's simulation (registered below).
Declaring them makes their config keys known (no "Unexpected fields" warning), lets ``remote = true`` on them be the
clear error Cloudflare's docs promise, and shows them in the bindings table as ``local``.
"""

from __future__ import annotations

from typing import Any

from flarebind.bindings.types import BindingType, Shape, Support
from flarebind.hookspecs import hookimpl

L = Support.LOCAL_ONLY


def _do_resource(e: Any) -> str | None:
    cls = e.get("class_name")
    script = e.get("script_name")
    return f"{cls}, defined in {script}" if script else cls


def _workflow_resource(e: Any) -> str | None:
    cls = e.get("class_name")
    script = e.get("script_name")
    return f"{cls} (defined in {script})" if script else cls


def _ratelimit_resource(e: Any) -> str | None:
    simple = e.get("simple") or {}
    if "limit" in simple and "period" in simple:
        return f"{simple['limit']} requests/{simple['period']}s"
    return None


def _validate_assets(binding: Any, report: Any) -> None:
    # the routing modes are checked when the config is read, so a typo is a config error with file and line
    from flarebind.runtime.assets.config import problems

    for problem in problems(dict(binding.entry)):
        report.error(problem, at=binding.path, env=binding.env)


TYPES = [
    BindingType(
        type="durable_object_namespace",
        config_key="durable_objects.bindings",
        friendly_name="Durable Object",
        support=L,
        fields={"name": str, "class_name": str, "script_name": str, "environment": str},
        required=("name", "class_name"),
        name_field="name",
        resource=_do_resource,
        runtime_option="durable_objects",  # Runtime(durable_objects={"COUNTER": "Counter"}), as Miniflare's option
        runtime_field="class_name",
    ),
    BindingType(
        type="workflow",
        config_key="workflows",
        friendly_name="Workflow",
        support=L,
        fields={"binding": str, "name": str, "class_name": str, "script_name": str, "limits": dict, "schedules": list},
        required=("binding", "name", "class_name"),
        resource=_workflow_resource,
    ),
    BindingType(
        type="hyperdrive",
        config_key="hyperdrive",
        friendly_name="Hyperdrive Config",
        support=L,
        fields={"binding": str, "id": str, "localConnectionString": str},
        required=("binding",),
        resource=lambda e: e.get("id"),
    ),
    BindingType(
        type="analytics_engine",
        config_key="analytics_engine_datasets",
        friendly_name="Analytics Engine Dataset",
        support=L,
        fields={"binding": str, "dataset": str},
        required=("binding",),
        resource=lambda e: e.get("dataset") or e.get("binding"),
    ),
    BindingType(
        type="ratelimit",
        config_key="ratelimits",
        friendly_name="Rate Limit",
        support=L,
        fields={"name": str, "namespace_id": str, "simple": dict},
        required=("name",),
        name_field="name",
        resource=_ratelimit_resource,
    ),
    BindingType(
        type="version_metadata",
        config_key="version_metadata",
        friendly_name="Worker Version Metadata",
        support=L,
        shape=Shape.OBJECT,
        fields={"binding": str},
        required=("binding",),
    ),
    BindingType(
        type="assets",
        config_key="assets",
        friendly_name="Assets",
        support=L,
        shape=Shape.OBJECT,
        fields={
            "directory": str,
            "binding": str,
            "html_handling": str,
            "not_found_handling": str,
            "run_worker_first": object,
        },
        inheritable=True,
        path_fields=("directory",),
        validate=_validate_assets,
    ),
    BindingType(
        type="secrets_store_secret",
        config_key="secrets_store_secrets",
        friendly_name="Secrets Store Secret",
        support=L,
        fields={"binding": str, "store_id": str, "secret_name": str},
        required=("binding",),
        resource=lambda e: e.get("secret_name"),
    ),
    BindingType(
        type="worker_loader",
        config_key="worker_loaders",
        friendly_name="Worker Loader",
        support=L,
        fields={"binding": str},
        required=("binding",),
    ),
    BindingType(
        type="wasm_module",
        config_key="wasm_modules",
        friendly_name="Wasm Module",
        support=L,
        shape=Shape.MAP,
        top_level_only=True,
        resource=lambda e: e.get("value"),
    ),
    BindingType(
        type="text_blob",
        config_key="text_blobs",
        friendly_name="Text Blob",
        support=L,
        shape=Shape.MAP,
        top_level_only=True,
        resource=lambda e: e.get("value"),
    ),
    BindingType(
        type="data_blob",
        config_key="data_blobs",
        friendly_name="Data Blob",
        support=L,
        shape=Shape.MAP,
        top_level_only=True,
        resource=lambda e: e.get("value"),
    ),
    BindingType(
        type="logfwdr",
        config_key="logfwdr.bindings",
        friendly_name="logfwdr",
        support=L,
        fields={"name": str, "destination": str},
        name_field="name",
        inheritable=True,
        resource=lambda e: e.get("destination"),
    ),
    BindingType(
        type="unsafe",
        config_key="unsafe.bindings",
        friendly_name="Unsafe Metadata",
        support=L,
        fields={"name": str, "type": str, "dev": dict},
        name_field="name",
        resource=lambda e: e.get("type"),
    ),
]


@hookimpl
def register_binding_types(register: Any) -> None:
    for binding_type in TYPES:
        register(binding_type)


# --- Workflows and Durable Objects: simulated by flarebind.runtime.workflows / .durable_objects (each engine is
# imported only when a binding is built) ---
@hookimpl
def register_adapters(register: Any) -> None:
    register.local("workflow", "flarebind.runtime.workflows.binding:make_local_workflow")
    register.local("durable_object_namespace", "flarebind.runtime.durable_objects.namespace:make_local")
    # static assets: env.ASSETS over flarebind.runtime.assets (the routing in front of the Worker is in asgi_app)
    register.local("assets", "flarebind.runtime.assets.binding:make_local_assets")
    # Dynamic Workers: env.LOADER.get(id, callback) in flarebind.runtime.worker_loader
    register.local("worker_loader", "flarebind.runtime.worker_loader:make_local_worker_loader")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_lazy_command(
        "workflows", "flarebind.cli.workflows_cmd:workflows_group", help="Manage Workflows (of a local dev session)."
    )
