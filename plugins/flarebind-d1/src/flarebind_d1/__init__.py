"""flarebind plugin for D1 databases: declares the binding type and its adapters."""

from __future__ import annotations

from typing import Any

from flarebind.bindings.types import BindingType, Support
from flarebind.hookspecs import hookimpl


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="d1",
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
