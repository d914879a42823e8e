"""``flarebind d1 migrations create | list | apply``: wrangler's migrations, on the same folder and table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flarebind.plugin import config_options

from flarebind_d1.cli import (
    D1CommandError,
    cause_text,
    check_location_flags,
    execute_sql,
    find_database,
    load,
    location_options,
    resource_location,
)
from flarebind_d1.migrations import (
    MigrationsConfig,
    MigrationsError,
    create_table_sql,
    list_applied_sql,
    migration_header,
    migration_names,
    migration_sql,
    new_migration_name,
)
from flarebind_d1.table import render_table


@click.group("migrations")
def migrations_group() -> None:
    """Create, list and apply D1 migrations (wrangler's folder and d1_migrations table)."""


def migrations_config(project: Any, database: str) -> tuple[Any, MigrationsConfig]:
    db = find_database(project, database)
    try:
        cfg = MigrationsConfig.from_entry(db.entry, project.config.dir, project.config.path.name)
    except MigrationsError as exc:
        raise D1CommandError(str(exc)) from None
    return db, cfg


def require_folder(cfg: MigrationsConfig) -> Path:
    if cfg.path.is_dir():
        return cfg.path
    from flarebind.plugin import warning

    warning(cfg.missing_folder_warning())
    raise D1CommandError(f"No migrations present at {cfg.path}.")


async def unapplied(binding: Any, cfg: MigrationsConfig) -> list[str]:
    await execute_sql(binding, create_table_sql(cfg.table))
    rows = (await execute_sql(binding, list_applied_sql(cfg.table)))[0]["results"]
    applied = {row["name"] for row in rows}
    return [name for name in migration_names(cfg) if name not in applied]


@migrations_group.command("create")
@click.argument("database")
@click.argument("message")
@config_options
def create_command(database: str, message: str, config: str | None, env: str | None, persist_to: str | None) -> None:
    """Create a new migration file (NNNN_message.sql) in the migrations folder."""
    project = load(config, env, persist_to)
    _, cfg = migrations_config(project, database)
    try:
        name = new_migration_name(cfg, message)
    except MigrationsError as exc:
        raise D1CommandError(str(exc)) from None
    folder = cfg.path
    if not folder.is_dir():
        click.echo(f"{cfg.missing_folder_warning()}\nOk to create {folder}?")
        folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(migration_header(name[:4]), encoding="utf-8")
    click.echo(f"✅ Successfully created Migration '{name}'!\n")
    click.echo("The migration is available for editing here")
    click.echo(f"{folder}/{name}")


@migrations_group.command("list")
@click.argument("database")
@location_options
def list_command(
    database: str, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """List the migrations not yet applied."""
    check_location_flags(local, remote, persist_to)
    project = load(config, env, persist_to)
    resource_location(remote)
    db, cfg = migrations_config(project, database)
    require_folder(cfg)
    from flarebind_d1.cli import with_binding

    try:
        import asyncio  # loaded only when a command runs (start-up budget)

        names = asyncio.run(with_binding(project, db, remote, lambda b: unapplied(b, cfg)))
    except click.ClickException:
        raise
    except Exception as exc:
        raise D1CommandError(cause_text(exc)) from None
    if not names:
        click.echo("✅ No migrations to apply!")
        return
    click.echo("Migrations to be applied:")
    click.echo(render_table([{"Name": n} for n in names]))


@migrations_group.command("apply")
@click.argument("database")
@location_options
def apply_command(
    database: str, local: bool, remote: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """Apply the unapplied migrations in order, each in one transaction; stop at the first failure."""
    check_location_flags(local, remote, persist_to)
    project = load(config, env, persist_to)
    resource_location(remote)
    db, cfg = migrations_config(project, database)
    require_folder(cfg)
    from flarebind_d1.cli import persistence_label, with_binding

    async def run(binding: Any) -> None:
        names = await unapplied(binding, cfg)
        if not names:
            click.echo("✅ No migrations to apply!")
            return
        status = {n: "🕒️" for n in names}
        click.echo("Migrations to be applied:")
        click.echo(render_table([{"name": n} for n in names]))
        click.echo(
            f"About to apply {len(names)} migration(s)\n"
            "Your database may not be available to serve requests during the migration, continue?"
        )
        for name in names:
            if remote:
                click.echo(f"🌀 Executing on remote database {database} ({db.display_id}):")
            else:
                click.echo(
                    f"🌀 Executing on local database {database} ({db.display_id}) from {persistence_label(project)}:"
                )
                click.echo("🌀 To execute on your remote database, add a --remote flag to your wrangler command.")
            try:
                results = await execute_sql(binding, migration_sql(cfg, name))
            except Exception as exc:
                status[name] = "❌"
                click.echo(render_table([{"name": n, "status": s} for n, s in status.items()]))
                from flarebind.plugin import error

                error(f"Migration {name} failed with the following errors:")
                raise D1CommandError(cause_text(exc)) from None
            n = len(results)
            click.echo(f"🚣 {n} command{'' if n == 1 else 's'} executed successfully.")
            status[name] = "✅"
            click.echo(render_table([{"name": n, "status": s} for n, s in status.items()]))

    try:
        import asyncio  # loaded only when a command runs (start-up budget)

        asyncio.run(with_binding(project, db, remote, run))
    except click.ClickException:
        raise
    except Exception as exc:
        raise D1CommandError(cause_text(exc)) from None
