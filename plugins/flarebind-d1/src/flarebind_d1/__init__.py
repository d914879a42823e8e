"""flarebind plugin for D1 databases: declares the binding type and its adapters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flarebind.plugin import BindingType, Support, drop_none, hookimpl, require_field

# the calls after a prepare that only read or describe the statement (bind returns a new statement)
_READ_TAIL = {"bind", "first", "all", "raw", "getBookmark", "withSession", "ref"}
_SELECT = re.compile(r"\s*SELECT\b[^;]*;?\s*\Z", re.IGNORECASE | re.DOTALL)


def is_read(op: Mapping[str, Any]) -> bool:
    """A protocol op that only reads: ``prepare`` of one ``SELECT``, then binding / running it; property gets."""
    name = op.get("call")
    if name is None:
        return "ref" in op or "get" in op
    if name == "prepare":
        args = op.get("args") or []
        return bool(args and isinstance(args[0], str) and _SELECT.match(args[0]))
    return name in _READ_TAIL


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    database_id = require_field(name, spec, "database_id")
    return drop_none({"name": name, "type": "d1", "id": database_id, "internalEnv": spec.get("database_internal_env")})


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="d1",
            stub="flarebind_d1.binding:D1Database",  # what `flarebind types` gives env.NAME
            config_key="d1_databases",
            friendly_name="D1 Database",
            support=Support.LOCAL_AND_REMOTE,
            fields={
                "binding": str,
                "database_name": str,
                "database_id": str,
                "preview_database_id": str,
                "migrations_table": str,
                "migrations_dir": str,
                "migrations_pattern": str,
                "database_internal_env": str,
            },
            required=("binding",),
            resource=lambda e: e.get("preview_database_id") or e.get("database_name") or e.get("database_id"),
            preview_fields={"database_id": "preview_database_id"},
            resource_fields=("database_id",),
            upload_metadata=upload_metadata,
            reads=is_read,
            runtime_option="d1_databases",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    # factories are imported only when a binding is built, keeping `flarebind` start-up fast
    register.local("d1", "flarebind_d1.local:make_local")
    register.remote("d1", "flarebind_d1.remote:make_remote")


@hookimpl
def register_commands(cli: Any) -> None:
    # `flarebind d1 …`; the command modules (and the database code) load only when a `d1` command runs
    def d1_group() -> Any:
        import click

        from flarebind_d1.cli import register

        holder = click.Group()
        register(holder)  # attaches `d1 migrations …` to the group
        return holder.commands["d1"]

    cli.add_lazy_command("d1", d1_group, help="Manage D1 databases (local state shared with wrangler).")
