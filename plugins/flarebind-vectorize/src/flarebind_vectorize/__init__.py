"""flarebind plugin for Vectorize indexes: declares the binding type, its adapters and ``flarebind vectorize``.

Cloudflare ships no local Vectorize; this plugin does: an exact k-nearest-neighbour index (numpy over a float32
matrix, SQLite on disk), so a ``[[vectorize]]`` binding without ``remote`` runs locally and ``remote = true`` proxies
to the real index. Nothing heavy is imported here: numpy loads when a binding is first used.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Support, hookimpl, require_field

SIMULATOR = "exact kNN index (numpy)"


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "vectorize", "index_name": require_field(name, spec, "index_name")}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="vectorize",
            stub="flarebind_vectorize.binding:VectorizeIndex",  # what `flarebind types` gives env.NAME
            config_key="vectorize",
            friendly_name="Vectorize Index",
            support=Support.LOCAL_AND_REMOTE,
            fields={"binding": str, "index_name": str},
            required=("binding", "index_name"),
            resource=lambda e: e.get("index_name"),
            resource_fields=("index_name",),
            upload_metadata=upload_metadata,
            simulator=SIMULATOR,
            validate=validate,
        )
    )


def validate(binding: Any, report: Any) -> None:
    # a local index name becomes a file name under the state folder: refuse anything else at config time, with the
    # file and line, rather than when the binding is first built
    if binding.remote is True:
        return
    name = binding.entry.get("index_name")
    if not isinstance(name, str):
        return  # the schema check reports a missing or mistyped field
    from flarebind_vectorize.validation import check_index_name

    try:
        check_index_name(name)
    except ValueError as exc:
        report.error(f'"{binding.path}" binding "{binding.name}": {exc}', at=binding.path, env=binding.env)


@hookimpl
def register_adapters(register: Any) -> None:
    # factories are imported only when a binding is built, keeping `flarebind` start-up fast
    register.local("vectorize", "flarebind_vectorize.local:make_local")
    register.remote("vectorize", "flarebind_vectorize.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    cli.add_lazy_command(
        "vectorize",
        "flarebind_vectorize.cli:vectorize_group",
        help="Manage Vectorize indexes (a local exact index by default, --remote for Cloudflare's).",
    )
